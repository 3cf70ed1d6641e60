import Foundation
import Synchronization
import VicinityData
import VicinityLearning
import VicinityMath

/// Document retrieval as the autoencoder lecture scores it: each test document ranks every
/// training document by the cosine of their codes (ties by row); a retrieved document is relevant
/// when it has the query's label. Precision at a recall point R is the precision of the shortest
/// list that holds ⌈R · relevant⌉ relevant documents, averaged over queries that have any.
public struct RetrievalReport: Sendable {
    /// The seed's recall points (0.1 % … 100 %), as fractions.
    public static let recallPoints: [Double] = [0.001, 0.004, 0.016, 0.064, 0.25, 1]

    public var name: String
    public var dims: Int
    public var queries: Int
    public var database: Int
    /// Percent, one per recall point.
    public var precisionPercent: [Double]
    public var mapPercent: Double

    /// The `precision_at_recall` object of `vicinity eval --json`: recall percent → precision percent.
    public var json: [String: Any] {
        [
            "dims": dims, "queries": queries, "database": database, "map_percent": mapPercent,
            "precision_at_recall": Dictionary(
                uniqueKeysWithValues: zip(Self.recallPoints, precisionPercent).map { (Self.label($0.0), $0.1) }),
        ]
    }

    /// "0.1", "0.4", "1.6", "6.4", "25", "100": a recall point as a percent.
    public static func label(_ recall: Double) -> String {
        let p = recall * 100
        return p == p.rounded() ? String(Int(p)) : String(format: "%g", p)
    }
}

public enum DocumentRetrieval {
    /// Ranks `database` for the first `queryCount` rows of `queries` by cosine similarity.
    public static func run(
        name: String, database: Matrix, databaseLabels: [Int], queries: Matrix, queryLabels: [Int],
        queryCount: Int
    ) -> RetrievalReport {
        precondition(database.cols == queries.cols, "retrieval: database and queries differ in dims")
        var normalised = database
        normalised.normaliseRows()
        let m = min(queryCount, queries.rows)
        var normalisedQueries = queries.rows(in: 0..<m)
        normalisedQueries.normaliseRows()
        let (base, q) = (normalised, normalisedQueries)
        let points = RetrievalReport.recallPoints
        let results = Mutex([(precision: [Double], ap: Double)?](repeating: nil, count: m))
        let block = 64
        parallelFor((m + block - 1) / block) { b in
            let rows = (b * block)..<min((b + 1) * block, m)
            var sims = Matrix(rows: rows.count, cols: base.rows)
            Matrix.gemm(q.rows(in: rows), .none, base, .transposed, serial: true, into: &sims)
            var scored: [(precision: [Double], ap: Double)?] = []
            for (i, query) in rows.enumerated() {
                let s = Array(sims.storage[(i * base.rows)..<((i + 1) * base.rows)])
                scored.append(score(similarities: s, labels: databaseLabels, label: queryLabels[query], points: points))
            }
            results.withLock { r in for (i, query) in rows.enumerated() { r[query] = scored[i] } }
        }
        let answered = results.withLock { $0.compactMap { $0 } }
        let n = Double(max(answered.count, 1))
        return RetrievalReport(
            name: name, dims: database.cols, queries: answered.count, database: database.rows,
            precisionPercent: points.indices.map { p in 100 * answered.reduce(0) { $0 + $1.precision[p] } / n },
            mapPercent: 100 * answered.reduce(0) { $0 + $1.ap } / n)
    }

    /// One query's precision at each recall point and its average precision; nil when no
    /// database document shares its label.
    static func score(similarities s: [Float], labels: [Int], label: Int, points: [Double]) -> (
        precision: [Double], ap: Double
    )? {
        let relevant = labels.reduce(0) { $0 + ($1 == label ? 1 : 0) }
        guard relevant > 0 else { return nil }
        let order = s.indices.sorted { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }
        let needed = points.map { max(1, Int(($0 * Double(relevant)).rounded(.up))) }
        var precision = [Double](repeating: 0, count: points.count)
        var found = 0, next = 0
        var apSum = 0.0
        for (rank, row) in order.enumerated() where labels[row] == label {
            found += 1
            apSum += Double(found) / Double(rank + 1)
            while next < needed.count && needed[next] == found {
                precision[next] = Double(found) / Double(rank + 1)
                next += 1
            }
            if found == relevant { break }
        }
        return (precision, apSum / Double(relevant))
    }
}

extension DocumentRetrieval {
    /// Retrieval figures of `embedding` and, with `baselines`, of TF-IDF and LSA of its code size,
    /// on the first `queries` test documents against the training split (eval's table, plot pr's curves).
    public static func withBaselines(
        _ embedding: any Embedding, name: String, train: Dataset, test: Dataset, queries: Int, baselines: Bool,
        reporter: any JobReporter
    ) throws -> [RetrievalReport] {
        var embeddings: [(String, any Embedding)] = [(name, embedding)]
        if baselines {
            for spec in ["tfidf", "lsa:\(embedding.outputDims)"] where spec != name {
                embeddings.append((spec, try Baselines.embedding(spec, training: train, reporter: reporter)))
            }
        }
        let queryDocs = test.prefix(queries)
        return embeddings.map { name, e in
            reporter.note("ranking \(train.count) training documents for \(queryDocs.count) queries by \(name)…")
            return DocumentRetrieval.run(
                name: name, database: e.embed(train.features), databaseLabels: train.labels,
                queries: e.embed(queryDocs.features), queryLabels: queryDocs.labels, queryCount: queryDocs.count)
        }
    }
}
