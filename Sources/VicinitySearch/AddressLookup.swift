import VicinityCodes
import VicinityMath

/// Semantic hashing (Salakhutdinov & Hinton): for codes of at most 32 bits the code
/// itself is a table address, so a query does no search at all — it enumerates the
/// Hamming ball around its address and reads the rows stored there.
///
/// One `SubstringTable` over the whole code (direct addressing when 4·2^bits bytes is
/// smaller than the hashed layout). Rows added after the last build are scanned until
/// they exceed 1/32 of the table (at least 256), then the table is rebuilt; `remove`
/// is a tombstone. A shell of the ball with more addresses than there are rows is
/// not enumerated: the rest of the query is answered by scanning.
public struct AddressLookup: HammingSearchIndex {
    public private(set) var codes: BinaryCodes
    private var removed = Tombstones()
    var table: SubstringTable
    public private(set) var indexedRows = 0

    public init(bits: Int) { self.init(BinaryCodes(bits: bits)) }

    public init(_ codes: BinaryCodes) {
        precondition(codes.bits <= 32, "AddressLookup: codes must have at most 32 bits, got \(codes.bits)")
        precondition(codes.count < Int(UInt32.max), "AddressLookup: at most 2^32 - 1 rows")
        self.codes = codes
        table = SubstringTable(width: codes.bits, rowKeys: [])
        rebuild()
    }

    public var bits: Int { codes.bits }
    public var rowCount: Int { codes.count }
    public var count: Int { codes.count - removed.removedCount }
    public func isRemoved(_ row: Int) -> Bool { removed.contains(row) }
    public var tableMemoryBytes: Int { table.memoryBytes }

    /// Code i as a table address.
    @inline(__always) func address(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: codes.words[i]) }

    public mutating func rebuild() {
        table = SubstringTable(width: bits, rowKeys: (0..<rowCount).map(address))
        indexedRows = rowCount
    }

    public mutating func add(_ more: BinaryCodes) {
        precondition(more.bits == bits, "AddressLookup.add: codes have \(more.bits) bits, index has \(bits)")
        codes.append(contentsOf: more)
        if rowCount - indexedRows > Swift.max(256, indexedRows / 32) { rebuild() }
    }

    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        removed.insert(row)
    }

    /// Every live row within Hamming distance r of `address`, sorted by (distance, row).
    public func lookup(_ address: UInt32, radius r: Int) -> [Neighbor] {
        precondition(bits == 32 || address >> UInt32(bits) == 0, "lookup: address has bits set beyond \(bits) bits")
        return sortedNeighbors(ball(address, upTo: r, stopAt: .max))
    }

    /// Rows by growing radius around `address` until `stopAt` live rows are within the
    /// radius just finished (or radius `r` is done): packed (distance, row), unsorted.
    private func ball(_ address: UInt32, upTo r: Int, stopAt: Int) -> [UInt64] {
        var hits = [UInt64]()
        guard r >= 0 else { return hits }
        // Pending rows, bucketed by distance so they join the radius they belong to.
        var pending = [[Int]](repeating: [], count: bits + 1)
        for row in indexedRows..<rowCount where !removed.contains(row) {
            pending[(self.address(row) ^ address).nonzeroBitCount].append(row)
        }
        for s in 0...Swift.min(r, bits) {
            if binomial(bits, s) > Double(indexedRows) {
                // The next shell has more addresses than there are rows: scan instead.
                for row in 0..<indexedRows where !removed.contains(row) {
                    let d = (self.address(row) ^ address).nonzeroBitCount
                    if d >= s && d <= r { hits.append(HammingTopK.pack(d, row)) }
                }
                for d in s..<pending.count where d <= r {
                    for row in pending[d] { hits.append(HammingTopK.pack(d, row)) }
                }
                break
            }
            forEachMask(width: bits, weight: s) { mask in
                for p in table.lookup(address ^ mask) {
                    let row = Int(table.rows[p])
                    if !removed.contains(row) { hits.append(HammingTopK.pack(s, row)) }
                }
                return true
            }
            for row in pending[s] { hits.append(HammingTopK.pack(s, row)) }
            if hits.count >= stopAt { break }
        }
        return hits
    }

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "AddressLookup.search: queries have \(queries.bits) bits, index has \(bits)")
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        let k = Swift.min(k, count)
        return (0..<queries.count).map { q in
            k == 0 ? [] : Array(sortedNeighbors(ball(queries.address(q), upTo: bits, stopAt: k)).prefix(k))
        }
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "AddressLookup.search: queries have \(queries.bits) bits, index has \(bits)")
        return (0..<queries.count).map { lookup(queries.address($0), radius: r) }
    }
}

extension BinaryCodes {
    /// Code i of a ≤ 32-bit collection as an integer.
    fileprivate func address(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: words[i]) }
}
