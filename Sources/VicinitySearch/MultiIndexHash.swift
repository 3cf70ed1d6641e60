import Foundation
import VicinityCodes
import VicinityMath

/// Exact k-NN and radius search by multi-index hashing (Norouzi, Punjani & Fleet,
/// "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
///
/// Each code is cut into `m` disjoint contiguous substrings (widths differ by at most
/// one bit, each ≤ 32 bits) and every substring gets its own hash table from value to
/// rows (`SubstringTable`, CSR layout, with a copy of each row's code beside its
/// row number so that checking a bucket reads memory in sequence). By pigeonhole, a code at Hamming distance d
/// from the query has at least one substring within floor(d/m) of the query's
/// substring. A k-NN query therefore probes the tables at substring radius
/// s = 0, 1, 2, … (every value at exactly distance s from the query's substring),
/// verifies each row it reaches with a full popcount (`Probe`), and stops once the k-th best
/// distance is below what any unseen row can reach: after radius s is done in tables
/// 0…t and radius s−1 in the rest, an unseen row has distance ≥ m·s + t + 1.
/// Because unseen rows are strictly farther, the result is exactly the linear scan's,
/// tie order (distance, row) included. A radius-r query probes every table to
/// radius floor(r/m).
///
/// Choice of m (when not given): m = round(bits / log2(n)), the paper's
/// recommendation (substrings of about log2(n) bits, so a bucket holds O(1) rows),
/// clamped to at least ceil(bits/32) (substrings fit in 32 bits) and at most bits.
/// Below `minimumIndexed` rows with no explicit m the index just scans. Whenever
/// the next probe radius would take more lookups than there are rows, the query
/// starts over with a scan of every row, so large k or r never cost more than
/// about two linear scans.
///
/// Memory: per table 4 bytes (row) + the code's bytes per row, plus the bucket
/// offsets; for 10M 64-bit codes with m = 3 that is 364 MiB beside 76 MiB of codes.
/// The copies are what make it fast on clustered data (thousands of rows checked
/// per query, each a cache miss when read from the row-ordered codes).
///
/// Incremental use: rows added after the last build are kept aside and scanned
/// linearly; the tables are rebuilt once those exceed 1/32 of the indexed rows (at
/// least 256), or on `rebuild()`. `remove` is a tombstone; removed rows stay in the
/// tables and are skipped when seen.
public struct MultiIndexHash: HammingSearchIndex {
    public private(set) var codes: BinaryCodes
    private var removed = Tombstones()
    /// The requested number of substrings, or nil to choose from the row count.
    public let requestedSubstrings: Int?
    /// Start bit and width of each substring in use (empty when scanning).
    public private(set) var substringStarts: [Int] = []
    public private(set) var substringWidths: [Int] = []
    var tables: [SubstringTable] = [] {
        // A view stays valid while its table's memory is unchanged; a change may give the
        // table new memory (a copy shared with another index), so views are made afresh.
        didSet { views = tables.map(\.view) }
    }
    private var views: [SubstringTable.View] = []
    /// Rows 0..<indexedRows are in the tables (except `looseRows`); later rows are scanned.
    public private(set) var indexedRows = 0
    /// Rows below `indexedRows` that are not in the tables: a row not yet indexed that
    /// `removeSwappingLast` moved there. Scanned, like the rows past `indexedRows`.
    public private(set) var looseRows: [Int] = []

    /// Below this many rows (and no explicit m) a query scans instead of probing.
    public static let minimumIndexed = 256

    public init(bits: Int, substrings: Int? = nil) {
        self.init(BinaryCodes(bits: bits), substrings: substrings)
    }

    public init(_ codes: BinaryCodes, substrings: Int? = nil) {
        precondition(codes.count < Int(UInt32.max), "MultiIndexHash: at most 2^32 - 1 rows")
        if let m = substrings {
            precondition(
                m >= (codes.bits + 31) / 32 && m <= codes.bits,
                "MultiIndexHash: \(m) substrings of a \(codes.bits)-bit code; need \((codes.bits + 31) / 32)…\(codes.bits)"
            )
        }
        self.codes = codes
        self.requestedSubstrings = substrings
        rebuild()
    }

    /// The substring count the paper's rule gives for `count` rows of `bits` bits.
    public static func defaultSubstrings(bits: Int, count: Int) -> Int {
        let logN = Swift.max(1.0, log2(Double(Swift.max(count, 2))))
        let m = Int((Double(bits) / logN).rounded())
        return Swift.min(bits, Swift.max((bits + 31) / 32, m))
    }

    public var bits: Int { codes.bits }
    public var rowCount: Int { codes.count }
    public var count: Int { codes.count - removed.removedCount }
    public var substrings: Int { substringWidths.count }
    public func isRemoved(_ row: Int) -> Bool { removed.contains(row) }

    /// Bytes held by the substring tables (the codes themselves not included).
    public var tableMemoryBytes: Int { tables.reduce(0) { $0 + $1.memoryBytes } }

    public mutating func add(_ more: BinaryCodes) {
        precondition(more.bits == bits, "MultiIndexHash.add: codes have \(more.bits) bits, index has \(bits)")
        precondition(codes.count + more.count < Int(UInt32.max), "MultiIndexHash: at most 2^32 - 1 rows")
        codes.append(contentsOf: more)
        let pending = rowCount - indexedRows + looseRows.count
        if (requestedSubstrings != nil || rowCount >= MultiIndexHash.minimumIndexed)
            && pending > Swift.max(MultiIndexHash.minimumIndexed, indexedRows / 32)
        {
            rebuild()
        }
    }

    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        removed.insert(row)
    }

    /// Removes `row` and moves the last row into its place, as the store does on DEL, without a
    /// rebuild: `row`'s table entries are marked removed (their row set past the end) and the
    /// last row's entries renamed; a last row that was not in the tables becomes a loose row.
    public mutating func removeSwappingLast(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "removeSwappingLast: row \(row) outside 0..<\(rowCount)")
        precondition(removed.isEmpty, "removeSwappingLast and tombstones do not mix")
        let last = rowCount - 1
        let rowLoose = looseRows.firstIndex(of: row).map { looseRows.remove(at: $0) } != nil
        let lastLoose = last != row && looseRows.firstIndex(of: last).map { looseRows.remove(at: $0) } != nil
        let rowInTables = row < indexedRows && !rowLoose
        let lastInTables = last != row && last < indexedRows && !lastLoose
        let wpc = codes.wordsPerCode
        codes.words.withUnsafeBufferPointer { base in
            for t in tables.indices {
                func key(_ r: Int) -> UInt32 {
                    substring(base.baseAddress! + r * wpc, start: substringStarts[t], width: substringWidths[t])
                }
                if rowInTables { tables[t].rename(row, key: key(row), to: nil) }
                if lastInTables { tables[t].rename(last, key: key(last), to: row) }
            }
        }
        if last != row && !lastInTables && row < indexedRows { looseRows.append(row) }
        codes.swapRemove(row)
        indexedRows = Swift.min(indexedRows, rowCount)
    }

    /// Re-indexes every row (choosing m afresh unless it was given).
    public mutating func rebuild() {
        let n = rowCount
        guard requestedSubstrings != nil || n >= MultiIndexHash.minimumIndexed else {
            tables = []; substringStarts = []; substringWidths = []; indexedRows = 0
            return
        }
        let m = requestedSubstrings ?? MultiIndexHash.defaultSubstrings(bits: bits, count: n)
        var starts = [Int](), widths = [Int]()
        var start = 0
        for i in 0..<m {
            let w = bits / m + (i < bits % m ? 1 : 0)
            starts.append(start); widths.append(w)
            start += w
        }
        let (st, wd) = (starts, widths)
        var built = [SubstringTable?](repeating: nil, count: m)
        let wpc = codes.wordsPerCode
        codes.words.withUnsafeBufferPointer { x in
            built.withUnsafeMutableBufferPointer { out in
                let shared = UnsafeSendable((x.baseAddress, out.baseAddress!))
                parallelFor(m) { i in
                    var keys = [UInt32](repeating: 0, count: n)
                    if let base = shared.value.0 {
                        for r in 0..<n { keys[r] = substring(base + r * wpc, start: st[i], width: wd[i]) }
                    }
                    var table = SubstringTable(width: wd[i], rowKeys: keys)
                    if let base = shared.value.0 { table.copyCodes(from: base, wordsPerCode: wpc) }
                    (shared.value.1 + i).initialize(to: table)
                }
            }
        }
        tables = built.map { $0! }
        looseRows = []
        substringStarts = starts
        substringWidths = widths
        indexedRows = n
    }

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        search(queries, k: k, filter: nil, excluding: nil)
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        search(queries, radius: r, filter: nil, excluding: nil)
    }

    /// k-NN among the rows a filter lets through (all when nil), never returning `excluding`.
    public func search(_ queries: BinaryCodes, k: Int, filter: RowFilter?, excluding: Int?) -> [[Neighbor]] {
        precondition(
            queries.bits == bits, "MultiIndexHash.search: queries have \(queries.bits) bits, index has \(bits)")
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        let k = Swift.min(k, filter?.count ?? count)
        return withProbe(queries, filter, excluding) { probe, query in k > 0 ? probe.knn(query, k: k) : [] }
    }

    public func search(_ queries: BinaryCodes, radius r: Int, filter: RowFilter?, excluding: Int?) -> [[Neighbor]] {
        precondition(
            queries.bits == bits, "MultiIndexHash.search: queries have \(queries.bits) bits, index has \(bits)")
        return withProbe(queries, filter, excluding) { probe, query in r >= 0 ? probe.within(query, radius: r) : [] }
    }

    /// Runs `body` for every query (split over the cores) with a `Probe` over this
    /// index's memory.
    private func withProbe(
        _ queries: BinaryCodes, _ filter: RowFilter?, _ excluding: Int?,
        _ body: @Sendable (borrowing Probe, UnsafePointer<UInt64>) -> [Neighbor]
    ) -> [[Neighbor]] {
        let wpc = codes.wordsPerCode
        guard queries.count > 0, rowCount > 0 else { return [[Neighbor]](repeating: [], count: queries.count) }
        // What the probe needs, read first: a closure that read it from `self` copied the index.
        let (indexed, total, loose, removed, starts, widths) = (
            indexedRows, rowCount, looseRows, removed, substringStarts, substringWidths
        )
        let views = indexed > 0 ? views : []
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let probe = Probe(
                    base: base.baseAddress!, wordsPerCode: wpc, indexed: indexed, total: total, loose: loose,
                    removed: removed, tables: views, starts: starts, widths: widths,
                    filter: filter, excluding: excluding)
                let shared = UnsafeSendable((probe, qs.baseAddress!))
                return forEachQuery(queries.count, makeScratch: { () }) { q, _ in
                    body(shared.value.0, shared.value.1 + q * wpc)
                }
            }
        }
    }
}

extension HammingTopK {
    /// The largest distance that could still enter: the worst kept one when full.
    @inline(__always) var worstOrMax: Int { isFull ? worstDistance : .max }
}
