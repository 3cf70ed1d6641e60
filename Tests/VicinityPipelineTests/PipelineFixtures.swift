import Foundation
import VicinityTestSupport
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityPipeline

/// A fresh temporary folder, removed after `body`.
func withTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vicinity-pipeline-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// An MNIST-layout folder of `side`×`side` grey images in three classes (pixel p is bright when
/// p % 3 is the label), seeded: `train` and `test` items, labels returned.
@discardableResult
func writeMNISTLayout(in dir: URL, train: Int, test: Int, side: Int = 4, seed: UInt64 = 3) throws -> (
    train: [Int], test: [Int]
) {
    var rng = SeededRNG(seed: seed)
    func split(_ name: String, _ count: Int) throws -> [Int] {
        let labels = (0..<count).map { _ in rng.below(3) }
        let pixels = labels.flatMap { label in
            (0..<(side * side)).map { UInt8((($0 % 3 == label) ? 140 : 30) + rng.below(100)) }
        }
        try writeIDX(
            IDXArray(dims: [count, side, side], elements: .uint8(pixels)),
            to: dir.appendingPathComponent("\(name)-images-idx3-ubyte.gz").path)
        try writeIDX(
            IDXArray(dims: [count], elements: .uint8(labels.map(UInt8.init))),
            to: dir.appendingPathComponent("\(name)-labels-idx1-ubyte.gz").path)
        return labels
    }
    return (try split("train", train), try split("t10k", test))
}

/// Keeps what a job reports.
final class RecordingReporter: JobReporter {
    var notes: [String] = []
    var totals: [Int?] = []
    var skipped = 0
    var done: [Int] = []
    var ended = 0

    func note(_ message: String) { notes.append(message) }
    func itemsBegin(total: Int?) { totals.append(total) }
    func itemsSkipped(_ count: Int) { skipped += count }
    func itemsDone(_ done: Int) { self.done.append(done) }
    func itemsEnd() { ended += 1 }
}

/// The bytes of a store's data file.
func storeBytes(_ store: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: store).appendingPathComponent("data.mdb"))
}
