import VicinityHashing
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

    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        precondition(queries.bits == bits, "HammingIndex.search: queries have \(queries.bits) bits, index has \(bits)")
        precondition(k >= 0, "search: k must be non-negative, got \(k)")
        let k = min(k, count)
        let n = rowCount, wpc = codes.wordsPerCode
        return codes.words.withUnsafeBufferPointer { base in
            queries.words.withUnsafeBufferPointer { qs in
                let ptrs = UnsafeSendable((base.baseAddress, qs.baseAddress))
                let removed = self.removed
                return forEachQuery(queries.count, makeScratch: { [UInt16](repeating: 0, count: HammingIndex.block) }) { q, buf in
                    guard k > 0, let x = ptrs.value.0, let qp = ptrs.value.1 else { return [] }
                    let query = qp + q * wpc
                    var top = HammingTopK(k: k)
                    buf.withUnsafeMutableBufferPointer { b in
                        let d = b.baseAddress!
                        var bound = top.bound
                        for b0 in stride(from: 0, to: n, by: HammingIndex.block) {
                            let nb = min(HammingIndex.block, n - b0)
                            Hamming.distances(query: query, codes: x + b0 * wpc, count: nb, wordsPerCode: wpc, into: d)
                            for j in 0..<nb where Int(d[j]) < bound {
                                if !removed.isEmpty && removed.contains(b0 + j) { continue }
                                top.insert(Int(d[j]), b0 + j)
                                bound = top.bound
                            }
                        }
                    }
                    return top.sorted()
                }
            }
        }
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
