import Foundation
import VicinityData
import VicinityLearning
import VicinityMath
import VicinitySearch

/// kNN classification of test queries against an embedded database.
public struct KNNReport: Sendable {
    public var model: String
    public var data: String
    public var queries: Int
    public var database: Int
    public var dims: Int
    /// The scores per k, in the order asked for.
    public var ks: [Int]
    public var scores: [Int: ClassificationScores]
    /// The k whose confusion matrix the report shows.
    public var confusionK: Int
    public var seconds: Double

    /// Error in percent for each k.
    public var errorPercent: [Int: Double] { scores.mapValues(\.errorPercent) }

    /// The JSON object `vicinity eval --json` prints; keys are documented in its help.
    public var json: [String: Any] {
        func byK<T>(_ f: (ClassificationScores) -> T) -> [String: T] {
            Dictionary(uniqueKeysWithValues: scores.map { (String($0.key), f($0.value)) })
        }
        return [
            "model": model, "data": data, "queries": queries, "database": database, "dims": dims,
            "knn_error_percent": byK(\.errorPercent), "knn_errors": byK(\.errors),
            "per_class_error_percent": byK(\.perClassErrorPercent),
            "confusion": ["k": confusionK, "matrix": scores[confusionK]!.confusion],
            "seconds": seconds,
        ]
    }

    /// Each query's true label and prediction per k, as CSV (scripts/knn_eval.py --predictions writes the same).
    public func predictionsCSV(truth: [Int]) -> String {
        var lines = ["query,label," + ks.map { "k\($0)" }.joined(separator: ",")]
        for (q, t) in truth.enumerated() {
            lines.append("\(q),\(t)," + ks.map { String(scores[$0]!.predicted[q]) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table people read; scripts/knn_eval.py prints the same lines from a server's replies.
    public func table(classNames: [String]) -> String {
        var lines = ["k     errors   kNN error"]
        for k in ks {
            lines.append(String(format: "%-5d %6d   %6.2f %%", k, scores[k]!.errors, scores[k]!.errorPercent))
        }
        let s = scores[confusionK]!
        lines.append("")
        lines.append("per class at k=\(confusionK): error, then predicted counts (confusion matrix, rows = true class)")
        let header =
            "class" + String(repeating: " ", count: 14) + "error  "
            + (0..<s.confusion.count).map { String(format: "%5d", $0) }.joined()
        lines.append(header)
        for (c, row) in s.confusion.enumerated() {
            let name = "\(c) " + (c < classNames.count ? classNames[c] : "")
            lines.append(
                name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%6.2f %%", s.perClassErrorPercent[c]) + "  "
                    + row.map { String(format: "%5d", $0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

/// The classification outcome of one k: errors overall and per class, and the confusion matrix.
public struct ClassificationScores: Sendable, Equatable {
    public var errors: Int
    public var errorPercent: Double
    /// Error in percent among the queries of each true class (0 for a class with no queries).
    public var perClassErrorPercent: [Double]
    /// confusion[true][predicted] = query count.
    public var confusion: [[Int]]
    /// Each query's predicted label.
    public var predicted: [Int]

    public init(predicted: [Int], truth: [Int], classes: Int) {
        precondition(predicted.count == truth.count, "one prediction per query")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var errors = 0
        for (p, t) in zip(predicted, truth) {
            if p != t { errors += 1 }
            if t >= 0 && p >= 0 && p < classes { confusion[t][p] += 1 }
        }
        self.errors = errors
        errorPercent = truth.isEmpty ? 0 : 100 * Double(errors) / Double(truth.count)
        perClassErrorPercent = confusion.enumerated().map { c, row in
            let total = truth.lazy.filter { $0 == c }.count
            return total == 0 ? 0 : 100 * Double(total - row[c]) / Double(total)
        }
        self.confusion = confusion
        self.predicted = predicted
    }
}

public enum KNNEvaluation {
    public static let defaultKs = [1, 3, 5, 10]

    /// Embeds both sets in batches, searches every query exactly (squared L2) and votes.
    public static func run(
        embedding: any Embedding, database: Dataset, queries: Dataset,
        ks: [Int] = defaultKs, confusionK: Int? = nil, dataName: String
    ) -> KNNReport {
        let start = Date()
        var report = run(
            database: embedding.embed(database.features), databaseLabels: database.labels,
            queries: embedding.embed(queries.features), queryLabels: queries.labels,
            ks: ks, confusionK: confusionK)
        report.model = embedding.name
        report.data = dataName
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// Scores codes already computed; database rows break ties in distance.
    public static func run(
        database: Matrix, databaseLabels: [Int], queries: Matrix, queryLabels: [Int],
        ks: [Int] = defaultKs, confusionK: Int? = nil
    ) -> KNNReport {
        let start = Date()
        let neighbours = FlatIndex(database).search(queries, k: ks.max() ?? 1)
        return report(
            neighbours: neighbours, databaseLabels: databaseLabels, queryLabels: queryLabels, ks: ks,
            confusionK: confusionK, dims: database.cols, seconds: Date().timeIntervalSince(start))
    }

    /// The early-stopping figure the trainer asks for: kNN error (k=5, %) of query codes against database codes.
    public static func errorPercent(
        database: Matrix, databaseLabels: [Int], queries: Matrix, queryLabels: [Int], k: Int = 5
    ) -> Double {
        run(database: database, databaseLabels: databaseLabels, queries: queries, queryLabels: queryLabels, ks: [k])
            .errorPercent[k]!
    }

    /// Votes each query's neighbours (nearest first) for every k.
    public static func report(
        neighbours: [[Neighbor]], databaseLabels: [Int], queryLabels: [Int], ks: [Int],
        confusionK: Int?, dims: Int, seconds: Double = 0
    ) -> KNNReport {
        let classes = max((databaseLabels.max() ?? -1) + 1, (queryLabels.max() ?? -1) + 1)
        var scores: [Int: ClassificationScores] = [:]
        for k in ks {
            let predicted = neighbours.map { KNNVote.predict($0.prefix(k).map { databaseLabels[$0.index] }[...]) }
            scores[k] = ClassificationScores(predicted: predicted, truth: queryLabels, classes: classes)
        }
        let shown = confusionK.flatMap { ks.contains($0) ? $0 : nil } ?? (ks.contains(5) ? 5 : ks[0])
        return KNNReport(
            model: "", data: "", queries: queryLabels.count, database: databaseLabels.count, dims: dims,
            ks: ks, scores: scores, confusionK: shown, seconds: seconds)
    }
}
