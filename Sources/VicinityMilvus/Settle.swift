import VicinitySearch

/// Turns Milvus's hits into the local engine's exact answer. Milvus orders ties arbitrarily and
/// its float sums round differently from Vicinity's kernel, so the k nearest it reports may not
/// be Vicinity's k nearest at the boundary. Each query therefore gathers every item that could
/// be in the exact answer — all within a bound of Milvus's k-th distance — from the first search
/// when it reached past the bound, else from a range search up to the bound, and orders them
/// itself: by Vicinity's own distance, then by row.
public enum Settle {
    /// What a search returns: the nearest `limit` hits, or with `range` those with
    /// `range.filter ≤ distance < range.radius` (filter nil: from 0), at most `limit`.
    public typealias Search = (_ limit: Int, _ range: (radius: Float, filter: Float?)?) throws -> [MilvusHit]

    /// Relative slack between Milvus's and Vicinity's squared L2 of the same pair: both sum the
    /// same float32 squares in another order, which differs by a few ulps (2.1e-7 relative
    /// measured); 1e-4 is far beyond that, and costs only a few more candidates.
    public static let l2Slack: Float = 1e-4

    /// The first search's size for k wanted: room past k, so that usually no range search is needed.
    public static func firstLimit(_ k: Int, cap: Int) -> Int { min(cap, 2 * k + 10) }

    /// KNN: the k nearest by `distance` (Vicinity's kernel on a hit's vector), ties by row.
    public static func knn(
        k: Int, excluding: String?, cap: Int, search: Search, distance: (MilvusHit) -> Float
    ) throws -> [MilvusHit] {
        let limit = firstLimit(k + (excluding == nil ? 0 : 1), cap: cap)
        var hits = try search(limit, nil)
        if let kth = kth(hits, k: k, excluding: excluding) {
            let bound = kth + kth * l2Slack + Float.leastNormalMagnitude
            if !isComplete(hits, limit: limit, through: bound) {
                hits = try search(cap, (bound.nextUp, nil))
                guard hits.count < cap else { throw SettleError.tooMany(cap) }
            }
        }
        return ordered(
            hits.map { h in
                var h = h; h.distance = distance(h); return h
            }, k: k, excluding: excluding)
    }

    /// HAMMING: the k nearest, ties by row. Distances are exact integers, so only the items tied
    /// at the k-th distance are in doubt; those come from a range search of exactly that distance.
    public static func hamming(k: Int, excluding: String?, cap: Int, search: Search) throws -> [MilvusHit] {
        let limit = firstLimit(k + (excluding == nil ? 0 : 1), cap: cap)
        var hits = try search(limit, nil)
        if let kth = kth(hits, k: k, excluding: excluding), !isComplete(hits, limit: limit, through: kth) {
            let tied = try search(cap, (kth + 1, kth))
            guard tied.count < cap else { throw SettleError.tooMany(cap) }
            hits = hits.filter { $0.distance < kth } + tied
        }
        return ordered(hits, k: k, excluding: excluding)
    }

    /// The k-th smallest distance among the hits that count, nil when there are fewer than k.
    static func kth(_ hits: [MilvusHit], k: Int, excluding: String?) -> Float? {
        let distances = hits.lazy.filter { $0.id != excluding }.map(\.distance).sorted()
        return distances.count >= k && k > 0 ? distances[k - 1] : nil
    }

    /// Whether a top-`limit` search holds every item within `bound`: it found fewer than it
    /// could (the collection has no more), or some hit lies beyond the bound, so none left out is within.
    static func isComplete(_ hits: [MilvusHit], limit: Int, through bound: Float) -> Bool {
        hits.count < limit || hits.contains { $0.distance > bound }
    }

    /// Hits in the local engine's order: distance, then row; each id once; the excluded one out.
    static func ordered(_ hits: [MilvusHit], k: Int, excluding: String?) -> [MilvusHit] {
        var seen = Set<String>()
        let unique = hits.filter { $0.id != excluding && seen.insert($0.id).inserted }
        return Array(unique.sorted { ($0.distance, $0.row) < ($1.distance, $1.row) }.prefix(k))
    }
}

/// Why a query could not be settled (a failed search throws its own error).
public enum SettleError: Error, Equatable {
    /// More items than Milvus returns from one search lie within the bound.
    case tooMany(Int)
}
