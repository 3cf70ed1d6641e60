import VicinityCodes
import VicinityMath

/// Exact Hamming search by linear scan: every live row is scored with a popcount
/// kernel specialised for the code width (`Hamming.distances`, unrolled for 64, 128
/// and 256 bits), block by block into a small distance buffer, and the buffer is then
/// screened against the current k-th distance so the heap is touched only by rows
/// that would enter it. Batches of queries are split over the cores.
public struct HammingIndex: HammingSearchIndex {
    public private(set) var codes: BinaryCodes
    private var removed = Tombstones()

    /// Codes scored per kernel call: 4096 distances of 2 bytes stay in L1.
    static let block = 4096

    public init(bits: Int) { codes = BinaryCodes(bits: bits) }
    public init(_ codes: BinaryCodes) {
        precondition(codes.count < Int(UInt32.max), "HammingIndex: at most 2^32 - 1 rows")
        self.codes = codes
    }

    public var bits: Int { codes.bits }
    public var rowCount: Int { codes.count }
    public var count: Int { codes.count - removed.removedCount }
    public func isRemoved(_ row: Int) -> Bool { removed.contains(row) }

    public mutating func add(_ more: BinaryCodes) {
        precondition(more.bits == bits, "HammingIndex.add: codes have \(more.bits) bits, index has \(bits)")
        precondition(codes.count + more.count < Int(UInt32.max), "HammingIndex: at most 2^32 - 1 rows")
        codes.append(contentsOf: more)
    }

    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        removed.insert(row)
    }

    /// Queries that share each database block while it is in cache: a block of
    /// 4096 codes is scored against every query of a tile before the next block is
    /// read, so long codes (256 bits = 128 KiB a block) come from memory once per tile.
    static let queryTile = 64

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "HammingIndex.search: queries have \(queries.bits) bits, index has \(bits)")
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        let k = min(k, count)
        let n = rowCount, wpc = codes.wordsPerCode
        let nq = queries.count
        var results = [[Neighbor]](repeating: [], count: nq)
        guard k > 0, nq > 0 else { return results }
        let tiles = (nq + Self.queryTile - 1) / Self.queryTile
        codes.words.withUnsafeBufferPointer { base in
        queries.words.withUnsafeBufferPointer { qs in
        results.withUnsafeMutableBufferPointer { out in
            let shared = UnsafeSendable((base.baseAddress!, qs.baseAddress!, out.baseAddress!))
            let removed = self.removed
            parallelFor(tiles) { tile in
                let (x, qp, out) = shared.value
                let q0 = tile * Self.queryTile, q1 = min(q0 + Self.queryTile, nq)
                var tops = [HammingTopK](repeating: HammingTopK(k: k), count: q1 - q0)
                var bounds = [Int](repeating: .max, count: q1 - q0)
                for b0 in stride(from: 0, to: n, by: Self.block) {
                    let nb = min(Self.block, n - b0)
                    let block = x + b0 * wpc
                    var first = q0
                    // 256-bit codes, two queries per pass: each code's words are loaded
                    // once for both, and the two popcount chains run side by side.
                    while wpc == 4 && first + 2 <= q1 {
                        let t = first - q0
                        let a = qp + first * 4, c = a + 4
                        let (a0, a1, a2, a3) = (a[0], a[1], a[2], a[3])
                        let (c0, c1, c2, c3) = (c[0], c[1], c[2], c[3])
                        var boundA = bounds[t], boundC = bounds[t + 1]
                        for j in 0..<nb {
                            let p = block + 4 * j
                            let (w0, w1, w2, w3) = (p[0], p[1], p[2], p[3])
                            let dA = ((w0 ^ a0).nonzeroBitCount &+ (w1 ^ a1).nonzeroBitCount)
                                &+ ((w2 ^ a2).nonzeroBitCount &+ (w3 ^ a3).nonzeroBitCount)
                            let dC = ((w0 ^ c0).nonzeroBitCount &+ (w1 ^ c1).nonzeroBitCount)
                                &+ ((w2 ^ c2).nonzeroBitCount &+ (w3 ^ c3).nonzeroBitCount)
                            if dA < boundA && !(!removed.isEmpty && removed.contains(b0 + j)) {
                                tops[t].insert(dA, b0 + j)
                                boundA = tops[t].bound
                            }
                            if dC < boundC && !(!removed.isEmpty && removed.contains(b0 + j)) {
                                tops[t + 1].insert(dC, b0 + j)
                                boundC = tops[t + 1].bound
                            }
                        }
                        bounds[t] = boundA
                        bounds[t + 1] = boundC
                        first += 2
                    }
                    for q in first..<q1 {
                        let t = q - q0
                        let query = qp + q * wpc
                        // Score and screen in one pass; the popcount kernel is picked by width.
                        @inline(__always) func screen(_ distance: (Int) -> Int) {
                            var bound = bounds[t]
                            @inline(__always) func offer(_ dist: Int, _ j: Int) {
                                if dist < bound && !(!removed.isEmpty && removed.contains(b0 + j)) {
                                    tops[t].insert(dist, b0 + j)
                                    bound = tops[t].bound
                                }
                            }
                            var j = 0
                            // Four codes per step, one branch when none of them can enter.
                            while j + 4 <= nb {
                                let d0 = distance(j), d1 = distance(j + 1), d2 = distance(j + 2), d3 = distance(j + 3)
                                if min(min(d0, d1), min(d2, d3)) < bound {
                                    offer(d0, j); offer(d1, j + 1); offer(d2, j + 2); offer(d3, j + 3)
                                }
                                j += 4
                            }
                            while j < nb { offer(distance(j), j); j += 1 }
                            bounds[t] = bound
                        }
                        switch wpc {
                        case 1:
                            let a = query[0]
                            screen { (block[$0] ^ a).nonzeroBitCount }
                        case 2:
                            let a = query[0], b = query[1]
                            screen { let c = block + 2 * $0; return (c[0] ^ a).nonzeroBitCount &+ (c[1] ^ b).nonzeroBitCount }
                        case 4:
                            let a = query[0], b = query[1], c = query[2], e = query[3]
                            screen {
                                let p = block + 4 * $0
                                return ((p[0] ^ a).nonzeroBitCount &+ (p[1] ^ b).nonzeroBitCount)
                                    &+ ((p[2] ^ c).nonzeroBitCount &+ (p[3] ^ e).nonzeroBitCount)
                            }
                        default:
                            screen { j in
                                let p = block + wpc * j
                                var d = 0
                                for w in 0..<wpc { d &+= (p[w] ^ query[w]).nonzeroBitCount }
                                return d
                            }
                        }
                    }
                }
                for q in q0..<q1 { out[q] = tops[q - q0].sorted() }
            }
        }}}
        return results
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "HammingIndex.search: queries have \(queries.bits) bits, index has \(bits)")
        let n = rowCount, wpc = codes.wordsPerCode
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let ptrs = UnsafeSendable((base.baseAddress, qs.baseAddress))
                let removed = self.removed
                return forEachQuery(queries.count, makeScratch: { [UInt16](repeating: 0, count: HammingIndex.block) }) { q, buf in
                    guard r >= 0, let x = ptrs.value.0, let qp = ptrs.value.1 else { return [] }
                    let query = qp + q * wpc
                    var hits = [UInt64]()
                    buf.withUnsafeMutableBufferPointer { b in
                        let d = b.baseAddress!
                        for b0 in stride(from: 0, to: n, by: HammingIndex.block) {
                            let nb = min(HammingIndex.block, n - b0)
                            Hamming.distances(query: query, codes: x + b0 * wpc, count: nb, wordsPerCode: wpc, into: d)
                            for j in 0..<nb where Int(d[j]) <= r && !removed.contains(b0 + j) {
                                hits.append(HammingTopK.pack(Int(d[j]), b0 + j))
                            }
                        }
                    }
                    return sortedNeighbors(hits)
                }
            }
        }
    }
}
