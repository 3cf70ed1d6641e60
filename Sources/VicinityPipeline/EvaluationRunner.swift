import Foundation
import VicinityCodes
import VicinityData
import VicinityHashers
import VicinityLearning
import VicinitySearch
import VicinityStore

/// Scores embeddings and binary codes the way `vicinity eval` reports them: test queries against
/// the embedded training split (or a store's items), by kNN vote, plus Hamming retrieval figures.
public struct EvaluationRunner: Sendable {
    /// The `--model` value: the name reports carry, and the model file for a store's check.
    public var model: String
    /// The data set's name, as reports carry it.
    public var dataName: String
    public var ks: [Int]
    /// The k whose per-class error and confusion matrix reports show.
    public var confusionK: Int
    /// Test queries for the Hamming figures (each ranks the whole database).
    public var hammingQueries: Int
    /// Where to write the Hamming precision–recall curve as CSV, if anywhere.
    public var prCSV: String?

    public init(
        model: String, dataName: String, ks: [Int] = KNNEvaluation.defaultKs, confusionK: Int = 5,
        hammingQueries: Int = 1000, prCSV: String? = nil
    ) {
        self.model = model
        self.dataName = dataName
        self.ks = ks
        self.confusionK = confusionK
        self.hammingQueries = hammingQueries
        self.prCSV = prCSV
    }

    /// Test queries against the embedded training split.
    public func scoreSplit(_ embedding: any Embedding, train: Dataset, test: Dataset) throws -> Scored {
        // Each split is embedded once; the float kNN and the bits both read these codes.
        let start = Date()
        let trainCodes = embedding.embed(train.features), testCodes = embedding.embed(test.features)
        var report = KNNEvaluation.run(
            database: trainCodes, databaseLabels: train.labels, queries: testCodes,
            queryLabels: test.labels, ks: ks, confusionK: confusionK)
        report.model = model
        report.data = dataName
        report.seconds = Date().timeIntervalSince(start)
        // Models with a binary head or a logistic code layer also report their bits, as a store keeps them.
        guard let m = embedding as? EmbeddingModel, case let encoder = ItemEncoder(model: m, bits: .auto),
            encoder.bits > 0
        else {
            return Scored(report: report, hamming: nil)
        }
        var binary = try binaryScores(
            database: encoder.bits(ofCodes: trainCodes), databaseLabels: train.labels,
            queries: encoder.bits(ofCodes: testCodes), test: test)
        binary.nearBinaryPercent = nearBinaryPercent(m.headOutputs(testCodes) ?? testCodes)
        return Scored(report: report, hamming: binary)
    }

    /// Test queries, each embedded alone, against the codes a store holds; `model` must be the
    /// model file (`self.model`) the store was embedded with.
    public func scoreStore(_ path: String, model m: EmbeddingModel, test: Dataset) throws -> Scored {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PipelineError("no store at \(path) (make one with vicinity embed)")
        }
        let snapshot = try CodeStore(path: path, access: .readOnly).snapshot()
        let fingerprint = try CodeStore.fingerprint(ofFile: model)
        guard snapshot.meta.isEmbedding(ofModel: fingerprint, codeDims: m.outputDims) else {
            throw PipelineError(
                "\(model) (\(fingerprint)) is not the model \(path) was embedded with (\(snapshot.meta.modelFingerprint))"
            )
        }
        guard snapshot.count > 0 else { throw PipelineError("\(path) holds no items") }
        let start = Date()
        let queries = m.embed(test.features)  // a row's code does not depend on its batch: as the server embeds RAW
        var report = KNNEvaluation.run(
            database: snapshot.codes, databaseLabels: snapshot.labels, queries: queries,
            queryLabels: test.labels, ks: ks, confusionK: confusionK)
        report.model = model
        report.data = dataName
        report.seconds = Date().timeIntervalSince(start)
        guard snapshot.meta.bits > 0 else { return Scored(report: report, hamming: nil) }
        let encoder = ItemEncoder(model: m, storeBits: snapshot.meta.bits)
        var binary = try binaryScores(
            database: try BinaryCodes(bits: snapshot.meta.bits, words: snapshot.bits),
            databaseLabels: snapshot.labels, queries: encoder.bits(ofCodes: queries), test: test)
        if encoder.learned { binary.nearBinaryPercent = nearBinaryPercent(m.headOutputs(queries) ?? queries) }
        return Scored(report: report, hamming: binary)
    }

    /// Hamming retrieval figures (first `hammingQueries` queries) and Hamming-kNN classification error of binary codes.
    func binaryScores(database: BinaryCodes, databaseLabels: [Int], queries: BinaryCodes, test: Dataset) throws
        -> BinaryScores
    {
        let first = min(hammingQueries, test.count)
        let retrieval = HammingEvaluation.run(
            database: database, databaseLabels: databaseLabels,
            queries: queries.prefix(first), queryLabels: Array(test.labels.prefix(first)))
        if let prCSV { try retrieval.curveCSV.write(toFile: prCSV, atomically: true, encoding: .utf8) }
        let hits = HammingIndex(database).search(queries, k: ks.max()!)
        let knn = KNNEvaluation.report(
            neighbours: hits, databaseLabels: databaseLabels, queryLabels: test.labels,
            ks: ks, confusionK: confusionK, dims: database.bits)
        return BinaryScores(retrieval: retrieval, knn: knn)
    }

    /// Binary-code retrieval of a hashing baseline: its codes of the training set are the database,
    /// of the first `hammingQueries` test images the queries.
    public func runHamming(_ hasher: any BinaryHasher, train: Dataset, test: Dataset) throws -> HammingRun {
        let queries = test.prefix(hammingQueries)
        let start = Date()
        let report = HammingEvaluation.run(
            database: BinaryCodes(thresholding: hasher.project(train.features), at: 0), databaseLabels: train.labels,
            queries: BinaryCodes(thresholding: hasher.project(queries.features), at: 0), queryLabels: queries.labels)
        let seconds = Date().timeIntervalSince(start)
        if let prCSV { try report.curveCSV.write(toFile: prCSV, atomically: true, encoding: .utf8) }
        return HammingRun(report: report, queries: queries.count, database: train.count, seconds: seconds)
    }

    /// Raw pixels and PCA with `codeDims` components on the same split and search, named as
    /// `--model` names them; for documents TF-IDF and LSA with `codeDims` components instead.
    public func baselines(
        codeDims: Int, train: Dataset, test: Dataset, documents: Bool = false, reporter: any JobReporter
    ) throws
        -> [(name: String, report: KNNReport)]
    {
        let names = documents ? ["tfidf", "lsa:\(codeDims)"] : ["pixels", "pca:\(codeDims)"]
        let embeddings = try names.map { ($0, try Baselines.embedding($0, training: train, reporter: reporter)) }
        return embeddings.map {
            (
                $0.0,
                KNNEvaluation.run(
                    embedding: $0.1, database: train, queries: test, ks: ks, confusionK: confusionK, dataName: dataName)
            )
        }
    }
}
