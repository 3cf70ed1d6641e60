import Foundation
import VicinityData
import VicinityLearning
import VicinityMath
import VicinitySearch

/// kNN classification of test queries against an embedded training set.
public struct KNNReport: Sendable {
    public var model: String
    public var data: String
    public var queries: Int
    public var database: Int
    public var dims: Int
    /// Error in percent for each k.
    public var errorPercent: [Int: Double]
    public var seconds: Double

    /// The JSON object `vicinity eval --json` prints; keys are documented in the README.
    public var json: [String: Any] {
        [
            "model": model, "data": data, "queries": queries, "database": database, "dims": dims,
            "knn_error_percent": Dictionary(uniqueKeysWithValues: errorPercent.map { (String($0.key), $0.value) }),
            "seconds": seconds,
        ]
    }
}

public enum KNNEvaluation {
    public static let defaultKs = [1, 3, 5, 10]

    /// Embeds both sets, searches every query exactly (squared L2) and votes.
    public static func run(embedding: any Embedding, database: Dataset, queries: Dataset,
                           ks: [Int] = defaultKs, dataName: String) -> KNNReport {
        let start = Date()
        let base = embedding.embed(database.features)
        let query = embedding.embed(queries.features)
        let index = FlatIndex(base)
        let neighbours = index.search(query, k: ks.max() ?? 1)
        let errors = KNNVote.errorPercent(neighbours: neighbours, databaseLabels: database.labels,
                                          queryLabels: queries.labels, ks: ks)
        return KNNReport(model: embedding.name, data: dataName, queries: queries.count, database: database.count,
                         dims: embedding.outputDims, errorPercent: errors, seconds: Date().timeIntervalSince(start))
    }
}
