import VicinityCodes
import VicinityMath

/// The oracle: scores every live row with the bit-by-bit reference kernel
/// (`Hamming.naiveDistance`) and sorts. Slow on purpose; tests compare the fast
/// indexes against it.
public struct BruteForceHamming: HammingSearchIndex {
    public private(set) var codes: BinaryCodes
    private var removed = Tombstones()

    public init(bits: Int) { codes = BinaryCodes(bits: bits) }
    public init(_ codes: BinaryCodes) { self.codes = codes }

    public var bits: Int { codes.bits }
    public var rowCount: Int { codes.count }
    public var count: Int { codes.count - removed.removedCount }
    public func isRemoved(_ row: Int) -> Bool { removed.contains(row) }

    public mutating func add(_ more: BinaryCodes) { codes.append(contentsOf: more) }

    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        removed.insert(row)
    }

    /// All live rows scored against query q of `queries`, sorted by (distance, row).
    public func ranked(_ queries: BinaryCodes, _ q: Int) -> [Neighbor] {
        precondition(queries.bits == bits, "BruteForceHamming: queries have \(queries.bits) bits, index has \(bits)")
        let query = queries.code(q)
        return (0..<rowCount).filter { !removed.contains($0) }
            .map { Neighbor(distance: Float(Hamming.naiveDistance(query, codes.code($0), bits: bits)), index: $0) }
            .sorted(by: Neighbor.precedes)
    }

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        return (0..<queries.count).map { Array(ranked(queries, $0).prefix(k)) }
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        (0..<queries.count).map { q in ranked(queries, q).filter { $0.distance <= Float(r) } }
    }
}
