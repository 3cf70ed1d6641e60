import ArgumentParser
import Foundation
import VicinityData
import VicinityPipeline
import VicinityCodes
import VicinityHashers
import VicinityLearning
import VicinityMath
import VicinitySearch
import VicinityStore

extension Vicinity {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure kNN classification error of an embedding: test queries against the embedded training set.",
            discussion: """
            Models: `pixels` (raw pixels), `pca:N` (PCA fitted on the training split), or a model file;
            hashing baselines `lsh:BITS`, `pca-hash:BITS`, `itq:BITS`, `itq-faiss:BITS` (faiss's ITQ update, to compare
            with its figures), `spectral:BITS` report a "hamming" section
            instead: mAP over the full ranking of the training set, precision within Hamming radius 2 (an empty
            ball counts 0) and precision@10/100, for the first --hamming-queries test images.
            Error uses squared L2 in code space (ties by database row) and a majority vote of the k nearest; a tie
            between classes goes to the tied class whose member is nearest. A model file is scored next to raw
            pixels and PCA of its code size on the same split (--no-baselines skips them).
            With --store, the database is a store made by `vicinity embed` with this model, and each test image is
            embedded on its own as `vicinity serve` embeds a RAW query: scripts/knn_eval.py against a server on
            that store prints the same table.
            JSON keys: model, data, queries, database, dims, knn_error_percent {k: percent}, knn_errors {k: count},
            per_class_error_percent {k: [percent by class]}, confusion {k, matrix [true][predicted]}, seconds;
            baselines {pixels, pca:N: the same keys}; for models with a binary head or a logistic code layer (or a store with bits)
            hamming {bits, queries, database, map_percent, precision_radius2_percent, precision_at_percent {k},
            knn_error_percent, knn_errors, per_class_error_percent, confusion (as above, Hamming neighbours),
            near_binary_percent}; for models with a decoder reconstruction {mse_per_image, pca_mse_per_image,
            code_dims} (squared error summed over pixels, averaged over test images; PCA of the same code size
            fitted on the training set).
            """)

        @Option(help: ArgumentHelp("`pixels`, `pca:N`, or models/NAME.safetensors.", valueName: "model"))
        var model: String

        @OptionGroup var dataOptions: DataOptions

        @Option(help: ArgumentHelp("A store made by `vicinity embed` with --model: its items are the database.", valueName: "dir"))
        var store: String?

        @Option(help: "Comma-separated neighbour counts.")
        var k = "1,3,5,10"

        @Option(help: "The k whose per-class error and confusion matrix the table shows.")
        var confusionK = 5

        @Flag(inversion: .prefixedNo, help: "Score raw pixels and PCA of the model's code size beside a model file.")
        var baselines = true

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Test queries for the Hamming mAP (each ranks the whole training set).")
        var hammingQueries = 1000

        @Option(help: "Write each test query's label and predicted label per k to this CSV file.")
        var predictions: String?

        @Option(help: "Write the Hamming precision–recall curve (by radius) to this CSV file.")
        var prCSV: String?

        func validate() throws {
            guard !ks.isEmpty, ks.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--k must be a comma-separated list of positive integers, got '\(k)'")
            }
            guard hammingQueries >= 1 else { throw ValidationError("--hamming-queries must be at least 1") }
        }

        var ks: [Int] { k.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

        func run() throws {
            let splits = try dataOptions.splits(model: modelGeometry(model))
            let train = splits.train, test = splits.test!
            if let hasher = try makeHasher(model, training: train) {
                guard store == nil else { throw ValidationError("--store needs the model file the store was embedded with") }
                return try runHamming(hasher, train: train, test: test)
            }
            let embedding = try makeEmbedding(model, training: train)
            let scored = try store.map { try scoreStore($0, embedding: embedding, test: test) }
                ?? scoreSplit(embedding, train: train, test: test)
            let modelFile = embedding as? EmbeddingModel
            let classNames = dataOptions.classNames(train, model: modelFile)
            if let predictions {
                try scored.report.predictionsCSV(truth: test.labels).write(toFile: predictions, atomically: true, encoding: .utf8)
            }
            let baselineReports = baselines && modelFile != nil
                ? [("pixels", try makeEmbedding("pixels", training: train)),
                   ("pca:\(embedding.outputDims)", try makeEmbedding("pca:\(embedding.outputDims)", training: train))]
                    .map { ($0.0, KNNEvaluation.run(embedding: $0.1, database: train, queries: test, ks: ks,
                                                     confusionK: confusionK, dataName: dataOptions.data)) }
                : []
            // Models with a decoder also report reconstruction error beside PCA of the same code size.
            let reconstruction = try modelFile.flatMap { try ReconstructionReport.run(model: $0, training: train, test: test) }
            if json {
                var object = scored.report.json
                if !baselineReports.isEmpty {
                    object["baselines"] = Dictionary(uniqueKeysWithValues: baselineReports.map { ($0.0, $0.1.json) })
                }
                if let reconstruction { object["reconstruction"] = reconstruction.json }
                if let h = scored.hamming { object["hamming"] = h.json }
                try printJSON(object)
                return
            }
            let r = scored.report
            print("model \(model) · \(r.dims)-D · \(r.queries) queries against \(r.database)\(store.map { " in \($0)" } ?? "") · \(String(format: "%.1f", r.seconds)) s")
            print(r.table(classNames: classNames))
            if !baselineReports.isEmpty {
                print("\nsame split, same search: kNN error %")
                let rows = [((model as NSString).lastPathComponent, r)] + baselineReports
                let width = rows.map(\.0.count).max()! + 2
                print("embedding".padding(toLength: width, withPad: " ", startingAt: 0)
                      + ks.map { String(repeating: " ", count: max(0, 8 - "k=\($0)".count)) + "k=\($0)" }.joined())
                for (name, b) in rows {
                    print(name.padding(toLength: width, withPad: " ", startingAt: 0)
                          + ks.map { String(format: "%8.2f", b.errorPercent[$0]!) }.joined())
                }
            }
            if let h = scored.hamming {
                print("\n" + h.summary)
                print("Hamming kNN (neighbours by Hamming distance, ties by row):")
                print(h.knn.table(classNames: classNames))
            }
            if let rec = reconstruction {
                print(String(format: "\nreconstruction: %.2f squared error per test image (PCA-%d: %.2f, ratio %.2f)",
                             rec.msePerImage, rec.codeDims, rec.pcaMSEPerImage, rec.msePerImage / rec.pcaMSEPerImage))
            }
        }

        /// Test queries against the embedded training split.
        func scoreSplit(_ embedding: any Embedding, train: Dataset, test: Dataset) throws -> Scored {
            // Each split is embedded once; the float kNN and the bits both read these codes.
            let start = Date()
            let trainCodes = embedding.embed(train.features), testCodes = embedding.embed(test.features)
            var report = KNNEvaluation.run(database: trainCodes, databaseLabels: train.labels, queries: testCodes,
                                           queryLabels: test.labels, ks: ks, confusionK: confusionK)
            report.model = model
            report.data = dataOptions.data
            report.seconds = Date().timeIntervalSince(start)
            // Models with a binary head or a logistic code layer also report their bits, as a store keeps them.
            guard let m = embedding as? EmbeddingModel, case let encoder = ItemEncoder(model: m, bits: .auto), encoder.bits > 0 else {
                return Scored(report: report, hamming: nil)
            }
            var binary = try binaryScores(database: encoder.bits(ofCodes: trainCodes), databaseLabels: train.labels,
                                          queries: encoder.bits(ofCodes: testCodes), test: test)
            binary.nearBinaryPercent = nearBinaryPercent(m.headOutputs(testCodes) ?? testCodes)
            return Scored(report: report, hamming: binary)
        }

        /// Test queries, each embedded alone, against the codes a store holds.
        func scoreStore(_ path: String, embedding: any Embedding, test: Dataset) throws -> Scored {
            guard let m = embedding as? EmbeddingModel else {
                throw ValidationError("--store needs the model file the store was embedded with, not \(model)")
            }
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("no store at \(path) (make one with vicinity embed)") }
            let snapshot = try CodeStore(path: path, access: .readOnly).snapshot()
            let fingerprint = try CodeStore.fingerprint(ofFile: model)
            guard fingerprint == snapshot.meta.modelFingerprint else {
                throw CLIError("\(model) (\(fingerprint)) is not the model \(path) was embedded with (\(snapshot.meta.modelFingerprint))")
            }
            guard snapshot.count > 0 else { throw CLIError("\(path) holds no items") }
            let start = Date()
            let queries = m.embed(test.features)  // a row's code does not depend on its batch: as the server embeds RAW
            var report = KNNEvaluation.run(database: snapshot.codes, databaseLabels: snapshot.labels, queries: queries,
                                           queryLabels: test.labels, ks: ks, confusionK: confusionK)
            report.model = model
            report.data = dataOptions.data
            report.seconds = Date().timeIntervalSince(start)
            guard snapshot.meta.bits > 0 else { return Scored(report: report, hamming: nil) }
            let encoder = ItemEncoder(model: m, storeBits: snapshot.meta.bits)
            var binary = try binaryScores(database: try BinaryCodes(bits: snapshot.meta.bits, words: snapshot.bits),
                                          databaseLabels: snapshot.labels, queries: encoder.bits(ofCodes: queries), test: test)
            if encoder.learned { binary.nearBinaryPercent = nearBinaryPercent(m.headOutputs(queries) ?? queries) }
            return Scored(report: report, hamming: binary)
        }

        /// Hamming retrieval figures and Hamming-kNN classification error of binary codes.
        func binaryScores(database: BinaryCodes, databaseLabels: [Int], queries: BinaryCodes, test: Dataset) throws -> BinaryScores {
            let first = min(hammingQueries, test.count)
            let retrieval = HammingEvaluation.run(database: database, databaseLabels: databaseLabels,
                                                  queries: queries.prefix(first), queryLabels: Array(test.labels.prefix(first)))
            if let prCSV { try retrieval.curveCSV.write(toFile: prCSV, atomically: true, encoding: .utf8) }
            let hits = HammingIndex(database).search(queries, k: ks.max()!)
            let knn = KNNEvaluation.report(neighbours: hits, databaseLabels: databaseLabels, queryLabels: test.labels,
                                           ks: ks, confusionK: confusionK, dims: database.bits)
            return BinaryScores(retrieval: retrieval, knn: knn)
        }
    }
}

/// Percent of values within 0.1 of 0 or 1: how binary logistic activations already are.
func nearBinaryPercent(_ activations: Matrix) -> Double {
    let near = activations.storage.lazy.filter { $0 < 0.1 || $0 > 0.9 }.count
    return activations.storage.isEmpty ? 0 : 100 * Double(near) / Double(activations.storage.count)
}

/// A model's float-code report and, when it has binary codes, their figures.
struct Scored {
    var report: KNNReport
    var hamming: BinaryScores?
}

struct BinaryScores {
    var retrieval: HammingReport
    var knn: KNNReport
    /// Percent of the test set's logistic activations (before thresholding) within 0.1 of 0 or 1.
    var nearBinaryPercent: Double?

    var json: [String: Any] {
        var object = retrieval.json
        for key in ["knn_error_percent", "knn_errors", "per_class_error_percent", "confusion"] { object[key] = knn.json[key] }
        if let nearBinaryPercent { object["near_binary_percent"] = nearBinaryPercent }
        return object
    }

    var summary: String {
        let r = retrieval
        return String(format: "binary codes (%d bits): mAP %.2f %%, precision within radius 2 %.2f %% (%d queries); Hamming kNN error ",
                      r.bits, r.mapPercent, r.precisionRadius2Percent, r.queries)
            + knn.ks.map { "k=\($0) \(String(format: "%.2f", knn.errorPercent[$0]!)) %" }.joined(separator: ", ")
            + (nearBinaryPercent.map { String(format: "; %.1f %% of activations within 0.1 of 0 or 1", $0) } ?? "")
    }
}

extension Vicinity.Eval {
    /// Binary-code retrieval: the hasher's codes of the training set are the database.
    func runHamming(_ hasher: any BinaryHasher, train: Dataset, test: Dataset) throws {
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

/// A hashing baseline a `--model` value names (`lsh:64`, `pca-hash:64`, `itq:64`, `itq-faiss:64`, `spectral:64`), fitted on the
/// training set; nil for anything else.
func makeHasher(_ spec: String, training: Dataset) throws -> (any BinaryHasher)? {
    let parts = spec.split(separator: ":")
    guard parts.count == 2, ["lsh", "pca-hash", "itq", "itq-faiss", "spectral"].contains(parts[0]) else { return nil }
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
    case "itq-faiss": return try ITQ.fit(training.features, bits: bits, update: .faiss, seed: 1).hasher
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
