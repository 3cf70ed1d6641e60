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
}
