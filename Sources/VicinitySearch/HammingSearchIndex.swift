import VicinityCodes
import VicinityMath

/// What every Hamming-space index answers. Rows are numbered in the order they were
/// added (row = `Neighbor.index`), starting at 0, and keep their number for good:
/// `remove` only marks a row deleted (a tombstone) so it is never returned again,
/// and `count` excludes removed rows. Distances are the Hamming distance as a
/// `Float`; results are sorted by (distance, row), so every index and the
/// brute-force oracle return identical lists, ties included.
public protocol HammingSearchIndex: Sendable {
    /// Code width in bits.
    var bits: Int { get }
    /// Live rows: added minus removed.
    var count: Int { get }
    /// Rows ever added, removed ones included; the next added row gets this number.
    var rowCount: Int { get }
    /// Whether `row` has been removed.
    func isRemoved(_ row: Int) -> Bool
    /// The k nearest live rows for each query, best first; fewer when fewer are live.
    func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]]
    /// Every live row within Hamming distance `r` (inclusive) of each query, best first.
    func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]]
    /// Appends codes as rows `rowCount ..< rowCount + codes.count`.
    mutating func add(_ codes: BinaryCodes)
    /// Marks `row` deleted; removing a removed row does nothing.
    mutating func remove(_ row: Int)
}

extension HammingSearchIndex {
    /// The k nearest rows to one query given as words.
    public func search(_ query: [UInt64], k: Int) -> [Neighbor] {
        search(Self.single(query, bits: bits), k: k)[0]
    }

    /// Every row within distance r of one query given as words.
    public func radius(_ query: [UInt64], r: Int) -> [Neighbor] {
        search(Self.single(query, bits: bits), radius: r)[0]
    }

    public static func single(_ query: [UInt64], bits: Int) -> BinaryCodes {
        var q = BinaryCodes(bits: bits)
        q.append(query)
        return q
    }
}

/// A bit set of removed rows plus their number.
struct Tombstones: Sendable {
    private(set) var bitsSet: [UInt64] = []
    private(set) var removedCount = 0

    var isEmpty: Bool { removedCount == 0 }

    @inline(__always) func contains(_ row: Int) -> Bool {
        let w = row >> 6
        return w < bitsSet.count && (bitsSet[w] >> UInt64(row & 63)) & 1 == 1
    }

    /// Marks `row`; returns false if it already was.
    @discardableResult mutating func insert(_ row: Int) -> Bool {
        let w = row >> 6
        if w >= bitsSet.count { bitsSet += [UInt64](repeating: 0, count: w + 1 - bitsSet.count) }
        let m = UInt64(1) << UInt64(row & 63)
        if bitsSet[w] & m != 0 { return false }
        bitsSet[w] |= m
        removedCount += 1
        return true
    }
}

/// A bounded max-heap of the k best (distance, row) pairs, each packed into one
/// `UInt64` as `distance << 32 | row` so that integer order is (distance, row) order.
struct HammingTopK {
    let k: Int
    private(set) var heap: [UInt64] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    @inline(__always) static func pack(_ distance: Int, _ row: Int) -> UInt64 {
        UInt64(distance) << 32 | UInt64(row)
    }

    var isFull: Bool { heap.count >= k }

    /// The worst kept distance when full, otherwise `Int.max`: a candidate scanned in
    /// increasing row order enters only with a strictly smaller distance.
    @inline(__always) var bound: Int { heap.count < k ? .max : (k == 0 ? -1 : Int(heap[0] >> 32)) }

    /// Whether (distance, row) would enter: the heap has room or it beats the worst kept.
    @inline(__always) func accepts(_ distance: Int, _ row: Int) -> Bool {
        heap.count < k ? true : (k > 0 && HammingTopK.pack(distance, row) < heap[0])
    }

    /// The worst kept distance (only meaningful when full).
    var worstDistance: Int { heap.isEmpty ? -1 : Int(heap[0] >> 32) }

    @inline(__always) mutating func insert(_ distance: Int, _ row: Int) {
        let key = HammingTopK.pack(distance, row)
        if heap.count < k {
            heap.append(key)
            var i = heap.count - 1
            while i > 0 {
                let p = (i - 1) >> 1
                guard heap[p] < heap[i] else { break }
                heap.swapAt(p, i)
                i = p
            }
        } else if k > 0 && key < heap[0] {
            heap[0] = key
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && heap[m] < heap[l] { m = l }
                if r < n && heap[m] < heap[r] { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
    }

    func sorted() -> [Neighbor] {
        heap.sorted().map { Neighbor(distance: Float($0 >> 32), index: Int($0 & 0xFFFF_FFFF)) }
    }
}

/// Sorts (distance, row) hits into the common result order.
func sortedNeighbors(_ hits: [UInt64]) -> [Neighbor] {
    hits.sorted().map { Neighbor(distance: Float($0 >> 32), index: Int($0 & 0xFFFF_FFFF)) }
}

/// Runs `body(q)` for every query, split into contiguous chunks over the cores; each
/// worker gets its own scratch value from `makeScratch` and its own result slots.
func forEachQuery<Scratch>(
    _ n: Int, makeScratch: @Sendable () -> Scratch,
    _ body: @Sendable (Int, inout Scratch) -> [Neighbor]
) -> [[Neighbor]] {
    var results = [[Neighbor]](repeating: [], count: n)
    guard n > 0 else { return results }
    // Several chunks per core: the dispatch pool hands them out as threads come free,
    // so a worker that starts late (or a busy core) does not leave the other idle.
    let chunks = min(n, availableCores * 8)
    results.withUnsafeMutableBufferPointer { out in
        let shared = UnsafeSendable(out.baseAddress!)
        parallelFor(chunks) { w in
            var scratch = makeScratch()
            let lo = n * w / chunks, hi = n * (w + 1) / chunks
            for q in lo..<hi { (shared.value + q).pointee = body(q, &scratch) }
        }
    }
    return results
}
