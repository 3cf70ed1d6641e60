import CKernels
import VicinityMath

/// Exact squared-L2 k-NN that skips whole clusters it can prove hold no
/// answer. Rows are grouped by k-means; each cluster keeps its centre c and a
/// radius r that no member exceeds, so by the triangle inequality every member
/// x obeys ‖q − x‖ ≥ ‖q − c‖ − r. Clusters are visited nearest bound first, and
/// none whose bound lies beyond the current k-th distance is read; inside a
/// cluster, each member's own distance to c rules out most rows the same way
/// (|‖q − c‖ − ‖x − c‖| ≤ ‖q − x‖), and its shape codes more tightly
/// (ClusteredFlatIndex+Shape), before touching its vector. Visited
/// rows are scored with FlatIndex's per-pair kernel and ranked by (score, row),
/// so answers are bit-identical to `FlatIndex.searchOne`; only fewer rows are
/// read. Each row's vector is stored once, in its cluster's contiguous block.
public struct ClusteredFlatIndex: Sendable {
    public let dims: Int
    var centres: Matrix {
        didSet { centresByDimension = ClusteredFlatIndex.transposed(centres) }
    }
    /// The centres dimension by dimension, padded to a multiple of 8, so a query
    /// measures eight centres per vector operation (the bounds' margin covers the
    /// different rounding of that order).
    var centresByDimension: [Float] = []
    var clusters: [Cluster] = [] {
        didSet { views = ClusteredFlatIndex.views(of: clusters) }
    }
    var views: [ClusterView] = []
    /// Each row's cluster (its slot there is found by scanning the cluster's rows:
    /// keeping it too would cost 4 more bytes a row for a rare lookup).
    var clusterOf: [UInt16] = []
    /// Rows at the last clustering; the clusters are rebuilt when the index doubles.
    var clusteredCount = 0

    /// A query measures every centre, then reads the clusters it cannot rule
    /// out; about √n clusters balance the two (245 at 60k rows): each cluster read
    /// costs a search for the query's ring and two walks, so 2·√n, though it scored
    /// fewer rows, ran 10 % slower at 60k and 1M rows.
    /// At most 65 536, so a cluster number fits in `clusterOf`'s 16 bits.
    static func clusters(for n: Int) -> Int {
        n == 0 ? 0 : max(1, min(n / 8, 1 << 16, Int(Double(n).squareRoot().rounded())))
    }
    static let kMeansRounds = 8

    /// Floats of each vector kept in its cluster's head block: 16 (one line) when at least
    /// 8 more follow, else the whole vector (see `Kernels.squaredL2(_:head:tail:_:unlessAbove:)`).
    static func headDims(_ dims: Int) -> Int { dims >= 24 ? 16 : dims }
    /// Lloyd's rounds run on a sample of this many rows per cluster; all rows are assigned once at the end.
    static let sampleRowsPerCluster = 32

    public init(_ vectors: Matrix) {
        dims = vectors.cols
        centres = Matrix(rows: 0, cols: dims)
        recluster(vectors)
    }

    public var count: Int { clusterOf.count }
    public var clusterCount: Int { centres.rows }

    /// Bytes held beyond the raw vectors: per row its number, its shape codes and its
    /// cluster (8 bytes), and per cluster its centre, axes and band table.
    public var overheadBytes: Int {
        count * 8 + centres.count * MemoryLayout<Float>.size + clusters.count * ((Cluster.bands + 1) * 4 + 2 * dims * 4)
    }

    /// The vector stored at `row`.
    public func vector(_ row: Int) -> [Float] {
        let cluster = clusters[Int(clusterOf[row])]
        return Array(cluster.vector(slot: cluster.slot(of: row), dims: dims))
    }

    /// Every row's vector, in row order.
    public var vectors: Matrix {
        var out = Matrix(rows: count, cols: dims)
        for cluster in clusters {
            for (s, row) in cluster.rows.enumerated() {
                out.storage.replaceSubrange(
                    Int(row) * dims..<(Int(row) + 1) * dims,
                    with: cluster.vector(slot: s, dims: dims))
            }
        }
        return out
    }

    // MARK: search

    /// The k best rows for each query, best first; queries run side by side on all cores.
    public func search(_ queries: Matrix, k: Int) -> [[Neighbor]] {
        precondition(
            queries.cols == dims, "ClusteredFlatIndex.search: queries have \(queries.cols) dims, index has \(dims)")
        return parallelMap(queries.rows) { self.searchOne(queries.row($0), k: k) }
    }

    /// One query on the calling thread; with a filter, only its rows (a selective
    /// one is scanned directly: pass its members' vectors from `gather`), and never `excluding`.
    public func searchOne(
        _ query: [Float], k: Int, filter: RowFilter? = nil, gathered: [Float]? = nil,
        excluding: Int? = nil
    ) -> [Neighbor] {
        if let filter, let gathered {
            return scanL2(query, rows: filter.members, vectors: gathered, dims: dims, k: k, excluding: excluding)
        }
        return searchCountingRows(query, k: k, filter: filter, excluding: excluding).hits
    }

    /// The vectors of `rows`, in that order (one pass over the clusters).
    public func gather(_ rows: [Int32]) -> [Float] {
        var position = [Int32](repeating: -1, count: count)
        for (i, row) in rows.enumerated() { position[Int(row)] = Int32(i) }
        var out = [Float](repeating: 0, count: rows.count * dims)
        for cluster in clusters {
            for (s, row) in cluster.rows.enumerated() where position[Int(row)] >= 0 {
                let i = Int(position[Int(row)])
                out.replaceSubrange(i * dims..<(i + 1) * dims, with: cluster.vector(slot: s, dims: dims))
            }
        }
        return out
    }

    /// The answer and how many rows were scored to find it (the rest were skipped).
    // Long: the query hot path: the cluster heap and the four-stage pipeline share its buffers and closures.
    public func searchCountingRows(
        _ query: [Float], k: Int, filter: RowFilter? = nil,
        excluding: Int? = nil
    ) -> (hits: [Neighbor], scored: Int) {
        precondition(query.count == dims, "ClusteredFlatIndex.search: query has \(query.count) dims, index has \(dims)")
        let k = min(k, filter?.count ?? count)
        guard k > 0 else { return ([], 0) }
        var heap = TopK(k: k)
        var scored = 0
        query.withUnsafeBufferPointer { q in
            let q = q.baseAddress!
            let toCentre = distancesToCentres(q)
            views.withUnsafeBufferPointer { clusters in
                centres.storage.withUnsafeBufferPointer { centres in
                    let d = dims
                    @inline(__always) func centre(_ j: Int) -> UnsafePointer<Float> { centres.baseAddress! + j * d }
                    // The nearest cluster first sets a tight k-th distance; then only the
                    // clusters within it are visited, nearest bound first. Many clusters can
                    // have bound 0 (the query inside their ball): the nearer centre goes first.
                    // Order only decides how soon the k-th distance tightens, never the answer.
                    @inline(__always) func key(_ j: Int) -> UInt64 {
                        // Outside the ball, or inside the hole within the innermost member.
                        let gap = max(toCentre[j] - clusters[j].radius, clusters[j].inner - toCentre[j])
                        let bound = ClusteredFlatIndex.bound(gap, toCentre[j], clusters[j].radius)
                        return ClusteredFlatIndex.visitKey(bound: bound, toCentre: toCentre[j], cluster: j)
                    }
                    @inline(__always) func candidates(_ j: Int, into out: inout Candidates) {
                        self.candidates(
                            clusters[j], toCentre[j], q, centre: centre(j), worst: heap.threshold, filter: filter,
                            into: &out)
                    }
                    @inline(__always) func prefetch(_ key: UInt64?) {
                        guard let key else { return }
                        let j = Int(key & 0xFFFF)
                        prefetchWindow(
                            clusters[j], window(clusters[j], toCentre[j], heap.threshold), rows: filter != nil)
                        // And what the query's coordinates in it are measured from.
                        for offset in stride(from: 0, to: d * 4, by: 64) {
                            vicinity_prefetch(UnsafeRawPointer(centre(j)) + offset)
                            if let axes = clusters[j].axes {
                                vicinity_prefetch(UnsafeRawPointer(axes) + offset)
                                vicinity_prefetch(UnsafeRawPointer(axes + d) + offset)
                            }
                        }
                    }
                    var current = Candidates(), next = Candidates()
                    let first = Int(clusters.indices.lazy.map(key).min()! & 0xFFFF)
                    candidates(first, into: &current)
                    scored += score(clusters[first], &current, q, into: &heap, excluding: excluding)
                    let threshold = heap.threshold
                    var keys = [UInt64]()
                    for j in clusters.indices where j != first {
                        let key = key(j)
                        if Float(bitPattern: UInt32(key >> 32)) <= threshold { keys.append(key) }
                    }
                    var pending = KeyHeap(keys)
                    // A pipeline, as each cluster's members sit in memory of their own: while
                    // one cluster is scored, the next one's candidates are picked (their head
                    // lines asked for), and the shape codes of the one after are asked for.
                    // A pass made against an earlier k-th distance keeps more members, never fewer.
                    @inline(__always) func prefetchSteps(_ key: UInt64?) {
                        guard let key else { return }
                        let j = Int(key & 0xFFFF)
                        self.prefetchSteps(clusters[j], toCentre[j], heap.threshold)
                    }
                    var now = pending.popMin(), ahead = pending.popMin(), later = pending.popMin()
                    if let now { candidates(Int(now & 0xFFFF), into: &next) }
                    prefetch(ahead)
                    prefetchSteps(later)
                    while let key = now {
                        if Float(bitPattern: UInt32(key >> 32)) > heap.threshold { break }
                        swap(&current, &next)
                        (now, ahead, later) = (ahead, later, pending.popMin())
                        if let n = now { candidates(Int(n & 0xFFFF), into: &next) }
                        prefetch(ahead)
                        prefetchSteps(later)
                        scored += score(clusters[Int(key & 0xFFFF)], &current, q, into: &heap, excluding: excluding)
                    }
                }
            }
        }
        return (heap.sorted(), scored)
    }

    /// Orders clusters by bound, then (to 7 bits of mantissa) by distance to
    /// the centre, as one integer: non-negative floats sort as their bit patterns.
    @inline(__always)
    static func visitKey(bound: Float, toCentre: Float, cluster j: Int) -> UInt64 {
        UInt64(bound.bitPattern) << 32 | UInt64(toCentre.bitPattern >> 16) << 16 | UInt64(j)
    }

    static func transposed(_ centres: Matrix) -> [Float] {
        let padded = (centres.rows + 7) / 8 * 8
        var out = [Float](repeating: 0, count: padded * centres.cols)
        for j in 0..<centres.rows {
            for t in 0..<centres.cols { out[t * padded + j] = centres[j, t] }
        }
        return out
    }

    /// ‖q − c‖ for every centre (Euclidean), eight centres at a time.
    func distancesToCentres(_ q: UnsafePointer<Float>) -> [Float] {
        let padded = (centres.rows + 7) / 8 * 8
        var out = [Float](repeating: 0, count: padded)
        centresByDimension.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for block in stride(from: 0, to: padded, by: 8) {
                    var acc = SIMD8<Float>()
                    for t in 0..<dims {
                        let d =
                            SIMD8<Float>(repeating: q[t])
                            - UnsafeRawPointer(c.baseAddress! + t * padded + block).loadUnaligned(as: SIMD8<Float>.self)
                        acc += d * d
                    }
                    UnsafeMutableRawPointer(o.baseAddress! + block).storeBytes(
                        of: acc.squareRoot(), as: SIMD8<Float>.self)
                }
            }
        }
        return out
    }

    /// A lower bound on a squared distance from a gap between Euclidean distances,
    /// loosened by far more than their rounding (relative 1e-3 of the distances
    /// involved, against float rounding near 1e-6), so nothing is wrongly skipped.
    @inline(__always)
    static func bound(_ gap: Float, _ a: Float, _ b: Float) -> Float {
        // Written so that NaN (∞ − ∞ from a query whose distances overflow) gives 0: never skip.
        let g = gap - 1e-3 * (a + b)
        return g > 0 ? g * g : 0
    }

    /// The rings `bound` leaves in for a query at `toCentre` from the centre and
    /// k-th distance `worst`: bound(|toCentre − ring|, toCentre, ring) ≤ worst solved
    /// for ring, so a walk compares one number a row. A query whose distances
    /// overflow (∞ or NaN) leaves every ring in, as `bound` does.
    @inline(__always)
    static func ringWindow(_ toCentre: Float, _ worst: Float) -> (low: Float, high: Float) {
        guard toCentre.isFinite else { return (-.infinity, .infinity) }
        let reach = worst.squareRoot()
        return ((0.999 * toCentre - reach) / 1.001, (reach + 1.001 * toCentre) / 0.999)
    }
}
