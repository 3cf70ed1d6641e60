import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityMath
import VicinityStore
@testable import VicinityPipeline

/// What an embed run reads: image folders (strict or skipping), CSV streams, vectors, attributes.
@Suite struct EmbedInputTests {
    /// A folder of class folders of 4×4 PGM images, plus one file that is not an image.
    func writeImageFolder(_ dir: URL) throws -> String {
        let root = dir.appendingPathComponent("images")
        for (label, count) in [(0, 3), (1, 2)] {
            let folder = root.appendingPathComponent("\(label)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<count {
                let pixels = (0..<16).map { UInt8(($0 * 16 + i * 5 + label * 60) % 256) }
                try writePGM(
                    path: folder.appendingPathComponent("img\(i).pgm").path,
                    image: GrayImage(width: 4, height: 4, pixels: pixels))
            }
        }
        try Data("not an image".utf8).write(to: root.appendingPathComponent("1/broken.png"))
        return root.path
    }

    @Test func imageFoldersSkipBadFilesUnlessStrict() throws {
        try withTemporaryFolder { dir in
            let images = try writeImageFolder(dir)
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 5])
            let store = dir.appendingPathComponent("s").path
            var strict = EmbedConfiguration(
                input: .images(images, labels: nil, fit: .crop), model: model, store: store,
                idPrefix: "p/", strict: true)
            let refused = try #require(throws: PipelineError.self) {
                try EmbedJob(strict).run(reporter: SilentReporter())
            }
            #expect(refused.description.hasPrefix("1 image could not be used:\n  1/broken.png: "))
            #expect(refused.description.hasSuffix("\n(--strict: nothing was written)"))
            #expect(!FileManager.default.fileExists(atPath: store))

            strict.strict = false
            let reporter = RecordingReporter()
            let summary = try EmbedJob(strict).run(reporter: reporter)
            #expect(summary.embedded == 5 && summary.skipped.map(\.name) == ["1/broken.png"])
            #expect(reporter.notes.count == 1 && reporter.notes[0].hasPrefix("skipping 1 image could not be used:"))
            let item = try #require(try CodeStore(path: store, access: .readOnly).get("p/1/img0"))
            #expect(item.label == 1 && item.source == "\((images as NSString).standardizingPath)/1/img0")
        }
    }

    @Test func aCSVStreamIsEmbeddedChunkByChunk() throws {
        try withTemporaryFolder { dir in
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [4, 3])
            let lines =
                (0..<7).map { "item\($0),\($0 % 2),\($0 * 10),20,30,\(255 - $0)" }.joined(separator: "\n") + "\n"
            let pipe = Pipe()
            pipe.fileHandleForWriting.write(Data(lines.utf8))
            try pipe.fileHandleForWriting.close()
            let store = dir.appendingPathComponent("s").path
            let reporter = RecordingReporter()
            let summary = try EmbedJob(
                EmbedConfiguration(
                    input: .csvStream(pipe.fileHandleForReading), model: model,
                    store: store, batch: 3)
            ).run(reporter: reporter)
            #expect(summary.complete && summary.embedded == 7 && summary.inputItems == 7 && summary.bits == 3)
            #expect(reporter.totals == [nil] && reporter.notes.isEmpty)
            let s = try CodeStore(path: store, access: .readOnly)
            #expect(try s.get("item4")?.source == "stdin#4" && s.get("item4")?.label == 0)
            #expect(try s.meta()?.extra["data"] == "stdin")
        }
    }

    @Test func vectorsAreTheCodesAndAttributesFollow() throws {
        try withTemporaryFolder { dir in
            let vectors = dir.appendingPathComponent("x.npy").path
            try writeNPY(path: vectors, Matrix(rows: 3, cols: 2, storage: [1, 2, 3, 4, 5, 6]))
            let attributes = dir.appendingPathComponent("attrs.jsonl").path
            try Data("{\"id\": \"v1\", \"colour\": \"red\"}\n{\"id\": \"nope\", \"colour\": \"blue\"}\n".utf8)
                .write(to: URL(fileURLWithPath: attributes))
            let store = dir.appendingPathComponent("s").path
            let reporter = RecordingReporter()
            let summary = try EmbedJob(
                EmbedConfiguration(
                    input: .vectors(vectors, bits: nil, ids: nil, labels: nil), model: nil,
                    store: store, idPrefix: "v", attributes: attributes)
            ).run(reporter: reporter)
            #expect(
                summary.model == vectors && summary.fingerprint.hasPrefix("npy-") && summary.codeDims == 2
                    && summary.bits == 0)
            #expect(reporter.notes == ["attributes: 1 items from \(attributes); 1 ids not in the store, e.g. nope"])
            let s = try CodeStore(path: store, access: .readOnly)
            #expect(try s.get("v1")?.code == [3, 4] && s.meta()?.extra["vectors"] == "x.npy")
            #expect(try s.attributes(of: "v1")?.contains("red") == true)
        }
    }

    @Test func windowsFollowIdByteOrderWithinOnePart() {
        func part(_ ids: [String]) -> EmbedPart {
            EmbedPart(
                dataset: Dataset(
                    name: "d", features: Matrix(rows: ids.count, cols: 1), labels: ids.map { _ in 0 }, ids: ids,
                    imageRows: 1, imageCols: 1),
                source: { "\($0)" })
        }
        let parts = [part(["b", "a", "c", "d"]), part(["a2", "e"])]
        let windows = EmbedJob.windows(parts, batch: 2)
        #expect(windows.map(\.part) == [0, 1, 0, 0, 1])
        #expect(windows.map(\.rows) == [[1], [0], [0, 2], [3], [1]])
    }
}
