import ArgumentParser
import Foundation
import VicinityData
import VicinityEval
import VicinityHashing
import VicinityLearning

extension Vicinity {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure kNN classification error of an embedding: test queries against the embedded training set.",
            discussion: """
            Models: `pixels` (raw pixels), `pca:N` (PCA fitted on the training split), or a model file;
            hashing baselines `lsh:BITS`, `pca-hash:BITS`, `itq:BITS`, `spectral:BITS` report a "hamming" section
            instead: mAP over the full ranking of the training set, precision within Hamming radius 2 (an empty
            ball counts 0) and precision@10/100, for the first --hamming-queries test images.
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

        @Option(help: "Test queries for the Hamming evaluation (each ranks the whole training set).")
        var hammingQueries = 1000

        @Option(help: "Write the Hamming precision–recall curve (by radius) to this CSV file.")
        var prCSV: String?

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
            if let hasher = try makeHasher(model, training: train) {
                return try runHamming(hasher, train: train, test: test)
            }
            let embedding = try makeEmbedding(model, training: train)
            let report = KNNEvaluation.run(embedding: embedding, database: train, queries: test,
                                           ks: ks, dataName: dataOptions.data)
            // Models with a decoder also report reconstruction error beside PCA of the same code size.
            let reconstruction = try (embedding as? EmbeddingModel).flatMap {
                try ReconstructionReport.run(model: $0, training: train, test: test)
            }
            // Models with a logistic code layer also report their binary codes (threshold 0.5), as a store keeps them.
            var hamming: HammingReport? = nil
            if let m = embedding as? EmbeddingModel, m.architecture.activations[m.encoderDepth - 1] == .logistic {
                let encoder = ItemEncoder(model: m, bits: .threshold)
                let queries = test.prefix(hammingQueries)
                hamming = HammingEvaluation.run(database: encoder.encode(train.features).bits, databaseLabels: train.labels,
                                                queries: encoder.encode(queries.features).bits, queryLabels: queries.labels)
                if let prCSV, let hamming { try hamming.curveCSV.write(toFile: prCSV, atomically: true, encoding: .utf8) }
            }
            if json {
                var object = report.json
                if let reconstruction { object["reconstruction"] = reconstruction.json }
                if let hamming { object["hamming"] = hamming.json }
                try printJSON(object)
            } else {
                print("model \(report.model) · \(report.dims)-D · \(report.queries) queries against \(report.database) · \(String(format: "%.1f", report.seconds)) s")
                print("k     kNN error")
                for k in ks { print(String(format: "%-5d %6.2f %%", k, report.errorPercent[k]!)) }
                if let h = hamming {
                    print(String(format: "binary codes (%d bits, %d queries): mAP %.2f %%, precision within radius 2 %.2f %%",
                                 h.bits, h.queries, h.mapPercent, h.precisionRadius2Percent))
                }
                if let r = reconstruction {
                    print(String(format: "reconstruction: %.2f squared error per test image (PCA-%d: %.2f, ratio %.2f)",
                                 r.msePerImage, r.codeDims, r.pcaMSEPerImage, r.msePerImage / r.pcaMSEPerImage))
                }
            }
        }
    }
}

extension Vicinity.Eval {
    /// Binary-code retrieval: the hasher's codes of the training set are the database.
    func runHamming(_ hasher: any Hasher, train: Dataset, test: Dataset) throws {
        guard hammingQueries >= 1 else { throw ValidationError("--hamming-queries must be at least 1") }
        let queries = test.prefix(hammingQueries)
        let start = Date()
        let report = HammingEvaluation.run(
            database: BinaryCodes(thresholding: hasher.project(train.features), at: 0), databaseLabels: train.labels,
            queries: BinaryCodes(thresholding: hasher.project(queries.features), at: 0), queryLabels: queries.labels)
        let seconds = Date().timeIntervalSince(start)
        if let prCSV { try report.curveCSV.write(toFile: prCSV, atomically: true, encoding: .utf8) }
        if json {
            try printJSON(["model": model, "data": dataOptions.data, "queries": queries.count, "database": train.count,
                           "seconds": seconds, "hamming": report.json])
        } else {
            print("model \(model) · \(report.bits) bits · \(queries.count) queries ranking \(train.count) · \(String(format: "%.1f", seconds)) s")
            print(String(format: "mAP %.2f %%   precision within radius 2 %.2f %%   precision@10 %.2f %%   precision@100 %.2f %%",
                         report.mapPercent, report.precisionRadius2Percent, report.precisionAt[10] ?? 0, report.precisionAt[100] ?? 0))
        }
    }
}

/// A hashing baseline a `--model` value names (`lsh:64`, `pca-hash:64`, `itq:64`, `spectral:64`), fitted on the
/// training set; nil for anything else.
func makeHasher(_ spec: String, training: Dataset) throws -> (any Hasher)? {
    let parts = spec.split(separator: ":")
    guard parts.count == 2, ["lsh", "pca-hash", "itq", "spectral"].contains(parts[0]) else { return nil }
    guard let bits = Int(parts[1]), bits >= 1, bits <= 1024 else {
        throw CLIError("--model \(spec): expected \(parts[0]):BITS with BITS in 1...1024")
    }
    if parts[0] != "lsh" && bits > training.dims {
        throw CLIError("--model \(spec): \(parts[0]) takes at most \(training.dims) bits (one per principal direction)")
    }
    note("fitting \(spec) on \(training.count) training images…")
    switch parts[0] {
    case "lsh": return try RandomHyperplaneLSH.fit(training.features, bits: bits, seed: 1)
    case "pca-hash": return try PCAHash.fit(training.features, bits: bits)
    case "itq": return try ITQ.fit(training.features, bits: bits, seed: 1).hasher
    default: return try SpectralHashing.fit(training.features, bits: bits)
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
