import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityStore
@testable import VicinityPipeline

/// The resumable embed job, in process: batching, stops and resumes, refusals, streams, attributes.
@Suite struct EmbedJobTests {
    func configuration(_ dir: URL, model: String, store: String = "s", split: EmbedSplit = .all, batch: Int = 5000)
        -> EmbedConfiguration
    {
        EmbedConfiguration(
            input: .dataset(dir.path, split: split), model: model,
            store: dir.appendingPathComponent(store).path, batch: batch)
    }

    @Test func storesDoNotDependOnTheBatchSize() throws {
        try withTemporaryFolder { dir in
            let labels = try writeMNISTLayout(in: dir, train: 90, test: 30)
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 8, 6])
            let reporter = RecordingReporter()
            let small = try EmbedJob(configuration(dir, model: model, store: "small", batch: 7)).run(reporter: reporter)
            let large = try EmbedJob(configuration(dir, model: model, store: "large", batch: 1000)).run(
                reporter: SilentReporter())
            #expect(small.complete && small.canonical && small.stopped == nil)
            #expect(small.embedded == 120 && small.inputItems == 120 && small.alreadyStored == 0 && small.count == 120)
            #expect(small.codeDims == 6 && small.bits == 6 && small.model == model)
            #expect(try storeBytes(small.store) == storeBytes(large.store))
            #expect(
                reporter.totals == [120] && reporter.done.last == 120 && reporter.ended == 1 && reporter.notes.isEmpty)

            let snapshot = try CodeStore(path: small.store, access: .readOnly).snapshot()
            #expect(snapshot.ids == snapshot.ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            let item = try #require(try CodeStore(path: small.store, access: .readOnly).get("train-7"))
            #expect(item.label == labels.train[7] && item.source == "\(dir.lastPathComponent)/train#7")
            #expect(
                snapshot.meta.extra["model"] == "m.safetensors" && snapshot.meta.extra["data"] == "\(dir.path) (all)")
        }
    }

    @Test func aStoppedRunResumesToTheSameStore() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 90, test: 30)
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 8, 6])
            let reference = try EmbedJob(configuration(dir, model: model, store: "reference", batch: 10)).run(
                reporter: SilentReporter())

            var asked = 0
            let stopped = try EmbedJob(configuration(dir, model: model, batch: 10)).run(reporter: SilentReporter()) {
                asked += 1
                return asked > 4  // once before the first chunk, then before each window: three windows go in
            }
            #expect(!stopped.complete && !stopped.canonical && stopped.embedded == 30 && stopped.count == 30)
            #expect(
                stopped.stopped?.description == "stopped after 30 of 120 items; run the same command again to finish")

            let reporter = RecordingReporter()
            let resumed = try EmbedJob(configuration(dir, model: model, batch: 25)).run(reporter: reporter)
            #expect(resumed.complete && resumed.embedded == 90 && resumed.alreadyStored == 30 && resumed.count == 120)
            #expect(reporter.notes.contains("resuming: 30 of 120 items already in \(resumed.store)"))
            #expect(reporter.totals == [120] && reporter.skipped == 30 && reporter.done.last == 90)
            #expect(try storeBytes(resumed.store) == storeBytes(reference.store))

            let again = try EmbedJob(configuration(dir, model: model)).run(reporter: SilentReporter())
            #expect(again.complete && again.embedded == 0 && again.alreadyStored == 120)
        }
    }

    @Test func anotherModelIsRefusedUnlessRebuilt() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 20, test: 10)
            let first = dir.appendingPathComponent("first.safetensors").path
            let second = dir.appendingPathComponent("second.safetensors").path
            try writeStoreTestModel(first, sizes: [16, 8, 6])
            try writeStoreTestModel(second, sizes: [16, 5], seed: 6)
            let made = try EmbedJob(configuration(dir, model: first, split: .train)).run(reporter: SilentReporter())
            let store = made.store
            let error = try #require(throws: PipelineError.self) {
                try EmbedJob(configuration(dir, model: second, split: .train)).run(reporter: SilentReporter())
            }
            #expect(
                error.description == """
                    \(store) holds 20 items of model \(made.fingerprint) (first.safetensors), 6-D with 6 bits; \
                    \(second) is \(try CodeStore.fingerprint(ofFile: second)), 5-D with 5 bits. \
                    Use --rebuild to clear the store and start over.
                    """)
            var rebuild = configuration(dir, model: second, split: .test)
            rebuild.rebuild = true
            rebuild.bits = .none
            let reporter = RecordingReporter()
            let rebuilt = try EmbedJob(rebuild).run(reporter: reporter)
            #expect(rebuilt.count == 10 && rebuilt.bits == 0 && rebuilt.codeDims == 5)
            #expect(reporter.notes == ["--rebuild: cleared \(store)"])

            let missing = try #require(throws: PipelineError.self) {
                try EmbedJob(configuration(dir, model: dir.appendingPathComponent("none").path)).run(
                    reporter: SilentReporter())
            }
            #expect(missing.description == "--model \(dir.path)/none: no such model file")
            let wide = dir.appendingPathComponent("wide.safetensors").path
            try writeStoreTestModel(wide, sizes: [25, 4])
            let mismatch = try #require(throws: PipelineError.self) {
                try EmbedJob(configuration(dir, model: wide, split: .train)).run(reporter: SilentReporter())
            }
            #expect(
                mismatch.description
                    == "\(wide): the model takes 25 inputs but \(dir.lastPathComponent)/train has 16 pixels per image")
        }
    }
}
