import Foundation
import Testing
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityStore

/// An item's stored code and bits do not depend on how the input was batched, threaded or
/// partitioned: stores built with `--batch 1`, `7`, `1000`, on 1 and 2 threads, are byte-identical
/// files (data.mdb), and four runs over quarters of the images give every item the code and bits
/// it got in the single run.
@Suite struct BatchIndependenceTests {
    // Long: one scenario whose steps build on each other (the files, model and stores of the first steps).
    @Test func storesDoNotDependOnBatchThreadsOrPartition() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 600, side = 28
        var rng = SeededRNG(seed: 41)
        let all = dir.appendingPathComponent("all")
        let quarters = (0..<4).map { dir.appendingPathComponent("q\($0)") }
        for folder in [all] + quarters {
            for label in 0..<3 {
                try FileManager.default.createDirectory(
                    at: folder.appendingPathComponent("\(label)"), withIntermediateDirectories: true)
            }
        }
        for i in 0..<n {
            let label = i % 3
            let pixels = (0..<(side * side)).map { p in UInt8(clamping: (p % 7 == label ? 160 : 30) + rng.below(90)) }
            let image = GrayImage(width: side, height: side, pixels: pixels)
            let name = "\(label)/img\(i).pgm"
            try writePGM(path: all.appendingPathComponent(name).path, image: image)
            try writePGM(path: quarters[rng.below(4)].appendingPathComponent(name).path, image: image)
        }
        // The default trunk's shape at a smaller width, and a logistic code layer, so the 32 bits
        // come from thresholding codes near 0.5 (where any rounding difference would flip one).
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [784, 300, 2000, 32])

        func embed(_ images: URL, _ name: String, batch: Int, threads: Int) throws -> StoreSnapshot {
            let store = dir.appendingPathComponent("stores/\(name)").path
            let r = try runVicinity(
                ["embed", "--model", model, "--images", images.path, "--store", store, "--batch", "\(batch)"],
                environment: ["VICINITY_THREADS": "\(threads)"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            return try CodeStore(path: store, access: .readOnly).snapshot()
        }
        func dataFile(_ name: String) throws -> Data {
            try Data(contentsOf: dir.appendingPathComponent("stores/\(name)/data.mdb"))
        }
        func exported(_ name: String, _ format: String) throws -> Data {
            let out = dir.appendingPathComponent("\(name).\(format)").path
            let r = try runVicinity([
                "export", dir.appendingPathComponent("stores/\(name)").path, "--format", format, "--out", out,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: out))
        }

        let reference = try embed(all, "b1000t2", batch: 1000, threads: 2)
        #expect(reference.count == n && reference.meta.bits == 32)
        let referenceBytes = try (exported("b1000t2", "fvecs"), exported("b1000t2", "bvecs"))
        let referenceFile = try dataFile("b1000t2")
        for (batch, threads) in [(1, 1), (7, 2), (1000, 1), (7, 1)] {
            let name = "b\(batch)t\(threads)"
            let other = try embed(all, name, batch: batch, threads: threads)
            #expect(
                other.ids == reference.ids && other.labels == reference.labels && other.bits == reference.bits,
                "\(name)")
            #expect(
                other.codes.storage.map(\.bitPattern) == reference.codes.storage.map(\.bitPattern),
                "\(name): codes differ")
            #expect(
                try exported(name, "fvecs") == referenceBytes.0 && exported(name, "bvecs") == referenceBytes.1,
                "\(name)")
            #expect(try dataFile(name) == referenceFile, "\(name): data.mdb differs")
        }

        // Quarters: every item's code and bits as in the single run.
        let row = Dictionary(uniqueKeysWithValues: reference.ids.enumerated().map { ($1, $0) })
        var seen = 0
        for (q, folder) in quarters.enumerated() {
            let part = try embed(folder, "q\(q)", batch: 5000, threads: 2)
            for (i, id) in part.ids.enumerated() {
                let r = try #require(row[id])
                #expect(
                    part.codes.row(i).map(\.bitPattern) == reference.codes.row(r).map(\.bitPattern),
                    "\(id) in quarter \(q)")
                #expect(part.bits[i] == reference.bits[r], "bits of \(id) in quarter \(q)")
            }
            seen += part.count
        }
        #expect(seen == n)
    }
}
