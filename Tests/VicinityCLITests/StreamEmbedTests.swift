import Foundation
import Testing
import VicinityData
import VicinityStore

/// `vicinity embed --images -`: CSV lines on standard input, embedded as they arrive, with
/// `--id-prefix`; the codes equal those of the same images embedded from a file.
@Suite struct StreamEmbedTests {
    /// Runs the binary with `input` on its standard input.
    func runWithInput(_ arguments: [String], input: String) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vicinity")
        process.arguments = arguments
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Feed from another thread so a child that writes a lot never blocks on its pipes.
        let data = Data(input.utf8)
        let writer = Thread {
            stdin.fileHandleForWriting.write(data)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func stdinLinesGiveTheSameCodesAsAFile() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try writeIDXDataset(in: dir, train: 250, test: 5, side: 4)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 12, 10])
        let reference = dir.appendingPathComponent("ref").path
        #expect(try runVicinity(["embed", "--model", model, "--data", dir.path, "--store", reference]).status == 0)

        var lines = "id,label," + (0..<16).map { "p\($0)" }.joined(separator: ",") + "\n"
        for (i, image) in data.train.enumerated() {
            lines += "train-\(i),\(data.trainLabels[i])," + image.map(String.init).joined(separator: ",") + "\r\n"
            if i % 50 == 0 { lines += "\n" }
        }
        let store = dir.appendingPathComponent("streamed").path
        let r = try runWithInput(
            [
                "embed", "--model", model, "--images", "-", "--id-prefix", "shard3/", "--batch", "7",
                "--store", store, "--json",
            ], input: lines)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try parseJSON(r.stdout)["count"] as? Int == 250)
        let a = try CodeStore(path: reference, access: .readOnly), b = try CodeStore(path: store, access: .readOnly)
        for i in [0, 1, 77, 249] {
            let want = try #require(try a.get("train-\(i)")), got = try #require(try b.get("shard3/train-\(i)"))
            #expect(
                got.code.map(\.bitPattern) == want.code.map(\.bitPattern) && got.bits == want.bits
                    && got.label == want.label)
        }
        // Again: everything is there already.
        let again = try runWithInput(
            ["embed", "--model", model, "--images", "-", "--id-prefix", "shard3/", "--store", store, "--json"],
            input: lines)
        #expect(
            try parseJSON(again.stdout)["embedded"] as? Int == 0
                && parseJSON(again.stdout)["already_stored"] as? Int == 250)

        // A bad line is named by its number.
        let bad = try runWithInput(
            ["embed", "--model", model, "--images", "-", "--store", dir.appendingPathComponent("bad").path],
            input: "a,1," + Array(repeating: "3", count: 16).joined(separator: ",") + "\nb,1,3,4\n")
        #expect(
            bad.status != 0 && bad.stderr.contains("stdin: line 2") && bad.stderr.contains("expected 16 pixels"),
            "\(bad.stderr)")
    }
}
