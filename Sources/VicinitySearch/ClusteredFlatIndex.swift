import VicinityMath

/// Exact squared-L2 k-NN that skips whole clusters it can prove hold no
/// answer. Rows are grouped by k-means; each cluster keeps its centre c and a
/// radius r that no member exceeds, so by the triangle inequality every member
/// x obeys ‖q − x‖ ≥ ‖q − c‖ − r. Clusters are visited nearest bound first, and
/// none whose bound lies beyond the current k-th distance is read; inside a
/// cluster, each member's own distance to c rules out most rows the same way
/// (|‖q − c‖ − ‖x − c‖| ≤ ‖q − x‖) before touching its vector. Visited
/// rows are scored with FlatIndex's per-pair kernel and ranked by (score, row),
/// so answers are bit-identical to `FlatIndex.searchOne`; only fewer rows are
/// read. Each row's vector is stored once, in its cluster's contiguous block.
public struct ClusteredFlatIndex: Sendable {
    /// One cluster's members: their rows, their vectors stored contiguously in
    /// the same order (a visited cluster is one sequential read), and each
    /// one's distance to the centre.
    struct Cluster: Sendable {
        var rows: [Int32] = []
        var vectors: [Float] = []
        var rings: [Float] = []
        /// No member is farther from the centre (Euclidean, not squared).
        var radius: Float = 0

        mutating func append(row: Int, _ v: [Float], ring: Float) {
            rows.append(Int32(row))
            vectors += v
            rings.append(ring)
            radius = max(radius, ring)
        }

        /// Where `row` sits among the members (a short scan: clusters hold ~√n/2 rows).
        func slot(of row: Int) -> Int {
            rows.firstIndex(of: Int32(row))!
        }

        /// Removes the member in `slot`, moving the last into it.
        mutating func remove(slot s: Int, dims: Int) {
            let moved = rows.removeLast(), ring = rings.removeLast()
            let tail = vectors.suffix(dims)
            vectors.removeLast(dims)
            if s < rows.count {
                rows[s] = moved
                rings[s] = ring
                vectors.replaceSubrange((s * dims)..<((s + 1) * dims), with: tail)
            }
        }
    }

    public let dims: Int
    private var centres: Matrix
    private var clusters: [Cluster] = []
    /// Each row's cluster (its slot there is found by scanning the cluster's rows:
    /// keeping it too would cost 4 more bytes a row for a rare lookup).
    private var clusterOf: [UInt16] = []
    /// Rows at the last clustering; the clusters are rebuilt when the index doubles.
    private var clusteredCount = 0

    /// A query measures every centre, then reads the clusters it cannot rule
    /// out; about 2·√n clusters balance the two (490 at 60k rows).
    /// At most 65 536, so a cluster number fits in `clusterOf`'s 16 bits.
    static func clusters(for n: Int) -> Int {
        n == 0 ? 0 : max(1, min(n / 8, 1 << 16, Int((2 * Double(n).squareRoot()).rounded())))
    }
    static let kMeansRounds = 8
    /// Lloyd's rounds run on a sample of this many rows per cluster; all rows are assigned once at the end.
    static let sampleRowsPerCluster = 32

    public init(_ vectors: Matrix) {
        dims = vectors.cols
        centres = Matrix(rows: 0, cols: dims)
        recluster(vectors)
    }

    public var count: Int { clusterOf.count }
    public var clusterCount: Int { centres.rows }

    /// Bytes held beyond the raw vectors: per row its number, its distance to the
    /// centre and its cluster (10 bytes), and the centres.
    public var overheadBytes: Int { count * 10 + centres.count * MemoryLayout<Float>.size }

    /// The vector stored at `row`.
    public func vector(_ row: Int) -> [Float] {
        let cluster = clusters[Int(clusterOf[row])], s = cluster.slot(of: row)
        return Array(cluster.vectors[(s * dims)..<((s + 1) * dims)])
    }

    /// Every row's vector, in row order.
    public var vectors: Matrix {
        var out = Matrix(rows: count, cols: dims)
        for cluster in clusters {
            for (s, row) in cluster.rows.enumerated() {
                out.storage.replaceSubrange(Int(row) * dims..<(Int(row) + 1) * dims,
                                            with: cluster.vectors[s * dims..<(s + 1) * dims])
            }
        }
        return out
    }

    // MARK: search

    /// The k best rows for each query, best first; queries run side by side on all cores.
    public func search(_ queries: Matrix, k: Int) -> [[Neighbor]] {
        precondition(queries.cols == dims, "ClusteredFlatIndex.search: queries have \(queries.cols) dims, index has \(dims)")
        return parallelMap(queries.rows) { self.searchOne(queries.row($0), k: k) }
    }

    /// One query on the calling thread; with a filter, only its rows (a selective
    /// one is scanned directly: pass its members' vectors from `gather`), and never `excluding`.
    public func searchOne(_ query: [Float], k: Int, filter: RowFilter? = nil, gathered: [Float]? = nil,
                          excluding: Int? = nil) -> [Neighbor] {
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
                out.replaceSubrange(i * dims..<(i + 1) * dims, with: cluster.vectors[s * dims..<(s + 1) * dims])
            }
        }
        return out
    }

    /// The answer and how many rows were scored to find it (the rest were skipped).
    func searchCountingRows(_ query: [Float], k: Int, filter: RowFilter? = nil,
                            excluding: Int? = nil) -> (hits: [Neighbor], scored: Int) {
        precondition(query.count == dims, "ClusteredFlatIndex.search: query has \(query.count) dims, index has \(dims)")
        let k = min(k, filter?.count ?? count)
        guard k > 0 else { return ([], 0) }
        var heap = TopK(k: k)
        var scored = 0
        query.withUnsafeBufferPointer { q in
        centres.storage.withUnsafeBufferPointer { c in
            let q = q.baseAddress!
            let toCentre = (0..<centres.rows).map { Kernels.squaredL2(q, c.baseAddress! + $0 * dims, dims).squareRoot() }
            let bounds = clusters.indices.map { j in
                ClusteredFlatIndex.bound(toCentre[j] - clusters[j].radius, toCentre[j], clusters[j].radius)
            }
            // The nearest cluster first sets a tight k-th distance; then only the
            // clusters within it are sorted and visited, nearest first.
            let first = bounds.indices.min { bounds[$0] < bounds[$1] }!
            scored += scan(cluster: first, toCentre[first], q, into: &heap, filter: filter, excluding: excluding)
            var rest = bounds.indices.filter { $0 != first && bounds[$0] <= heap.threshold }
            rest.sort { bounds[$0] < bounds[$1] }
            for j in rest where bounds[j] <= heap.threshold {
                scored += scan(cluster: j, toCentre[j], q, into: &heap, filter: filter, excluding: excluding)
            }
        }}
        return (heap.sorted(), scored)
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

    /// Scores the members of cluster j with FlatIndex's per-pair kernel, except
    /// those the ring around the centre rules out: |‖q − c‖ − ‖x − c‖| ≤ ‖q − x‖.
    /// Returns how many it scored.
    @inline(__always)
    private func scan(cluster j: Int, _ toCentre: Float, _ q: UnsafePointer<Float>, into heap: inout TopK,
                      filter: RowFilter?, excluding: Int?) -> Int {
        let rows = clusters[j].rows
        var scored = 0
        clusters[j].vectors.withUnsafeBufferPointer { x in
        clusters[j].rings.withUnsafeBufferPointer { ring in
            var worst = heap.threshold
            for s in 0..<rows.count {
                if ClusteredFlatIndex.bound(abs(toCentre - ring[s]), toCentre, ring[s]) > worst { continue }
                if let filter, !filter.contains(Int(rows[s])) { continue }
                if Int(rows[s]) == excluding { continue }
                scored += 1
                let score = Kernels.squaredL2(q, x.baseAddress! + s * dims, dims)
                if score <= worst {
                    heap.insert(score, Int(rows[s]))
                    worst = heap.threshold
                }
            }
        }}
        return scored
    }

    // MARK: changes

    public mutating func add(_ more: Matrix) {
        precondition(more.cols == dims, "ClusteredFlatIndex.add: vectors have \(more.cols) dims, index has \(dims)")
        if count + more.rows >= 2 * max(clusteredCount, 64) {
            return recluster(Matrix(rows: count + more.rows, cols: dims, storage: vectors.storage + more.storage))
        }
        for r in 0..<more.rows { place(more.row(r)) }
    }

    /// Removes `row` by moving the last row into its place, as FlatIndex and the store do.
    public mutating func removeSwappingLast(_ row: Int) {
        precondition(row >= 0 && row < count, "ClusteredFlatIndex.remove: row \(row) outside 0..<\(count)")
        let last = count - 1
        // Out of its cluster; that cluster's last member fills the slot.
        let j = Int(clusterOf[row])
        clusters[j].remove(slot: clusters[j].slot(of: row), dims: dims)
        if row != last {
            // The last row takes the freed number, in its own cluster and slot.
            let k = Int(clusterOf[last])
            clusters[k].rows[clusters[k].slot(of: last)] = Int32(row)
            clusterOf[row] = clusterOf[last]
        }
        clusterOf.removeLast()
    }

    /// Appends a row to the cluster with the nearest centre, widening its radius.
    private mutating func place(_ v: [Float]) {
        if centres.rows == 0 {
            centres = Matrix(rows: 1, cols: dims, storage: v)
            clusters = [Cluster()]
        }
        var best = (distance: Float.infinity, cluster: 0)
        for j in 0..<centres.rows {
            let d = squaredDistance(v, centreRow: j)
            if d < best.distance { best = (d, j) }
        }
        let j = best.cluster
        clusters[j].append(row: count, v, ring: best.distance.squareRoot())
        clusterOf.append(UInt16(j))
    }

    // MARK: clustering

    /// Lloyd's k-means on a seeded sample from seeded distinct rows, then every
    /// row to its nearest centre and exact radii.
    private mutating func recluster(_ all: Matrix) {
        let n = all.rows
        clusteredCount = n
        let wanted = ClusteredFlatIndex.clusters(for: n)
        var rng = SeededRNG(seed: 1)
        let order = rng.permutation(n)
        let sampled = min(n, wanted * ClusteredFlatIndex.sampleRowsPerCluster)
        let sample = sampled == n ? all : Matrix(rows: sampled, cols: dims, storage: order.prefix(sampled).flatMap { all.row($0) })
        centres = Matrix(rows: wanted, cols: dims, storage: order.prefix(wanted).flatMap { all.row($0) })
        for _ in 0..<ClusteredFlatIndex.kMeansRounds {
            centres = means(of: sample, nearestCentres(of: sample), keepingEmpty: centres)
        }
        let assignment = nearestCentres(of: all)
        clusters = [Cluster](repeating: Cluster(), count: wanted)
        clusterOf = assignment.map(UInt16.init)
        // Exact capacities: arrays grown by appending alone would hold up to twice their members.
        var sizes = [Int](repeating: 0, count: wanted)
        for j in assignment { sizes[j] += 1 }
        for j in 0..<wanted {
            clusters[j].rows.reserveCapacity(sizes[j])
            clusters[j].vectors.reserveCapacity(sizes[j] * dims)
            clusters[j].rings.reserveCapacity(sizes[j])
        }
        for (i, j) in assignment.enumerated() {
            let v = all.row(i)
            clusters[j].append(row: i, v, ring: squaredDistance(v, centreRow: j).squareRoot())
        }
    }

    /// Each row's nearest centre by ‖c‖² − 2·xᵀc through sgemm, a block of rows at a
    /// time. Rounding may pick a near-tie's other centre; the radii are measured
    /// afterwards, so the bounds hold whatever the assignment.
    private func nearestCentres(of all: Matrix) -> [Int] {
        let centreCount = centres.rows, block = 4096
        let centreNorms = centres.rowSquaredNorms()
        let count = all.rows
        var assignment = [Int](repeating: 0, count: count)
        var scores = [Float](repeating: 0, count: block * centreCount)
        all.storage.withUnsafeBufferPointer { x in
        centres.storage.withUnsafeBufferPointer { c in
        scores.withUnsafeMutableBufferPointer { s in
            for r0 in stride(from: 0, to: count, by: block) {
                let rows = min(block, count - r0)
                BLAS.gemm(.none, .transposed, m: rows, n: centreCount, k: dims, a: x.baseAddress! + r0 * dims, lda: dims,
                          b: c.baseAddress!, ldb: dims, c: s.baseAddress!, ldc: centreCount)
                for r in 0..<rows {
                    var best = (score: Float.infinity, cluster: 0)
                    for j in 0..<centreCount {
                        let score = centreNorms[j] - 2 * s[r * centreCount + j]
                        if score < best.score { best = (score, j) }
                    }
                    assignment[r0 + r] = best.cluster
                }
            }
        }}}
        return assignment
    }

    /// Each cluster's mean; a cluster left empty keeps its old centre.
    private func means(of all: Matrix, _ assignment: [Int], keepingEmpty old: Matrix) -> Matrix {
        var sums = [Double](repeating: 0, count: old.rows * dims)
        var sizes = [Int](repeating: 0, count: old.rows)
        all.storage.withUnsafeBufferPointer { x in
            for (i, j) in assignment.enumerated() {
                sizes[j] += 1
                for t in 0..<dims { sums[j * dims + t] += Double(x[i * dims + t]) }
            }
        }
        var next = old.storage
        for j in 0..<old.rows where sizes[j] > 0 {
            for t in 0..<dims { next[j * dims + t] = Float(sums[j * dims + t] / Double(sizes[j])) }
        }
        return Matrix(rows: old.rows, cols: dims, storage: next)
    }

    private func squaredDistance(_ v: [Float], centreRow j: Int) -> Float {
        v.withUnsafeBufferPointer { a in
            centres.storage.withUnsafeBufferPointer { c in Kernels.squaredL2(a.baseAddress!, c.baseAddress! + j * dims, dims) }
        }
    }
}
