/// A cluster's members as the index keeps them.
extension ClusteredFlatIndex {
    /// One cluster's members, kept in ascending order of their distance to the
    /// centre (their ring): their rows, their vectors stored contiguously in that
    /// order, and the rings, each as one byte. A query then finds the members its ring
    /// bound leaves in as one contiguous run around its own distance to the centre.
    struct Cluster: Sendable {
        var rows: [Int32] = []
        var vectors: [Float] = []
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
            vectors = [Float](unsafeUninitializedCapacity: sorted.count * dims) { out, initialized in
                for (slot, m) in sorted.enumerated() {
                    (out.baseAddress! + slot * dims).initialize(from: x + m.source * dims, count: dims)
                }
                initialized = sorted.count * dims
            }
        }

        /// Inserts a member at its place in ring order. A ring outside the span the codes
        /// were made for makes the cluster again: `measure` gives the rings of vectors.
        mutating func insert(row: Int, _ v: [Float], ring: Float, measure: ([Float]) -> [Float]) {
            guard ring >= inner && ring <= radius && scale > 0 else {
                let all = vectors + v
                let members = zip(measure(all), rows + [Int32(row)]).enumerated().map {
                    (ring: $1.0, row: $1.1, source: $0)
                }
                all.withUnsafeBufferPointer { fill(members, from: $0.baseAddress!, dims: v.count) }
                return
            }
            let code = step(ring, unknown: 0), s = firstSlot(atLeast: code)
            rows.insert(Int32(row), at: s)
            rings.insert(UInt8(clamping: code), at: s)
            vectors.insert(contentsOf: v, at: s * v.count)
        }

        /// Where `row` sits among the members (a short scan: clusters hold ~√n rows).
        func slot(of row: Int) -> Int {
            rows.firstIndex(of: Int32(row))!
        }

        /// Removes the member in `slot`, keeping the others in ring order.
        mutating func remove(slot s: Int, dims: Int) {
            rows.remove(at: s)
            rings.remove(at: s)
            vectors.removeSubrange((s * dims)..<((s + 1) * dims))
        }
    }
}
