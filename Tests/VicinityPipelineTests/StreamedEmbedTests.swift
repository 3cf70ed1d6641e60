import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityLearning
import VicinitySearch
import VicinityStore
@testable import VicinityPipeline

/// Embed runs over inputs made or read a batch at a time: perturbed copies and IDX files.
@Suite struct StreamedEmbedTests {
    @Test func perturbedCopiesResumeToTheSameStore() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 30, test: 5)
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 8, 6])
            func configuration(_ store: String, batch: Int) -> EmbedConfiguration {
                EmbedConfiguration(
                    input: .perturbed(dir.path, count: 200, seed: 3), model: model,
                    store: dir.appendingPathComponent(store).path, batch: batch)
            }
            let reference = try EmbedJob(configuration("reference", batch: 200)).run(reporter: SilentReporter())
            #expect(reference.complete && reference.count == 200)
            var asked = 0
            let stopped = try EmbedJob(configuration("s", batch: 30)).run(reporter: SilentReporter()) {
                asked += 1
                return asked > 5  // before each chunk and its one window: two chunks go in
            }
            #expect(!stopped.complete && stopped.count == 60)
            let reporter = RecordingReporter()
            let resumed = try EmbedJob(configuration("s", batch: 70)).run(reporter: reporter)
            #expect(resumed.complete && resumed.embedded == 140 && resumed.alreadyStored == 60)
            #expect(reporter.notes == ["resuming: items already in \(resumed.store) are skipped"])
            #expect(reporter.totals == [200])
            #expect(try storeBytes(resumed.store) == storeBytes(reference.store))

            let store = try CodeStore(path: resumed.store, access: .readOnly)
            let item = try #require(try store.get("p00000031"))
            let made = PerturbedImages(base: try Dataset.load(dir.path, split: .train), count: 200, seed: 3)
            #expect(item.label == made.baseLabels[1] && item.source == "")
            let encoder = ItemEncoder(model: try EmbeddingModel.load(from: model), bits: .auto)
            #expect(item.code == encoder.encode(made.items(31..<32, name: "p").features).codes.storage)
            #expect(try store.meta()?.extra["data"] == "\(dir.lastPathComponent)/train perturbed ×200, seed 3")
            // The KNN clustering is saved with the store and describes its rows.
            let saved = try #require(try store.savedIndex(knnIndexName))
            #expect(ClusteredFlatIndex(try store.snapshot().codes, saved: saved) != nil)
        }
    }

    @Test func anIDXFileIsEmbeddedAsItIsRead() throws {
        try withTemporaryFolder { dir in
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 5])
            let images = dir.appendingPathComponent("x.idx.gz").path
            try writeIDX(
                IDXArray(dims: [57, 4, 4], elements: .uint8((0..<(57 * 16)).map { UInt8($0 * 7 % 256) })), to: images)
            try Data((0..<57).map { "\($0 % 4)" }.joined(separator: "\n").utf8).write(
                to: dir.appendingPathComponent("labels.txt"))
            func run(_ store: String, batch: Int) throws -> EmbedSummary {
                try EmbedJob(
                    EmbedConfiguration(
                        input: .images(images, labels: dir.appendingPathComponent("labels.txt").path, fit: .crop),
                        model: model, store: dir.appendingPathComponent(store).path, batch: batch)
                ).run(reporter: SilentReporter())
            }
            let small = try run("small", batch: 5), large = try run("large", batch: 100)
            #expect(small.complete && small.count == 57 && large.count == 57)
            #expect(try storeBytes(small.store) == storeBytes(large.store))
            let item = try #require(try CodeStore(path: small.store, access: .readOnly).get("42"))
            let encoder = ItemEncoder(model: try EmbeddingModel.load(from: model), bits: .auto)
            let pixels = try readIDXImages(images).images.rows([42])
            #expect(item.label == 2 && item.code == encoder.encode(pixels).codes.storage)
            #expect(item.source == "\(images)#42")
        }
    }
}
