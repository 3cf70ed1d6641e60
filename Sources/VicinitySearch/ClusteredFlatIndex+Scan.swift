import CKernels
import VicinityMath

/// Reading one cluster for a query, and asking ahead for what the next reads will need.
extension ClusteredFlatIndex {
    /// Scores the members of a cluster with FlatIndex's per-pair kernel, except
    /// those the ring around the centre rules out: |‖q − c‖ − ‖x − c‖| ≤ ‖q − x‖.
    /// Members are in ring order and the bound grows with the gap between rings,
    /// so the members left in are one run: walk up from the query's own ring, then
    /// down, each until a ring code lies beyond the window's. Returns how many it scored.
    @inline(__always)
    func scan(
        _ cluster: borrowing Cluster, _ toCentre: Float, _ q: UnsafePointer<Float>, split: Int,
        into heap: inout TopK, filter: RowFilter?, excluding: Int?
    ) -> Int {
        var scored = 0
        let h = ClusteredFlatIndex.headDims(dims), t = dims - h
        cluster.rows.withUnsafeBufferPointer { rows in
            cluster.heads.withUnsafeBufferPointer { heads in
                cluster.tails.withUnsafeBufferPointer { tails in
                    cluster.rings.withUnsafeBufferPointer { ring in
                        var worst = heap.threshold
                        @inline(__always) func steps() -> (low: Int, high: Int) {
                            let w = ClusteredFlatIndex.ringWindow(toCentre, worst)
                            return (cluster.step(w.low, unknown: -1), cluster.step(w.high, unknown: 256))
                        }
                        var window = steps()
                        @inline(__always) func visit(_ s: Int) {
                            // The row's number is read only when needed: one stream less.
                            if let filter, !filter.contains(Int(rows[s])) { return }
                            scored += 1
                            // A member its first 16 dimensions rule out costs one line, not two.
                            let head = heads.baseAddress! + s * h
                            let score = Kernels.squaredL2(
                                q, head: head, tail: tails.baseAddress.map { $0 + s * t } ?? head + h, dims,
                                unlessAbove: worst)
                            if score <= worst, Int(rows[s]) != excluding {
                                heap.insert(score, Int(rows[s]))
                                worst = heap.threshold
                                window = steps()
                            }
                        }
                        var s = split
                        while s < rows.count && Int(ring[s]) <= window.high { visit(s); s += 1 }
                        s = split - 1
                        while s >= 0 && Int(ring[s]) >= window.low { visit(s); s -= 1 }
                    }
                }
            }
        }
        return scored
    }

    /// Asks for a cluster's ring codes (the lines its search for the query's ring reads).
    @inline(__always)
    func prefetchRings(_ cluster: borrowing Cluster) {
        cluster.rings.withUnsafeBufferPointer { r in
            guard let base = r.baseAddress else { return }
            for offset in stride(from: 0, to: r.count, by: 64) { vicinity_prefetch(base + offset) }
        }
    }

    /// Finds the slot of the query's ring and asks for the heads and row numbers of the
    /// members the window for `worst` holds now (at most 256 lines: a hint, not a bound).
    @inline(__always)
    func prefetchWindow(_ cluster: borrowing Cluster, _ toCentre: Float, _ worst: Float) -> Int {
        let split = cluster.firstSlot(atLeast: cluster.step(toCentre, unknown: 0))
        let w = ClusteredFlatIndex.ringWindow(toCentre, worst)
        let low = cluster.firstSlot(atLeast: cluster.step(w.low, unknown: -1))
        let high = cluster.firstSlot(atLeast: cluster.step(w.high, unknown: 256) + 1)
        let rowBytes = ClusteredFlatIndex.headDims(dims) * MemoryLayout<Float>.size
        cluster.heads.withUnsafeBufferPointer { x in
            guard let base = x.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            let end = min(high * rowBytes, low * rowBytes + 256 * 64)
            for offset in stride(from: low * rowBytes, to: end, by: 64) { vicinity_prefetch(raw + offset) }
        }
        cluster.rows.withUnsafeBufferPointer { r in
            guard let base = r.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            for offset in stride(from: low * 4, to: high * 4, by: 64) { vicinity_prefetch(raw + offset) }
        }
        return split
    }
}
