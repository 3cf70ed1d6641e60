import Foundation
import VicinityHashing
import VicinityMath

/// Exact k-NN and radius search by multi-index hashing (Norouzi, Punjani & Fleet,
/// "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
///
/// Each code is cut into `m` disjoint contiguous substrings (widths differ by at most
/// one bit, each ≤ 32 bits) and every substring gets its own hash table from value to
/// rows (`SubstringTable`, CSR layout). By pigeonhole, a code at Hamming distance d
/// from the query has at least one substring within floor(d/m) of the query's
/// substring. A k-NN query therefore probes the tables at substring radius
/// s = 0, 1, 2, … (every value at exactly distance s from the query's substring),
/// verifies each newly seen row with a full popcount, and stops once the k-th best
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
/// finishes with a scan of the rows it has not seen yet, so large k or r never
/// cost more than about two linear scans.
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
    var tables: [SubstringTable] = []
    /// Rows 0..<indexedRows are in the tables; later rows are scanned.
    public private(set) var indexedRows = 0

    /// Below this many rows (and no explicit m) a query scans instead of probing.
    public static let minimumIndexed = 256

    public init(bits: Int, substrings: Int? = nil) {
        self.init(BinaryCodes(bits: bits), substrings: substrings)
    }

    public init(_ codes: BinaryCodes, substrings: Int? = nil) {
        precondition(codes.count < Int(UInt32.max), "MultiIndexHash: at most 2^32 - 1 rows")
        if let m = substrings {
            precondition(m >= (codes.bits + 31) / 32 && m <= codes.bits,
                         "MultiIndexHash: \(m) substrings of a \(codes.bits)-bit code; need \((codes.bits + 31) / 32)…\(codes.bits)")
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
        let pending = rowCount - indexedRows
        if (requestedSubstrings != nil || rowCount >= MultiIndexHash.minimumIndexed)
            && pending > Swift.max(MultiIndexHash.minimumIndexed, indexedRows / 32) {
            rebuild()
        }
    }

    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        removed.insert(row)
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
                    (shared.value.1 + i).initialize(to: SubstringTable(width: wd[i], rowKeys: keys))
                }
            }
        }
        tables = built.map { $0! }
        substringStarts = starts
        substringWidths = widths
        indexedRows = n
    }

    /// Per-worker scratch: a generation stamp per row marks rows already verified.
    struct Scratch {
        var stamps: [UInt32]
        var generation: UInt32 = 0
        mutating func next() {
            if generation == .max {
                for i in stamps.indices { stamps[i] = 0 }
                generation = 0
            }
            generation += 1
        }
    }

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "MultiIndexHash.search: queries have \(queries.bits) bits, index has \(bits)")
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        let k = Swift.min(k, count)
        let n = indexedRows, total = rowCount
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let ptrs = UnsafeSendable((base.baseAddress, qs.baseAddress))
                return forEachQuery(queries.count, makeScratch: { Scratch(stamps: [UInt32](repeating: 0, count: n)) }) { q, scratch in
                    guard k > 0, let x = ptrs.value.0, let qp = ptrs.value.1 else { return [] }
                    return self.knn(qp + q * codes.wordsPerCode, k: k, base: x, indexed: n, total: total, scratch: &scratch)
                }
            }
        }
    }

    private func knn(_ query: UnsafePointer<UInt64>, k: Int, base: UnsafePointer<UInt64>, indexed: Int, total: Int,
                     scratch: inout Scratch) -> [Neighbor] {
        let wpc = codes.wordsPerCode, m = tables.count
        var top = HammingTopK(k: k)
        // Rows not in the tables yet: scan them.
        for r in indexed..<total where !removed.contains(r) {
            let d = Hamming.distance(query, base + r * wpc, words: wpc)
            if d < top.bound { top.insert(d, r) }
        }
        guard m > 0, indexed > 0 else { return top.sorted() }
        scratch.next()
        let generation = scratch.generation
        let removed = self.removed
        let qsub = (0..<m).map { substring(query, start: substringStarts[$0], width: substringWidths[$0]) }
        scratch.stamps.withUnsafeMutableBufferPointer { stampBuffer in
            let stamps = stampBuffer.baseAddress!
            var s = 0
            search: while true {
                for t in 0..<m {
                    let table = tables[t], width = substringWidths[t]
                    // When one more probe radius costs more lookups than there are rows,
                    // finish by scanning the rows not seen yet (still exact).
                    if binomial(width, s) > Double(indexed) {
                        for r in 0..<indexed where stamps[r] != generation && !removed.contains(r) {
                            let d = Hamming.distance(query, base + r * wpc, words: wpc)
                            if d <= top.worstOrMax { top.insert(d, r) }
                        }
                        break search
                    }
                    if s <= width {
                        table.rows.withUnsafeBufferPointer { rows in
                            forEachMask(width: width, weight: s) { mask in
                                for p in table.lookup(qsub[t] ^ mask) {
                                    let r = Int(rows[p])
                                    if stamps[r] == generation { continue }
                                    stamps[r] = generation
                                    let d = Hamming.distance(query, base + r * wpc, words: wpc)
                                    if d <= top.worstOrMax && !removed.contains(r) { top.insert(d, r) }
                                }
                                return true
                            }
                        }
                    }
                    // Table t is exhausted: every indexed row has been seen.
                    if s >= width { break search }
                    // Unseen rows are at distance ≥ m·s + t + 1.
                    if top.isFull && top.worstDistance <= m * s + t { break search }
                }
                s += 1
            }
        }
        return top.sorted()
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "MultiIndexHash.search: queries have \(queries.bits) bits, index has \(bits)")
        let n = indexedRows, total = rowCount, wpc = codes.wordsPerCode, m = tables.count
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let ptrs = UnsafeSendable((base.baseAddress, qs.baseAddress))
                return forEachQuery(queries.count, makeScratch: { Scratch(stamps: [UInt32](repeating: 0, count: n)) }) { q, scratch in
                    guard r >= 0, let x = ptrs.value.0, let qp = ptrs.value.1 else { return [] }
                    let query = qp + q * wpc
                    var hits = [UInt64]()
                    for row in n..<total where !removed.contains(row) {
                        let d = Hamming.distance(query, x + row * wpc, words: wpc)
                        if d <= r { hits.append(HammingTopK.pack(d, row)) }
                    }
                    guard m > 0, n > 0 else { return sortedNeighbors(hits) }
                    scratch.next()
                    let generation = scratch.generation
                    let qsub = (0..<m).map { substring(query, start: substringStarts[$0], width: substringWidths[$0]) }
                    let maxS = Swift.min(r / m, substringWidths.max()!)
                    let probes = substringWidths.reduce(0.0) { sum, w in sum + (0...maxS).reduce(0.0) { $0 + binomial(w, $1) } }
                    if probes > Double(n) {
                        // Enumerating the balls would cost more than scanning: scan.
                        for row in 0..<n where !removed.contains(row) {
                            let d = Hamming.distance(query, x + row * wpc, words: wpc)
                            if d <= r { hits.append(HammingTopK.pack(d, row)) }
                        }
                        return sortedNeighbors(hits)
                    }
                    scratch.stamps.withUnsafeMutableBufferPointer { stamps in
                        for t in 0..<m {
                            let table = tables[t], width = substringWidths[t]
                            for s in 0...Swift.min(r / m, width) {
                                forEachMask(width: width, weight: s) { mask in
                                    for p in table.lookup(qsub[t] ^ mask) {
                                        let row = Int(table.rows[p])
                                        if stamps[row] == generation { continue }
                                        stamps[row] = generation
                                        let d = Hamming.distance(query, x + row * wpc, words: wpc)
                                        if d <= r && !removed.contains(row) { hits.append(HammingTopK.pack(d, row)) }
                                    }
                                    return true
                                }
                            }
                        }
                    }
                    return sortedNeighbors(hits)
                }
            }
        }
    }
}

extension HammingTopK {
    /// The largest distance that could still enter: the worst kept one when full.
    @inline(__always) var worstOrMax: Int { isFull ? worstDistance : .max }
}
