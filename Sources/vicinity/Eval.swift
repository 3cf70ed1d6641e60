import ArgumentParser
import Foundation
import VicinityData
import VicinityLearning
import VicinityPipeline

extension Vicinity {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Measure kNN classification error of an embedding: test queries against the embedded training set.",
            discussion: """
                Models: `pixels` (raw pixels), `pca:N` (PCA fitted on the training split), or a model file;
                hashing baselines `lsh:BITS`, `pca-hash:BITS`, `itq:BITS`, `itq-faiss:BITS` (faiss's ITQ update, to compare
                with its figures), `spectral:BITS` (`…@lsa:N`, `…@pca:N`: fitted on those codes) report a "hamming" section
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
                fitted on the training set). On a document set (scripts/data/debian-descriptions) the baselines are
                TF-IDF over the vocabulary and LSA (`lsa:N`) of the code size, and a retrieval table ranks the training
                documents by cosine for the first --retrieval-queries test documents: precision at recall 0.1, 0.4,
                1.6, 6.4, 25 and 100 % and mAP (JSON: precision_at_recall {recall %: precision %}, retrieval_map_percent,
                and the same under baselines.<name>).
                """)

        @Option(help: ArgumentHelp("`pixels`, `pca:N`, or models/NAME.safetensors.", valueName: "model"))
        var model: String

        @OptionGroup var dataOptions: DataOptions

        @Option(
            help: ArgumentHelp(
                "A store made by `vicinity embed` with --model: its items are the database.", valueName: "dir"))
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

        @Option(help: "Test documents that rank the training split for precision at recall (document sets).")
        var retrievalQueries = 2000

        @Option(help: "Write each test query's label and predicted label per k to this CSV file.")
        var predictions: String?

        @Option(help: "Write the Hamming precision–recall curve (by radius) to this CSV file.")
        var prCSV: String?

        func validate() throws {
            guard !ks.isEmpty, ks.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--k must be a comma-separated list of positive integers, got '\(k)'")
            }
            guard hammingQueries >= 1 else { throw ValidationError("--hamming-queries must be at least 1") }
            guard retrievalQueries >= 1 else { throw ValidationError("--retrieval-queries must be at least 1") }
        }

        var ks: [Int] { k.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

        func run() throws {
            let reporter = ProgressReporter()
            let splits = try dataOptions.splits(model: modelGeometry(model))
            let train = splits.train, test = splits.test!
            let runner = EvaluationRunner(
                model: model, dataName: dataOptions.data, ks: ks, confusionK: confusionK,
                hammingQueries: hammingQueries, prCSV: prCSV)
            if let hasher = try Baselines.hasher(model, training: train, reporter: reporter) {
                guard store == nil else {
                    throw ValidationError("--store needs the model file the store was embedded with")
                }
                return try printHamming(runner.runHamming(hasher, train: train, test: test))
            }
            let embedding = try Baselines.embedding(model, training: train, reporter: reporter)
            let modelFile = embedding as? EmbeddingModel
            let scored: Scored
            if let store {
                guard let modelFile else {
                    throw ValidationError("--store needs the model file the store was embedded with, not \(model)")
                }
                scored = try runner.scoreStore(store, model: modelFile, test: test)
            } else {
                scored = try runner.scoreSplit(embedding, train: train, test: test)
            }
            if let predictions {
                try scored.report.predictionsCSV(truth: test.labels).write(
                    toFile: predictions, atomically: true, encoding: .utf8)
            }
            let documents = Dataset.isDocumentSet(dataOptions.data)
            let baselineReports =
                baselines && modelFile != nil
                ? try runner.baselines(
                    codeDims: embedding.outputDims, train: train, test: test, documents: documents, reporter: reporter)
                : []
            // Models with a decoder also report reconstruction error beside PCA of the same code size
            // (not document models: they reconstruct a word distribution, not the counts).
            let reconstruction =
                documents
                ? nil : try modelFile.flatMap { try ReconstructionReport.run(model: $0, training: train, test: test) }
            let retrieval =
                documents
                ? try DocumentRetrieval.withBaselines(
                    embedding, name: model, train: train, test: test, queries: retrievalQueries,
                    baselines: baselines && modelFile != nil, reporter: reporter) : []
            let report = EvalReport(
                scored: scored, baselines: baselineReports, reconstruction: reconstruction, retrieval: retrieval,
                classNames: dataOptions.classNames(train, model: modelFile))
            if json { try printJSON(report.json) } else { printTable(report) }
        }
    }
}
