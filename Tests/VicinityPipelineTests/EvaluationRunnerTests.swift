import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityLearning
import VicinityStore
@testable import VicinityPipeline

/// The runners behind `vicinity eval`: a split, a store, hashing baselines and the factories that name them.
@Suite struct EvaluationRunnerTests {
    @Test func aStoreScoresAsTheSplitItWasEmbeddedFrom() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 120, test: 40)
            let model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 8, 6])
            let store = dir.appendingPathComponent("s").path
            _ = try EmbedJob(EmbedConfiguration(input: .dataset(dir.path, split: .train), model: model, store: store))
                .run(reporter: SilentReporter())
            let train = try Dataset.load(dir.path, split: .train), test = try Dataset.load(dir.path, split: .test)
            let pr = dir.appendingPathComponent("pr.csv").path
            let runner = EvaluationRunner(
                model: model, dataName: "tiny", ks: [1, 3], confusionK: 3, hammingQueries: 10, prCSV: pr)
            let embedding = try Baselines.embedding(model, training: train, reporter: SilentReporter())
            let m = try #require(embedding as? EmbeddingModel)

            let split = try runner.scoreSplit(m, train: train, test: test)
            let stored = try runner.scoreStore(store, model: m, test: test)
            // Float codes do not depend on their batch, so the store's rows give the same votes.
            #expect(stored.report.scores == split.report.scores)
            #expect(split.report.model == model && split.report.data == "tiny" && split.report.database == 120)
            #expect(stored.report.queries == 40 && stored.report.confusionK == 3 && stored.report.ks == [1, 3])
            let hamming = try #require(split.hamming)
            #expect(hamming.retrieval.queries == 10 && hamming.retrieval.bits == 6 && hamming.knn.queries == 40)
            #expect(hamming.nearBinaryPercent != nil && stored.hamming?.nearBinaryPercent != nil)
            #expect(
                Set(hamming.json.keys).isSuperset(of: [
                    "map_percent", "knn_error_percent", "confusion", "near_binary_percent",
                ]))
            #expect(hamming.summary.hasPrefix("binary codes (6 bits): mAP "))
            #expect(try String(contentsOfFile: pr, encoding: .utf8).hasPrefix("radius,precision,recall\n0,"))
        }
    }

    @Test func storesOfAnotherModelOrNoneAreRefused() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 30, test: 10)
            let model = dir.appendingPathComponent("m.safetensors").path,
                other = dir.appendingPathComponent("o.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 6])
            try writeStoreTestModel(other, sizes: [16, 6], seed: 8)
            let store = dir.appendingPathComponent("s").path
            let made = try EmbedJob(
                EmbedConfiguration(input: .dataset(dir.path, split: .train), model: model, store: store)
            )
            .run(reporter: SilentReporter())
            let test = try Dataset.load(dir.path, split: .test)
            let runner = EvaluationRunner(model: other, dataName: "tiny")
            let otherModel = try EmbeddingModel.load(from: other)
            let missing = try #require(throws: PipelineError.self) {
                try runner.scoreStore(dir.appendingPathComponent("none").path, model: otherModel, test: test)
            }
            #expect(missing.description == "no store at \(dir.path)/none (make one with vicinity embed)")
            let wrong = try #require(throws: PipelineError.self) {
                try runner.scoreStore(store, model: otherModel, test: test)
            }
            let fingerprint = try CodeStore.fingerprint(ofFile: other)
            #expect(
                wrong.description
                    == "\(other) (\(fingerprint)) is not the model \(store) was embedded with (\(made.fingerprint))")
        }
    }

    @Test func baselinesAreNamedFittedAndChecked() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 60, test: 20)
            let train = try Dataset.load(dir.path, split: .train), test = try Dataset.load(dir.path, split: .test)
            let reporter = RecordingReporter()
            #expect(try Baselines.hasher("pixels", training: train, reporter: reporter) == nil)
            #expect(try Baselines.hasher("lsh", training: train, reporter: reporter) == nil)
            func refusal(_ body: () throws -> Void) -> String? {
                do { try body() } catch { return (error as? PipelineError)?.description }
                return nil
            }
            #expect(
                refusal { _ = try Baselines.hasher("lsh:0", training: train, reporter: reporter) }
                    == "--model lsh:0: expected lsh:BITS with BITS in 1...1024")
            #expect(
                refusal { _ = try Baselines.hasher("itq:17", training: train, reporter: reporter) }
                    == "--model itq:17: itq takes at most 16 bits (one per principal direction)")
            #expect(
                refusal { _ = try Baselines.embedding("pca:17", training: train, reporter: reporter) }
                    == "--model pca:17: expected pca:N with N in 1...16")
            #expect(
                refusal { _ = try Baselines.embedding("nowhere", training: train, reporter: reporter) }
                    == "--model nowhere: no such model file (use pixels, pca:N, or a .safetensors path)")
            let wide = dir.appendingPathComponent("wide.safetensors").path
            try writeStoreTestModel(wide, sizes: [25, 4])
            #expect(
                refusal { _ = try Baselines.embedding(wide, training: train, reporter: reporter) }
                    == "\(wide): the model takes 25 inputs but the data has 16 pixels per image")
            #expect(reporter.notes.isEmpty)

            let lsh = try #require(try Baselines.hasher("lsh:8", training: train, reporter: reporter))
            let run = try EvaluationRunner(model: "lsh:8", dataName: "tiny", hammingQueries: 5).runHamming(
                lsh, train: train, test: test)
            #expect(run.queries == 5 && run.database == 60 && run.report.bits == 8 && run.report.queries == 5)
            let runner = EvaluationRunner(model: "m", dataName: "tiny", ks: [1, 5])
            let baselines = try runner.baselines(codeDims: 3, train: train, test: test, reporter: reporter)
            #expect(baselines.map(\.name) == ["pixels", "pca:3"] && baselines.map(\.report.dims) == [16, 3])
            #expect(baselines.allSatisfy { $0.report.data == "tiny" && $0.report.ks == [1, 5] })
            #expect(reporter.notes == ["fitting lsh:8 on 60 training images…", "fitting PCA-3 on 60 training images…"])
        }
    }
}

/// The inputs `vicinity plot` and `vicinity train` take from the pipeline.
@Suite struct FigureInputsAndTestFiguresTests {
    @Test func splitsLoadOnceAndMustFitTheModel() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 30, test: 12)
            let path = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(path, sizes: [16, 3])
            let model = try EmbeddingModel.load(from: path)
            var loads = 0
            let inputs = FigureInputs(model: model, modelName: path, dataName: "tiny", points: 5) {
                loads += 1
                return (try Dataset.load(dir.path, split: .train), try Dataset.load(dir.path, split: .test))
            }
            let (codes, data) = try inputs.codes()
            #expect(codes.rows == 5 && codes.cols == 3 && data.count == 5)
            #expect(try inputs.trainSet().count == 30 && inputs.testSet().count == 12 && inputs.codes().codes == codes)
            #expect(loads == 1)

            let wide = dir.appendingPathComponent("wide.safetensors").path
            try writeStoreTestModel(wide, sizes: [25, 3])
            let misfit = FigureInputs(
                model: try EmbeddingModel.load(from: wide), modelName: wide, dataName: "tiny", points: 5
            ) {
                (try Dataset.load(dir.path, split: .train), nil)
            }
            let error = try #require(throws: PipelineError.self) { try misfit.testSet() }
            #expect(error.description == "\(wide): the model takes 25 inputs but the images of tiny have 16 pixels")
        }
    }

    @Test func aModelRecordsItsTestFigures() throws {
        try withTemporaryFolder { dir in
            try writeMNISTLayout(in: dir, train: 30, test: 12)
            let path = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(path, sizes: [16, 3])
            var model = try EmbeddingModel.load(from: path)
            let train = try Dataset.load(dir.path, split: .train), test = try Dataset.load(dir.path, split: .test)
            try TestFigures.record(in: &model, training: train, test: test, knn: true, dataName: "tiny")
            let keys = Set(model.record.figures.keys)
            #expect(keys.isSuperset(of: (KNNEvaluation.defaultKs).map { "test_knn_error_percent_\($0)" }))
            #expect(!keys.contains("test_reconstruction_mse_per_image"))  // no decoder
            var unlabelled = try EmbeddingModel.load(from: path)
            try TestFigures.record(in: &unlabelled, training: train, test: test, knn: false, dataName: "tiny")
            #expect(!unlabelled.record.figures.keys.contains { $0.hasPrefix("test_knn") })
        }
    }
}
