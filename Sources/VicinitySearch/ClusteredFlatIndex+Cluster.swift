/// A cluster's members as the index keeps them.
extension ClusteredFlatIndex {
    /// One cluster's members, kept in ascending order of their distance to the
    /// centre (their ring): their rows, their vectors stored in that order, and the
    /// rings, each as one byte. A query then finds the members its ring bound leaves in
    /// as one contiguous run around its own distance to the centre.
    struct Cluster: Sendable {
        var rows: [Int32] = []
        /// Each member's first `headDims` floats, contiguous, and the rest of its vector
        /// apart: most members a walk passes are ruled out by their first 16 dimensions
        /// (96 % at 1M rows), and then the lines holding the rest are never read.
        var heads: [Float] = []
        var tails: [Float] = []
        /// Each member's ring as a step of 1/255 of the span between the rings when the
        /// codes were last made: ⌊(ring − inner)·scale⌋, ascending. Walks compare the
        /// window's ends by the very same formula, which float rounding keeps monotone, so
        /// no member whose ring is inside the window is left out. A byte, not a Float: 3
        /// bytes less a row (30 MB at 10M rows) and a quarter of the lines to search.
        var rings: [UInt8] = []
        /// No member is nearer the centre (Euclidean) than `inner` or farther than `radius`;
        /// removals leave both as they were (still bounds).
        var inner: Float = 0
        var radius: Float = 0
        var scale: Float = 0

        /// A distance from the centre on the members' scale, −1 below every code and 256
        /// above; NaN (from distances that overflow) gives `unknown`.
        @inline(__always)
        func step(_ ring: Float, unknown: Int) -> Int {
            let x = ((ring - inner) * scale).rounded(.down)
            return x >= 0 ? (x < 256 ? Int(x) : 256) : (x < 0 ? -1 : unknown)
        }

        /// The first slot whose ring code is not below `step`.
        func firstSlot(atLeast step: Int) -> Int {
            let step = UInt8(clamping: step)
            // Branch-free halving (a conditional move a step): a query runs this once per
            // cluster it reads, and a mispredicted branch a step cost more than the loads.
            return rings.withUnsafeBufferPointer { r in
                var base = 0, n = r.count
                while n > 1 {
                    let half = n / 2
                    base = r[base + half - 1] < step ? base + half : base
                    n -= half
                }
                return n == 1 && r[base] < step ? base + 1 : base
            }
        }

        /// Makes the cluster of `members`: ordered by (ring, row), each one's vector copied
        /// from `x` at its `source` row (`dims` floats), ring codes over their span.
        mutating func fill(_ members: [(ring: Float, row: Int32, source: Int)], from x: UnsafePointer<Float>, dims: Int)
        {
            let sorted = members.sorted { ($0.ring, $0.row) < ($1.ring, $1.row) }
            inner = sorted.first?.ring ?? 0
            radius = sorted.last?.ring ?? 0
            let span = radius - inner
            scale = span > 0 && span.isFinite ? 255 / span : 0
            rows = sorted.map(\.row)
            rings = sorted.map { UInt8(clamping: step($0.ring, unknown: 0)) }
            let h = ClusteredFlatIndex.headDims(dims), t = dims - h
            heads = [Float](unsafeUninitializedCapacity: sorted.count * h) { out, initialized in
                for (slot, m) in sorted.enumerated() {
                    (out.baseAddress! + slot * h).initialize(from: x + m.source * dims, count: h)
                }
                initialized = sorted.count * h
            }
            tails = [Float](unsafeUninitializedCapacity: sorted.count * t) { out, initialized in
                for (slot, m) in sorted.enumerated() {
                    (out.baseAddress! + slot * t).initialize(from: x + m.source * dims + h, count: t)
                }
                initialized = sorted.count * t
            }
        }

        /// The vector of the member in `slot`.
        func vector(slot s: Int, dims: Int) -> ArraySlice<Float> {
            let h = ClusteredFlatIndex.headDims(dims), t = dims - h
            return heads[(s * h)..<((s + 1) * h)] + tails[(s * t)..<((s + 1) * t)]
        }

        /// Every member's vector, in slot order, `dims` floats each.
        func vectors(dims: Int) -> [Float] {
            (0..<rows.count).flatMap { vector(slot: $0, dims: dims) }
        }

        /// Inserts a member at its place in ring order. A ring outside the span the codes
        /// were made for makes the cluster again: `measure` gives the rings of vectors.
        mutating func insert(row: Int, _ v: [Float], ring: Float, measure: ([Float]) -> [Float]) {
            guard ring >= inner && ring <= radius && scale > 0 else {
                let all = vectors(dims: v.count) + v
                let members = zip(measure(all), rows + [Int32(row)]).enumerated().map {
                    (ring: $1.0, row: $1.1, source: $0)
                }
                all.withUnsafeBufferPointer { fill(members, from: $0.baseAddress!, dims: v.count) }
                return
            }
            let code = step(ring, unknown: 0), s = firstSlot(atLeast: code)
            rows.insert(Int32(row), at: s)
            rings.insert(UInt8(clamping: code), at: s)
            let h = ClusteredFlatIndex.headDims(v.count), t = v.count - h
            heads.insert(contentsOf: v[..<h], at: s * h)
            tails.insert(contentsOf: v[h...], at: s * t)
        }

        /// Where `row` sits among the members (a short scan: clusters hold ~√n rows).
        func slot(of row: Int) -> Int {
            rows.firstIndex(of: Int32(row))!
        }

        /// Removes the member in `slot`, keeping the others in ring order.
        mutating func remove(slot s: Int, dims: Int) {
            rows.remove(at: s)
            rings.remove(at: s)
            let h = ClusteredFlatIndex.headDims(dims), t = dims - h
            heads.removeSubrange((s * h)..<((s + 1) * h))
            tails.removeSubrange((s * t)..<((s + 1) * t))
        }
    }
}
