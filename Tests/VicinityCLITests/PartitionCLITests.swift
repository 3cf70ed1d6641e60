import Foundation
import Testing

/// `vicinity embed --partition i/n` and `vicinity merge`, run as the binary: two parts merged are
/// the single run's data.mdb (`cmp`), and a missing part or a bad partition is refused by name.
@Suite struct PartitionCLITests {
    @Test func partsMergeIntoTheSingleRunsFile() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try writeIDXDataset(in: dir, train: 61, test: 5)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 12, 10])
        func store(_ name: String) -> String { dir.appendingPathComponent("stores/\(name)").path }
        func embed(_ name: String, _ extra: [String] = []) throws -> CLIResult {
            try runVicinity(
                ["embed", "--model", model, "--data", dir.path, "--batch", "8", "--store", store(name)] + extra)
        }
        let single = try embed("fashion")
        #expect(single.status == 0, "\(single.stderr)")
        for i in 0..<2 {
            let part = try embed("fashion.part-\(i)", ["--partition", "\(i)/2"])
            #expect(part.status == 0, "\(part.stderr)")
            #expect(part.stdout.contains("partition \(i)/2: "), "\(part.stdout)")
        }
        let merge = try runVicinity([
            "merge", "--out", store("merged"), store("fashion.part-1"), store("fashion.part-0"),
        ])
        #expect(merge.status == 0 && merge.stdout.hasPrefix("merged 2 parts into \(store("merged")): 61 items"))
        let cmp = try runProgram(
            URL(fileURLWithPath: "/usr/bin/cmp"), [store("fashion") + "/data.mdb", store("merged") + "/data.mdb"])
        #expect(cmp.status == 0, "\(cmp.stdout)")

        let missing = try runVicinity(["merge", "--out", store("other"), store("fashion.part-1")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("partition 0/2 (\(store("fashion.part-0"))) is missing"), "\(missing.stderr)")
        let again = try runVicinity([
            "merge", "--out", store("merged"), store("fashion.part-0"), store("fashion.part-1"),
        ])
        #expect(again.status != 0 && again.stderr.contains("already holds a store"), "\(again.stderr)")
        for bad in ["2/2", "1", "-1/2", "a/b"] {
            let r = try embed("bad", ["--partition", bad])
            #expect(r.status != 0 && r.stderr.contains("--partition"), "\(bad): \(r.stderr)")
        }
    }
}
