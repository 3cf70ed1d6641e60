import VicinityCodes
import VicinityMath

/// Exact Hamming search by linear scan, block by block (4096 codes stay in cache while a
/// tile of up to 64 queries reads them). Top k: `Hamming.screen` scores and screens each
/// block in one pass, so a row reaches a query's heap only when it beats the current k-th
/// distance. Radius: `Hamming.distances` fills a distance buffer per block, then rows within
/// the radius are kept. Both kernels are specialised for 64, 128 and 256 bits; tiles of
/// queries are split over the cores.
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
        let k = min(k, count), nq = queries.count
        var results = [[Neighbor]](repeating: [], count: nq)
        guard k > 0, nq > 0 else { return results }
        let tiles = (nq + Self.queryTile - 1) / Self.queryTile
        codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                results.withUnsafeMutableBufferPointer { out in
                    let shared = UnsafeSendable((base.baseAddress!, qs.baseAddress!, out.baseAddress!))
                    parallelFor(tiles) { tile in
                        let (x, qp, out) = shared.value
                        let q0 = tile * Self.queryTile, q1 = min(q0 + Self.queryTile, nq)
                        let tops = scanTile(x, queries: qp, q0..<q1, k: k)
                        for q in q0..<q1 { out[q] = tops[q - q0].sorted() }
                    }
                }
            }
        }
        return results
    }

    /// The top k of queries `range` over every block of the database, block by block.
    private func scanTile(
        _ x: UnsafePointer<UInt64>, queries qp: UnsafePointer<UInt64>, _ range: Range<Int>,
        k: Int
    ) -> [HammingTopK] {
        let n = rowCount, wpc = codes.wordsPerCode, removed = self.removed
        var tops = [HammingTopK](repeating: HammingTopK(k: k), count: range.count)
        var bounds = [Int](repeating: .max, count: range.count)
        for b0 in stride(from: 0, to: n, by: Self.block) {
            let nb = min(Self.block, n - b0), block = x + b0 * wpc
            // Offers a scored row to query t's heap unless it was removed; the bound follows the heap.
            @inline(__always) func offer(_ t: Int) -> (Int, Int, inout Int) -> Void {
                { distance, j, bound in
                    if removed.isEmpty || !removed.contains(b0 + j) {
                        tops[t].insert(distance, b0 + j)
                        bound = tops[t].bound
                    }
                }
            }
            var t = 0
            while wpc == 4 && t + 2 <= range.count {
                let a = qp + (range.lowerBound + t) * 4
                var (boundA, boundC) = (bounds[t], bounds[t + 1])
                Hamming.screenPair256(
                    a, a + 4, codes: block, count: nb, boundA: &boundA, boundC: &boundC,
                    offerA: offer(t), offerC: offer(t + 1))
                (bounds[t], bounds[t + 1]) = (boundA, boundC)
                t += 2
            }
            while t < range.count {
                var bound = bounds[t]
                Hamming.screen(
                    query: qp + (range.lowerBound + t) * wpc, codes: block, count: nb, wordsPerCode: wpc,
                    bound: &bound, offer: offer(t))
                bounds[t] = bound
                t += 1
            }
        }
        return tops
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "HammingIndex.search: queries have \(queries.bits) bits, index has \(bits)")
        let n = rowCount, wpc = codes.wordsPerCode
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let ptrs = UnsafeSendable((base.baseAddress, qs.baseAddress))
                let removed = self.removed
                return forEachQuery(queries.count, makeScratch: { [UInt16](repeating: 0, count: HammingIndex.block) }) {
                    q, buf in
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
