import VicinityCodes
import VicinityMath

/// Retrieval quality of binary codes: every query ranks the whole database by
/// Hamming distance (ties by database row), relevance = same class.
public struct HammingReport: Sendable {
    public var bits: Int
    public var queries: Int
    public var database: Int
    /// Mean average precision over the full ranking, percent.
    public var mapPercent: Double
    /// Mean precision among items within Hamming radius 2 (a query with an empty ball counts 0), percent.
    public var precisionRadius2Percent: Double
    /// Mean precision of the first k in the ranking, percent, per k.
    public var precisionAt: [Int: Double]
    /// Per radius r = 0…bits: mean precision and recall of the ball of radius r (macro-averaged;
    /// an empty ball has precision 0).
    public var curve: [(radius: Int, precision: Double, recall: Double)]

    public var json: [String: Any] {
        [
            "bits": bits, "queries": queries, "database": database, "map_percent": mapPercent,
            "precision_radius2_percent": precisionRadius2Percent,
            "precision_at_percent": Dictionary(uniqueKeysWithValues: precisionAt.map { (String($0.key), $0.value) }),
        ]
    }

    /// The precision–recall curve as CSV: radius,precision,recall.
    public var curveCSV: String {
        "radius,precision,recall\n" + curve.map { "\($0.radius),\($0.precision),\($0.recall)" }.joined(separator: "\n")
            + "\n"
    }
}

public enum HammingEvaluation {
    public static let defaultPrecisionKs = [10, 100]

    public static func run(
        database: BinaryCodes, databaseLabels: [Int], queries: BinaryCodes, queryLabels: [Int],
        precisionKs: [Int] = defaultPrecisionKs
    ) -> HammingReport {
        precondition(database.bits == queries.bits, "database and queries differ in bits")
        let bits = database.bits, n = database.count, wpc = database.wordsPerCode
        let perQuery: [PerQuery] = database.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let shared = UnsafeSendable((base.baseAddress!, qs.baseAddress!))
                return parallelMap(queries.count) { q in
                    let (x, qp) = shared.value
                    return score(
                        qp + q * wpc, label: queryLabels[q], codes: x, count: n, wordsPerCode: wpc, bits: bits,
                        labels: databaseLabels, precisionKs: precisionKs)
                }
            }
        }
        let m = Double(max(perQuery.count, 1))
        var curve: [(Int, Double, Double)] = []
        for r in 0...bits {
            curve.append(
                (r, perQuery.reduce(0) { $0 + $1.precision[r] } / m, perQuery.reduce(0) { $0 + $1.recall[r] } / m))
        }
        var precisionAt: [Int: Double] = [:]
        for (t, k) in precisionKs.enumerated() { precisionAt[k] = 100 * perQuery.reduce(0) { $0 + $1.pk[t] } / m }
        return HammingReport(
            bits: bits, queries: queries.count, database: n,
            mapPercent: 100 * perQuery.reduce(0) { $0 + $1.ap } / m,
            precisionRadius2Percent: 100 * perQuery.reduce(0) { $0 + $1.p2 } / m,
            precisionAt: precisionAt, curve: curve)
    }

    /// One query's average precision, precision at each k and per-radius precision and recall;
    /// a counting sort by distance keeps rows ascending within each distance.
    private static func score(
        _ query: UnsafePointer<UInt64>, label: Int, codes: UnsafePointer<UInt64>, count: Int, wordsPerCode: Int,
        bits: Int, labels: [Int], precisionKs: [Int]
    ) -> PerQuery {
        var total = [Int](repeating: 0, count: bits + 1)
        var relevant = [Int](repeating: 0, count: bits + 1)
        var distances = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let d = Hamming.distance(query, codes + i * wordsPerCode, words: wordsPerCode)
            distances[i] = d
            total[d] += 1
            if labels[i] == label { relevant[d] += 1 }
        }
        let allRelevant = relevant.reduce(0, +)
        // Average precision: walk the ranking bucket by bucket, rows in order.
        var offsets = [Int](repeating: 0, count: bits + 1)
        for d in 1...max(bits, 1) where d <= bits { offsets[d] = offsets[d - 1] + total[d - 1] }
        var order = [Int](repeating: 0, count: count)
        var fill = offsets
        for i in 0..<count { order[fill[distances[i]]] = i; fill[distances[i]] += 1 }
        var found = 0, sum = 0.0
        var pk = [Double](repeating: 0, count: precisionKs.count)
        for (rank, i) in order.enumerated() {
            if labels[i] == label { found += 1; sum += Double(found) / Double(rank + 1) }
            for (t, k) in precisionKs.enumerated() where rank + 1 == k { pk[t] = Double(found) / Double(k) }
        }
        let ap = allRelevant == 0 ? 0 : sum / Double(allRelevant)
        var precision = [Double](repeating: 0, count: bits + 1), recall = precision
        var inBall = 0, relInBall = 0
        for r in 0...bits {
            inBall += total[r]; relInBall += relevant[r]
            precision[r] = inBall == 0 ? 0 : Double(relInBall) / Double(inBall)
            recall[r] = allRelevant == 0 ? 0 : Double(relInBall) / Double(allRelevant)
        }
        return PerQuery(ap: ap, p2: precision[min(2, bits)], pk: pk, precision: precision, recall: recall)
    }
}

private struct PerQuery: Sendable {
    var ap: Double
    var p2: Double
    var pk: [Double]
    var precision: [Double]
    var recall: [Double]
}
