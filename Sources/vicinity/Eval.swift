import ArgumentParser
import Foundation
import VicinityData
import VicinityEval
import VicinityLearning

extension Vicinity {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure kNN classification error of an embedding: test queries against the embedded training set.",
            discussion: """
            Models: `pixels` (raw pixels), `pca:N` (PCA fitted on the training split), or a model file.
            Error uses squared L2 in code space and a majority vote of the k nearest; a tie between
            classes goes to the tied class whose member is nearest.
            JSON keys: model, data, queries, database, dims, knn_error_percent {k: percent}, seconds, and for
            models with a decoder reconstruction {mse_per_image, pca_mse_per_image, code_dims} (squared error
            summed over pixels, averaged over test images; PCA of the same code size fitted on the training set).
            """)

        @Option(help: ArgumentHelp("`pixels`, `pca:N`, or models/NAME.safetensors.", valueName: "model"))
        var model: String

        @OptionGroup var dataOptions: DataOptions

        @Option(help: "Comma-separated neighbour counts.")
        var k = "1,3,5,10"

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        func validate() throws {
            guard !ks.isEmpty, ks.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--k must be a comma-separated list of positive integers, got '\(k)'")
            }
        }

        var ks: [Int] { k.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

        func run() throws {
            let train = try Dataset.load(dataOptions.data, split: .train)
            let test = try Dataset.load(dataOptions.data, split: .test)
            guard train.dims == test.dims else {
                throw CLIError("train and test images differ in size: \(train.dims) vs \(test.dims) pixels")
            }
            let embedding = try makeEmbedding(model, training: train)
            let report = KNNEvaluation.run(embedding: embedding, database: train, queries: test,
                                           ks: ks, dataName: dataOptions.data)
            // Models with a decoder also report reconstruction error beside PCA of the same code size.
            let reconstruction = try (embedding as? EmbeddingModel).flatMap {
                try ReconstructionReport.run(model: $0, training: train, test: test)
            }
            if json {
                var object = report.json
                if let reconstruction { object["reconstruction"] = reconstruction.json }
                try printJSON(object)
            } else {
                print("model \(report.model) · \(report.dims)-D · \(report.queries) queries against \(report.database) · \(String(format: "%.1f", report.seconds)) s")
                print("k     kNN error")
                for k in ks { print(String(format: "%-5d %6.2f %%", k, report.errorPercent[k]!)) }
                if let r = reconstruction {
                    print(String(format: "reconstruction: %.2f squared error per test image (PCA-%d: %.2f, ratio %.2f)",
                                 r.msePerImage, r.codeDims, r.pcaMSEPerImage, r.msePerImage / r.pcaMSEPerImage))
                }
            }
        }
    }
}

/// Builds the embedding a `--model` value names.
func makeEmbedding(_ spec: String, training: Dataset) throws -> any Embedding {
    if spec == "pixels" { return PixelEmbedding(dims: training.dims) }
    if spec.hasPrefix("pca:") {
        guard let n = Int(spec.dropFirst(4)), n >= 1, n <= training.dims else {
            throw CLIError("--model \(spec): expected pca:N with N in 1...\(training.dims)")
        }
        note("fitting PCA-\(n) on \(training.count) training images…")
        return try PCAEmbedding(fitting: training.features, components: n)
    }
    guard FileManager.default.fileExists(atPath: spec) else {
        throw CLIError("--model \(spec): no such model file (use pixels, pca:N, or a .safetensors path)")
    }
    let model = try EmbeddingModel.load(from: spec)
    guard model.inputDims == training.dims else {
        throw CLIError("\(spec): the model takes \(model.inputDims) inputs but the data has \(training.dims) pixels per image")
    }
    return model
}
