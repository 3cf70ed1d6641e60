import VicinityMath

/// k-nearest-neighbour classification by majority vote.
///
/// The rule (the one the reference figures use): the class with the most
/// votes among the k nearest wins; a tie between classes goes to the tied
/// class whose member is nearest.
public enum KNNVote {
    /// The predicted label from neighbour labels ordered nearest first.
    public static func predict(_ neighbourLabels: ArraySlice<Int>) -> Int {
        var counts: [Int: Int] = [:]
        var best = 0
        for l in neighbourLabels {
            counts[l, default: 0] += 1
            best = max(best, counts[l]!)
        }
        return neighbourLabels.first { counts[$0] == best } ?? -1
    }

    /// Classification error in percent for each k, given each query's
    /// neighbours (nearest first), the database labels and the true labels.
    public static func errorPercent(neighbours: [[Neighbor]], databaseLabels: [Int],
                                    queryLabels: [Int], ks: [Int]) -> [Int: Double] {
        precondition(neighbours.count == queryLabels.count, "one neighbour list per query")
        var result: [Int: Double] = [:]
        for k in ks {
            var wrong = 0
            for (q, hits) in neighbours.enumerated() {
                let labels = hits.prefix(k).map { databaseLabels[$0.index] }
                if predict(labels[...]) != queryLabels[q] { wrong += 1 }
            }
            result[k] = queryLabels.isEmpty ? 0 : 100 * Double(wrong) / Double(queryLabels.count)
        }
        return result
    }
}
