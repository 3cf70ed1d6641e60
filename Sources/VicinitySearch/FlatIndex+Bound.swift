import VicinityMath

extension FlatIndex {
    /// Rows each query scores by bound alone in its first block, to seed its threshold.
    static let seedMargin = 8

    /// Batched L2 search through ProjectionBound. An sgemm over the projected
    /// coordinates bounds every (query, row) pair from below, and a row is scored
    /// exactly — with the kernel `searchOne` uses — only when its bound does not
    /// rule it out against the query's current k-th best score. In its first
    /// block each query first scores its k + seedMargin smallest bounds, so the
    /// threshold starts near its final value. Every row that could enter the top k
    /// is scored, so the answers are `searchOne`'s, distances included. Also
    /// returns how many rows were scored exactly, over all queries.
    func searchBounded(_ queries: Matrix, k: Int, bound: ProjectionBound) -> (hits: [[Neighbor]], scored: Int) {
        let k = min(k, count)
        guard k > 0 else { return (Array(repeating: [], count: queries.rows), 0) }
        let prepared = bound.project(queries)
        // A query whose norms overflow cannot be bounded: it is scanned directly.
        let usable = prepared.centredNorms.map { (4 * ($0 + bound.largestCentredNorm)).isFinite }
        var heaps = [TopK](repeating: TopK(k: k), count: queries.rows)
        var scored = [Int](repeating: 0, count: queries.rows)
        queries.storage.withUnsafeBufferPointer { q in
            vectors.storage.withUnsafeBufferPointer { x in
                prepared.projected.storage.withUnsafeBufferPointer { pq in
                    bound.projected.storage.withUnsafeBufferPointer { px in
                        heaps.withUnsafeMutableBufferPointer { h in
                            scored.withUnsafeMutableBufferPointer { n in
                                let shared = UnsafeSendable(
                                    (q.baseAddress!, x.baseAddress!, h.baseAddress!, n.baseAddress!))
                                let tiles = ProductTiles(
                                    queries: pq.baseAddress!, queryCount: queries.rows,
                                    base: px.baseAddress!, baseCount: count, width: bound.axisCount)
                                tiles.forEach { queryRange, rows, products in
                                    let (q, x, heaps, scored) = shared.value
                                    for (r, i) in queryRange.enumerated() where usable[i] {
                                        let query = BoundedQuery(
                                            vector: q + i * dims, projectedNorm: prepared.norms[i],
                                            residualLow: prepared.residualLow[i],
                                            residualHigh: prepared.residualHigh[i],
                                            centredNorm: prepared.centredNorms[i])
                                        scored[i] += scanBlock(
                                            query, products: products + r * rows.count, rows: rows, bound: bound,
                                            x: x, heap: &heaps[i])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let hits = (0..<queries.rows).map { usable[$0] ? heaps[$0].sorted() : searchOne(queries.row($0), k: k) }
        return (hits, scored.reduce(0, +) + usable.filter { !$0 }.count * count)
    }

    /// What the bound needs of one query.
    struct BoundedQuery {
        let vector: UnsafePointer<Float>
        let projectedNorm, residualLow, residualHigh, centredNorm: Float
    }

    /// One query against one block of rows, given the projected inner products;
    /// returns how many rows it scored exactly.
    // Long: the measured inner loop of bounded KNN; split, the bound and the exact score would
    // cross a call per row.
    @inline(__always)
    private func scanBlock(
        _ query: BoundedQuery, products: UnsafePointer<Float>, rows: Range<Int>,
        bound: ProjectionBound, x: UnsafePointer<Float>, heap: inout TopK
    ) -> Int {
        var scored = 0
        bound.projectedNorms.withUnsafeBufferPointer { pnBuffer in
            bound.residualLow.withUnsafeBufferPointer { loBuffer in
                bound.residualHigh.withUnsafeBufferPointer { hiBuffer in
                    let b0 = rows.lowerBound, nb = rows.count
                    let pn = pnBuffer.baseAddress! + b0, lo = loBuffer.baseAddress! + b0,
                        hi = hiBuffer.baseAddress! + b0
                    @inline(__always) func lowerBound(_ j: Int) -> Float {
                        let a = max(query.projectedNorm + pn[j] - 2 * products[j], 0)
                        let g = max(query.residualLow - hi[j], lo[j] - query.residualHigh, 0)
                        return a + g * g
                    }
                    // The first block seeds the threshold from its smallest bounds.
                    var seeds: [Neighbor] = []
                    if b0 == 0 && heap.threshold == .infinity {
                        var best = TopK(k: heap.k + FlatIndex.seedMargin)
                        for j in 0..<nb {
                            let b = lowerBound(j)
                            if b <= best.threshold { best.insert(b, j) }
                        }
                        seeds = best.sorted()
                        for seed in seeds { heap.insert(score(query.vector, row: seed.index, x), seed.index) }
                        scored += seeds.count
                    }
                    var limit = bound.limit(heap.threshold, centredQueryNorm: query.centredNorm)
                    @inline(__always) func visit(_ j: Int) {
                        if !seeds.isEmpty && seeds.contains(where: { $0.index == j }) { return }
                        scored += 1
                        let s = score(query.vector, row: b0 + j, x)
                        if s <= heap.threshold {
                            heap.insert(s, b0 + j)
                            limit = bound.limit(heap.threshold, centredQueryNorm: query.centredNorm)
                        }
                    }
                    // Eight bounds at a time: one vector compare rules most of them out.
                    let qpn = SIMD8<Float>(repeating: query.projectedNorm)
                    let qlo = SIMD8<Float>(repeating: query.residualLow),
                        qhi = SIMD8<Float>(repeating: query.residualHigh)
                    var j = 0
                    while j + 8 <= nb {
                        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
                            UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        var a = qpn + load(pn) - 2 * load(products)
                        a.replace(with: 0, where: a .< 0)
                        // max(qlo − hi, lo − qhi, 0), spelt out: the generic pointwiseMax is not inlined.
                        var g = qlo - load(hi)
                        let h = load(lo) - qhi
                        g.replace(with: h, where: h .> g)
                        g.replace(with: 0, where: g .< 0)
                        let b = a + g * g
                        if any(b .<= limit) {
                            for t in 0..<8 where b[t] <= limit { visit(j + t) }
                        }
                        j += 8
                    }
                    while j < nb {
                        if lowerBound(j) <= limit { visit(j) }
                        j += 1
                    }
                }
            }
        }
        return scored
    }
}
