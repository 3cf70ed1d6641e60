import VicinityCodes
import VicinityMath

/// The rows a query may return: a bit set over the index's rows, with their
/// count and, ascending, the rows themselves (a selective filter is searched by
/// scanning just those). Built once per filter expression and index state.
public struct RowFilter: Sendable {
    public let rowCount: Int
    public let members: [Int32]
    private let words: [UInt64]

    public init(rowCount: Int, where predicate: (Int) -> Bool) {
        var words = [UInt64](repeating: 0, count: (rowCount + 63) / 64)
        var members: [Int32] = []
        for row in 0..<rowCount where predicate(row) {
            words[row >> 6] |= 1 << UInt64(row & 63)
            members.append(Int32(row))
        }
        self.rowCount = rowCount
        self.words = words
        self.members = members
    }

    public var count: Int { members.count }

    @inline(__always) public func contains(_ row: Int) -> Bool {
        row < rowCount && (words[row >> 6] >> UInt64(row & 63)) & 1 == 1
    }

    /// Whether scanning the members beats walking the index with this filter: at
    /// most 1 row in 20 passes (the walk's bounds then rule out little).
    public var isSelective: Bool { count * 20 <= rowCount }
}

/// The k best of `rows` (ascending row numbers, `vectors` their codes in the same
/// order) by squared L2 with FlatIndex's per-pair kernel, ties by row: exactly a
/// full scan's answer restricted to those rows.
public func scanL2(_ query: [Float], rows: [Int32], vectors: [Float], dims: Int, k: Int, excluding: Int? = nil)
    -> [Neighbor]
{
    var heap = TopK(k: max(1, min(k, rows.count)))
    guard k > 0, !rows.isEmpty else { return [] }
    query.withUnsafeBufferPointer { q in
        vectors.withUnsafeBufferPointer { x in
            var worst = heap.threshold
            for (i, row) in rows.enumerated() where Int(row) != excluding {
                let score = Kernels.squaredL2(q.baseAddress!, x.baseAddress! + i * dims, dims)
                if score <= worst {
                    heap.insert(score, Int(row))
                    worst = heap.threshold
                }
            }
        }
    }
    return heap.sorted()
}

/// The same for packed codes by Hamming distance (`wordsPerCode` words each).
public func scanHamming(
    _ query: [UInt64], rows: [Int32], codes: [UInt64], wordsPerCode: Int, k: Int?, radius: Int? = nil,
    excluding: Int? = nil
) -> [Neighbor] {
    guard !rows.isEmpty else { return [] }
    var heap = TopK(k: max(1, min(k ?? rows.count, rows.count)))
    var within: [Neighbor] = []
    query.withUnsafeBufferPointer { q in
        codes.withUnsafeBufferPointer { x in
            for (i, row) in rows.enumerated() where Int(row) != excluding {
                let d = Hamming.distance(q.baseAddress!, x.baseAddress! + i * wordsPerCode, words: wordsPerCode)
                if let radius {
                    if d <= radius { within.append(Neighbor(distance: Float(d), index: Int(row))) }
                } else if Float(d) <= heap.threshold {
                    heap.insert(Float(d), Int(row))
                }
            }
        }
    }
    return radius == nil ? heap.sorted() : within.sorted(by: Neighbor.precedes)
}
