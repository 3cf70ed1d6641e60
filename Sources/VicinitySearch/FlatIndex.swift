import VicinityMath

/// How a flat index scores a pair: squared Euclidean distance, or negated
/// inner product (so that smaller is always better).
public enum Metric: String, Sendable, CaseIterable {
    case l2, innerProduct = "ip"
}

/// Exact search over Float32 vectors stored contiguously, row i = item i.
///
/// Batches go through blocked sgemm: ‖q − x‖² = ‖q‖² + ‖x‖² − 2·qᵀx with the
/// norms precomputed and the result clamped at 0 (rounding can dip below).
/// At high dimension (L2) a batch first bounds every distance from a few
/// principal axes (ProjectionBound) and scores exactly only the rows the bound
/// leaves in; the answers are the same either way.
public struct FlatIndex: Sendable {
    public let dims: Int
    public let metric: Metric
    public private(set) var vectors: Matrix
    private var norms: [Float]
    /// How many principal axes the batched L2 bound uses; 0 turns it off.
    public let boundAxes: Int
    private(set) var bound: ProjectionBound?

    /// The default `boundAxes` for a dimension: up to 64 axes for 210 ≤ d ≤ 2048,
    /// none below (the bound would cost more than 10 % memory or save too little)
    /// or above (fitting it would take seconds).
    public static func automaticBoundAxes(dims: Int) -> Int { ProjectionBound.automaticAxes(dims: dims) }

    /// Rows below which the automatic bound is not built: a few sgemm blocks cost less than fitting it.
    static let boundMinimumRows = 4096

    /// `boundAxes` nil picks `automaticBoundAxes`; an explicit value is used at any size.
    public init(dims: Int, metric: Metric = .l2, boundAxes: Int? = nil) {
        self.dims = dims
        self.metric = metric
        let axes = metric == .l2 ? boundAxes ?? FlatIndex.automaticBoundAxes(dims: dims) : 0
        self.boundAxes = axes < dims ? max(axes, 0) : 0
        minimumRowsForBound = boundAxes == nil ? FlatIndex.boundMinimumRows : 2
        vectors = Matrix(rows: 0, cols: dims)
        norms = []
    }

    public init(_ vectors: Matrix, metric: Metric = .l2, boundAxes: Int? = nil) {
        self.init(dims: vectors.cols, metric: metric, boundAxes: boundAxes)
        add(vectors)
    }

    private let minimumRowsForBound: Int
    /// The row count at the last fit, so a failed fit is not retried on every add.
    private var boundFittedAt = 0

    public var count: Int { vectors.rows }

    /// Bytes held beyond the raw vectors: the norms and the bound's projections.
    public var overheadBytes: Int { norms.count * MemoryLayout<Float>.size + (bound?.bytes ?? 0) }

    public mutating func add(_ more: Matrix) {
        precondition(more.cols == dims, "FlatIndex.add: vectors have \(more.cols) dims, index has \(dims)")
        vectors = Matrix(rows: vectors.rows + more.rows, cols: dims, storage: vectors.storage + more.storage)
        norms += more.rowSquaredNorms()
        // Axes fitted on a small start describe a grown base poorly (the bound stays
        // valid, only looser): refit when the base has doubled.
        if boundAxes == 0 || count < minimumRowsForBound { return }
        if count > 2 * boundFittedAt {
            bound = ProjectionBound(fitting: vectors, axes: boundAxes)
            boundFittedAt = count
        } else {
            bound?.append(more)
        }
    }

    /// Removes `row` by moving the last row into its place, so rows stay dense
    /// (the same move the store makes on delete).
    public mutating func removeSwappingLast(_ row: Int) {
        precondition(row >= 0 && row < count, "FlatIndex.remove: row \(row) outside 0..<\(count)")
        let last = count - 1
        var storage = vectors.storage
        if row != last {
            for j in 0..<dims { storage[row * dims + j] = storage[last * dims + j] }
            norms[row] = norms[last]
        }
        bound?.removeSwappingLast(row)
        storage.removeLast(dims)
        norms.removeLast()
        vectors = Matrix(rows: last, cols: dims, storage: storage)
    }

    /// Below this many queries, each query is scanned directly instead of through sgemm.
    public static let directQueryLimit = 16

    /// The k best rows for each query, best first; fewer when the index holds fewer than k.
    public func search(_ queries: Matrix, k: Int) -> [[Neighbor]] {
        precondition(queries.cols == dims, "FlatIndex.search: queries have \(queries.cols) dims, index has \(dims)")
        if queries.rows < FlatIndex.directQueryLimit {
            return (0..<queries.rows).map { searchOne(queries.row($0), k: k) }
        }
        guard let bound, bound.isUsable else { return searchAll(queries, k: k) }
        // The bound pays only when it rules out most rows (measured: 1.6 % scored on
        // Fashion-MNIST pixels, 4× faster; on isotropic noise nearly all, 3.6× slower).
        // A probe of the first queries decides for the rest of the batch.
        let probe = min(queries.rows, FlatIndex.boundProbeQueries)
        let first = searchBounded(queries.rows(in: 0..<probe), k: k, bound: bound)
        guard probe < queries.rows else { return first.hits }
        let rest = queries.rows(in: probe..<queries.rows)
        let worthwhile = Double(first.scored) <= FlatIndex.boundMaximumScoredFraction * Double(probe * count)
        return first.hits + (worthwhile ? searchBounded(rest, k: k, bound: bound).hits : searchAll(rest, k: k))
    }

    /// Queries that decide whether a batch goes through the bound.
    static let boundProbeQueries = 32
    /// The share of rows scored exactly above which the bound costs more than it saves
    /// (the exact scores read rows one by one; the plain sgemm streams them).
    static let boundMaximumScoredFraction = 0.1

    /// Every pair through sgemm, candidates rescored.
    private func searchAll(_ queries: Matrix, k: Int) -> [[Neighbor]] {
        canonicalised(searchBatch(queries, k: min(k + FlatIndex.rerankMargin, count)), queries: queries, k: k)
    }

    /// Extra candidates the sgemm path selects before rescoring.
    static let rerankMargin = 8

    /// The exact score `searchOne` uses: one fixed-order kernel per pair, so a
    /// result never depends on how queries were batched.
    @inline(__always)
    func score(_ q: UnsafePointer<Float>, row i: Int, _ x: UnsafePointer<Float>) -> Float {
        metric == .l2 ? Kernels.squaredL2(q, x + i * dims, dims) : -Kernels.dot(q, x + i * dims, dims)
    }

    /// Rescores the sgemm candidates with `score` and keeps the k best by
    /// (score, row), so batched and single queries — and so `vicinity eval` and
    /// a served `KNN` — agree exactly. The norm expansion can be off by at most
    /// `tolerance`; when the k-th rescored candidate is not clearly ahead of the
    /// last candidate the sgemm pass kept, an item left out might still belong,
    /// and that query is scanned directly instead.
    private func canonicalised(_ candidates: [[Neighbor]], queries: Matrix, k: Int) -> [[Neighbor]] {
        let queryNorms = queries.rowSquaredNorms()
        let largestNorm = norms.max() ?? 0
        return queries.storage.withUnsafeBufferPointer { q in
            vectors.storage.withUnsafeBufferPointer { x in
                candidates.enumerated().map { r, hits in
                    let query = q.baseAddress! + r * dims
                    let best = hits.map {
                        Neighbor(distance: score(query, row: $0.index, x.baseAddress!), index: $0.index)
                    }
                    .sorted(by: Neighbor.precedes).prefix(k).map { $0 }
                    let tolerance = 2 * Float(dims + 2) * Float.ulpOfOne * (queryNorms[r] + largestNorm)
                    if hits.count < count, let last = hits.last, let kth = best.last,
                        !(kth.distance < last.distance - tolerance)
                    {
                        return searchOne(queries.row(r), k: k)
                    }
                    return best
                }
            }
        }
    }

    /// The k best of `rows` (a filter's members) by the same per-pair score, ties by row:
    /// exactly `searchOne`'s answer restricted to those rows.
    public func searchOne(_ query: [Float], k: Int, among rows: [Int32]) -> [Neighbor] {
        precondition(query.count == dims, "FlatIndex.search: query has \(query.count) dims, index has \(dims)")
        guard k > 0, !rows.isEmpty else { return [] }
        var heap = TopK(k: min(k, rows.count))
        query.withUnsafeBufferPointer { q in
            vectors.storage.withUnsafeBufferPointer { x in
                for row in rows { heap.insert(score(q.baseAddress!, row: Int(row), x.baseAddress!), Int(row)) }
            }
        }
        return heap.sorted()
    }

    /// One query by a direct scan, the base split across `threads` cores; no sgemm set-up cost.
    /// A server that already runs queries side by side passes 1.
    public func searchOne(_ query: [Float], k: Int, threads: Int = availableCores) -> [Neighbor] {
        precondition(query.count == dims, "FlatIndex.search: query has \(query.count) dims, index has \(dims)")
        let k = min(k, count)
        guard k > 0 else { return [] }
        let workers = count >= 4096 ? max(1, threads) : 1
        let chunk = (count + workers - 1) / workers
        var partial = [TopK](repeating: TopK(k: k), count: workers)
        query.withUnsafeBufferPointer { q in
            vectors.storage.withUnsafeBufferPointer { x in
                partial.withUnsafeMutableBufferPointer { heaps in
                    let shared = UnsafeSendable((q.baseAddress!, x.baseAddress!, heaps.baseAddress!))
                    parallelFor(workers) { w in
                        let (q, x, heaps) = shared.value
                        var heap = TopK(k: k)
                        var cutoff = Float.infinity
                        for i in (w * chunk)..<min((w + 1) * chunk, count) {
                            let score = self.score(q, row: i, x)
                            if score <= cutoff {
                                heap.insert(score, i)
                                cutoff = heap.threshold
                            }
                        }
                        heaps[w] = heap
                    }
                }
            }
        }
        var merged = TopK(k: k)
        for h in partial { for n in h.sorted() { merged.insert(n.distance, n.index) } }
        return merged.sorted()
    }

    // Long: the measured batch path: tiles, the sgemm and the heap merge share the buffers.
    private func searchBatch(_ queries: Matrix, k: Int) -> [[Neighbor]] {
        let k = min(k, count)
        var heaps = [TopK](repeating: TopK(k: k), count: queries.rows)
        guard k > 0, queries.rows > 0 else { return heaps.map { $0.sorted() } }
        let queryNorms = queries.rowSquaredNorms()
        let l2 = metric == .l2
        queries.storage.withUnsafeBufferPointer { q in
            vectors.storage.withUnsafeBufferPointer { x in
                norms.withUnsafeBufferPointer { xn in
                    queryNorms.withUnsafeBufferPointer { qn in
                        heaps.withUnsafeMutableBufferPointer { h in
                            let shared = UnsafeSendable((h.baseAddress!, xn.baseAddress!, qn.baseAddress!))
                            let tiles = ProductTiles(
                                queries: q.baseAddress!, queryCount: queries.rows,
                                base: x.baseAddress!, baseCount: count, width: dims)
                            tiles.forEach { queryRange, rows, products in
                                let (heaps, xNorms, qNorms) = shared.value
                                let nb = rows.count, b0 = rows.lowerBound
                                let xn = xNorms + b0
                                for (r, i) in queryRange.enumerated() {
                                    let row = products + r * nb
                                    let qNorm = qNorms[i]
                                    var cutoff = heaps[i].threshold
                                    // Eight scores at a time: one vector compare rejects most of them.
                                    var j = 0
                                    while j + 8 <= nb {
                                        let s = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                                        var d: SIMD8<Float>
                                        if l2 {
                                            d =
                                                UnsafeRawPointer(xn + j).loadUnaligned(as: SIMD8<Float>.self) - 2 * s
                                                + qNorm
                                            d.replace(with: 0, where: d .< 0)
                                        } else {
                                            d = -s
                                        }
                                        if any(d .<= cutoff) {
                                            for t in 0..<8 where d[t] <= cutoff {
                                                heaps[i].insert(d[t], b0 + j + t)
                                                cutoff = heaps[i].threshold
                                            }
                                        }
                                        j += 8
                                    }
                                    while j < nb {
                                        let d = l2 ? max(qNorm + xn[j] - 2 * row[j], 0) : -row[j]
                                        if d <= cutoff {
                                            heaps[i].insert(d, b0 + j)
                                            cutoff = heaps[i].threshold
                                        }
                                        j += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return heaps.map { $0.sorted() }
    }
}
