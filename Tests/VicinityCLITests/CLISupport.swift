import Foundation
import VicinityData
@_exported import VicinityTestSupport

/// Runs the `vicinity` binary built next to the test bundle.
func runVicinity(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let binDir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    return try runProgram(binDir.appendingPathComponent("vicinity"), arguments, environment: environment)
}

/// A tiny IDX data set in Fashion-MNIST's layout: `side`×`side` images whose
/// pixels are class-dependent plus noise, so kNN has something to find.
func writeIDXDataset(in dir: URL, train: Int, test: Int, side: Int = 4, testSide: Int? = nil, seed: UInt64 = 1) throws
    -> (train: [[UInt8]], trainLabels: [Int], test: [[UInt8]], testLabels: [Int])
{
    var state = seed
    func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
    func images(_ n: Int, _ s: Int) -> ([[UInt8]], [Int]) {
        var out: [[UInt8]] = [], labels: [Int] = []
        for _ in 0..<n {
            let label = next() % 3
            labels.append(label)
            out.append((0..<(s * s)).map { p in UInt8(clamping: (p % 3 == label ? 150 : 40) + next() % 90) })
        }
        return (out, labels)
    }
    let (tr, trl) = images(train, side)
    let ts = testSide ?? side
    let (te, tel) = images(test, ts)
    func write(_ name: String, _ imgs: [[UInt8]], _ labels: [Int], _ s: Int) throws {
        try writeIDX(
            IDXArray(dims: [imgs.count, s, s], elements: .uint8(imgs.flatMap { $0 })),
            to: dir.appendingPathComponent("\(name)-images-idx3-ubyte.gz").path)
        try writeIDX(
            IDXArray(dims: [labels.count], elements: .uint8(labels.map { UInt8($0) })),
            to: dir.appendingPathComponent("\(name)-labels-idx1-ubyte.gz").path)
    }
    try write("train", tr, trl, side)
    try write("t10k", te, tel, ts)
    return (tr, trl, te, tel)
}
