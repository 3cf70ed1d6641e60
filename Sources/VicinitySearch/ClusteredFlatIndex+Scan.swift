import CKernels
import VicinityMath

/// Reading one cluster for a query in two passes — which members could be in the answer,
/// then scoring them — and asking ahead for what each pass will read.
extension ClusteredFlatIndex {
    /// The slots whose ring the window for a k-th distance `worst` leaves in:
    /// |‖q − c‖ − ‖x − c‖| ≤ ‖q − x‖, and members are in bands of ring.
    @inline(__always)
    func window(_ cluster: ClusterView, _ toCentre: Float, _ worst: Float) -> Range<Int> {
        let w = ClusteredFlatIndex.ringWindow(toCentre, worst)
        return cluster.slots(steps: cluster.step(w.low, unknown: -1), cluster.step(w.high, unknown: Cluster.bands))
    }

    /// Asks for the step-table entries `window` will read.
    @inline(__always)
    func prefetchSteps(_ cluster: ClusterView, _ toCentre: Float, _ worst: Float) {
        let w = ClusteredFlatIndex.ringWindow(toCentre, worst)
        let low = cluster.step(w.low, unknown: -1), high = cluster.step(w.high, unknown: Cluster.bands)
        guard let t = cluster.stepStart else { return }
        vicinity_prefetch(t + min(max(low, 0), Cluster.bands))
        vicinity_prefetch(t + min(max(high + 1, 0), Cluster.bands))
    }

    /// Asks for the shape codes (and, with a filter, the row numbers) of a window.
    @inline(__always)
    func prefetchWindow(_ cluster: ClusterView, _ window: Range<Int>, rows: Bool) {
        let m = cluster.count
        guard let base = cluster.shape, !window.isEmpty else { return }
        for plane in 0..<2 {
            let raw = UnsafeRawPointer(base + plane * m)
            for offset in stride(from: window.lowerBound, to: window.upperBound + 63, by: 64) {
                vicinity_prefetch(raw + min(offset, window.upperBound - 1))
            }
        }
        guard rows, let r = cluster.rows else { return }
        let raw = UnsafeRawPointer(r)
        for offset in stride(from: 4 * window.lowerBound, to: 4 * window.upperBound, by: 64) {
            vicinity_prefetch(raw + offset)
        }
    }

    /// Slots a first pass leaves in: the first `count` of `slots`.
    struct Candidates {
        var slots: [Int32] = []
        var count = 0
    }

    /// The first pass: the members of the window for `worst` that the filter keeps and the
    /// shape bound (ClusteredFlatIndex+Shape) does not rule out, as slots into `out`; each
    /// one's head line is asked for, to be read by `score` a cluster later.
    @inline(__always)
    func candidates(
        _ cluster: ClusterView, _ toCentre: Float, _ q: UnsafePointer<Float>, centre: UnsafePointer<Float>,
        worst: Float, filter: RowFilter?, into out: inout Candidates
    ) {
        out.count = 0
        let window = window(cluster, toCentre, worst)
        guard !window.isEmpty else { return }
        if out.slots.count < window.count { out.slots = [Int32](repeating: 0, count: window.count) }
        let shaped = ClusteredFlatIndex.queryShape(q, centre: centre, cluster, dims: dims, toCentre: toCentre)
        var v = [shaped.coordinates.0, shaped.coordinates.1, shaped.coordinates.2]
        var low = [cluster.shapeLow.0, cluster.shapeLow.1, cluster.shapeLow.2]
        var width = [cluster.shapeWidth.0, cluster.shapeWidth.1, cluster.shapeWidth.2]
        if !shaped.usable { (v, low, width) = ([0, 0, 0], [0, 0, 0], [1, 1, 1]) }
        let h = ClusteredFlatIndex.headDims(dims)
        let m = cluster.count, shape = cluster.shape!, heads = cluster.heads!
        let n = out.slots.withUnsafeMutableBufferPointer { o in
            vicinity_shape_candidates(
                shape, shape + m, window.lowerBound,
                window.upperBound, v, low, width, shaped.slack,
                shaped.usable ? worst : .infinity, heads, h, o.baseAddress!)
        }
        out.count = n
        guard let filter else { return }
        let rows = cluster.rows!
        var kept = 0
        for i in 0..<n where filter.contains(Int(rows[Int(out.slots[i])])) {
            out.slots[kept] = out.slots[i]
            kept += 1
        }
        out.count = kept
    }

    /// The second pass: scores the candidate slots with FlatIndex's per-pair kernel against
    /// the k-th distance as it tightens. A row split into head and tail is measured in two
    /// steps: the first 16 dimensions of every candidate (their lines were asked for a
    /// cluster ago), and the whole rows only of those the partial sums leave in, after
    /// their tails are asked for, so those misses overlap. Returns how many it scored.
    @inline(__always)
    func score(
        _ cluster: ClusterView, _ candidates: inout Candidates, _ q: UnsafePointer<Float>,
        into heap: inout TopK, excluding: Int?
    ) -> Int {
        guard candidates.count > 0, let rows = cluster.rows, let heads = cluster.heads else { return 0 }
        let h = ClusteredFlatIndex.headDims(dims), t = dims - h
        var worst = heap.threshold
        var n = candidates.count
        if let tails = cluster.tails, h == 16 {
            n = 0
            for i in 0..<candidates.count {
                let s = Int(candidates.slots[i])
                if vicinity_head_l2(q, heads + s * h) <= worst {
                    vicinity_prefetch(tails + s * t)
                    candidates.slots[n] = Int32(s)
                    n += 1
                }
            }
        }
        for i in 0..<n {
            let s = Int(candidates.slots[i])
            let head = heads + s * h
            let score = Kernels.squaredL2(
                q, head: head, tail: cluster.tails.map { $0 + s * t } ?? head + h, dims, unlessAbove: worst)
            if score <= worst, Int(rows[s]) != excluding {
                heap.insert(score, Int(rows[s]))
                worst = heap.threshold
            }
        }
        return candidates.count
    }
}
