/// A cluster's members as the index keeps them.
extension ClusteredFlatIndex {
    /// One cluster's members, kept in bands of their distance to the centre (their ring):
    /// their rows, their vectors stored in that order, their shape codes, and where each band
    /// begins. A query then finds the members its ring bound leaves in as one contiguous run
    /// of slots, in two reads of the band table.
    struct Cluster: Sendable {
        var rows: [Int32] = []
        /// Each member's first `headDims` floats, contiguous, and the rest of its vector
        /// apart: most members a walk passes are ruled out by their first 16 dimensions
        /// (96 % at 1M rows), and then the lines holding the rest are never read.
        var heads: [Float] = []
        var tails: [Float] = []
        /// A member's band is ⌊(ring − inner)·scale⌋, a step of 1/`bands` of the span between
        /// the rings when the cluster was last made; `stepStart[s]` is the first slot whose
        /// band is at least s (`bands` + 1 entries, the last the member count). Windows are cut
        /// by the very same formula, which float rounding keeps monotone, so no member whose
        /// ring is inside a window is left out. No byte a member: the bands are the slots'.
        var stepStart: [Int32] = [Int32](repeating: 0, count: bands + 1)
        /// Bands of ring a cluster's span is cut into.
        static let bands = 16
        /// No member is nearer the centre (Euclidean) than `inner` or farther than `radius`;
        /// removals leave both as they were (still bounds).
        var inner: Float = 0
        var radius: Float = 0
        var scale: Float = 0
        /// The cluster's two principal axes (2·dims floats) and each member's three coordinates
        /// on them as codes, 2 bytes a member in two planes (see ClusteredFlatIndex+Shape).
        var axes: [Float] = []
        var shape: [UInt8] = []
        var shapeLow: (Float, Float, Float) = (0, 0, 0)
        var shapeWidth: (Float, Float, Float) = (1, 1, 1)
        var shapeUsable = false

        /// A distance from the centre on the members' scale, −1 below every band and `bands`
        /// above; NaN (from distances that overflow) gives `unknown`.
        @inline(__always)
        func step(_ ring: Float, unknown: Int) -> Int {
            ClusteredFlatIndex.band(ring, inner: inner, scale: scale, unknown: unknown)
        }

        /// Makes the cluster of `members`: ordered by ring band, then (so that the members a
        /// query's coordinates leave in tend to sit side by side) by their offset along the first
        /// axis, then by (ring, row); each one's vector copied from `x` at its `source` row
        /// (`dims` floats), bands over the span of rings, shape codes over their spans. A ring
        /// that overflows leaves the cluster one band from 0 to ∞, read whole by every query.
        mutating func fill(
            _ members: [(row: Int32, source: Int)], from x: UnsafePointer<Float>, dims: Int,
            centre: UnsafePointer<Float>
        ) {
            let rings = members.map { Kernels.squaredL2(x + $0.source * dims, centre, dims).squareRoot() }
            let finite = rings.allSatisfy(\.isFinite)
            inner = finite ? rings.min() ?? 0 : 0
            radius = finite ? rings.max() ?? 0 : (rings.isEmpty ? 0 : .infinity)
            let span = radius - inner
            scale = span > 0 && span.isFinite ? Float(Self.bands) / span : 0
            axes = ClusteredFlatIndex.principalAxes(of: members.map(\.source), from: x, centre: centre, dims: dims)
            let measured = axes.withUnsafeBufferPointer { a in
                members.map {
                    ClusteredFlatIndex.shapeCoordinates(
                        x + $0.source * dims, centre: centre, axes: a.baseAddress!, dims: dims)
                }
            }
            struct Key: Comparable {
                var band: Int, offset: Double, ring: Float, row: Int32, index: Int
                static func < (a: Key, b: Key) -> Bool {
                    (a.band, a.offset, a.ring, a.row) < (b.band, b.offset, b.ring, b.row)
                }
            }
            let order = members.indices.map {
                Key(band: band(rings[$0]), offset: measured[$0].0, ring: rings[$0], row: members[$0].row, index: $0)
            }.sorted().map(\.index)
            let sorted = order.map { members[$0] }
            rows = sorted.map(\.row)
            stepStart = [Int32](repeating: 0, count: Self.bands + 1)
            for i in order { stepStart[band(rings[i]) + 1] += 1 }
            for s in 1...Self.bands { stepStart[s] += stepStart[s - 1] }
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
            setShape(order.map { measured[$0] })
        }

        /// The band a member at `ring` is kept in.
        @inline(__always)
        func band(_ ring: Float) -> Int { min(Self.bands - 1, max(0, step(ring, unknown: 0))) }

        /// The vector of the member in `slot`.
        func vector(slot s: Int, dims: Int) -> ArraySlice<Float> {
            let h = ClusteredFlatIndex.headDims(dims), t = dims - h
            return heads[(s * h)..<((s + 1) * h)] + tails[(s * t)..<((s + 1) * t)]
        }

        /// Every member's vector, in slot order, `dims` floats each.
        func vectors(dims: Int) -> [Float] {
            (0..<rows.count).flatMap { vector(slot: $0, dims: dims) }
        }

        /// Inserts a member at the end of its ring band. A ring or coordinate outside the span
        /// the codes were made for makes the cluster again.
        mutating func insert(row: Int, _ v: [Float], ring: Float, centre: [Float]) {
            let coded = centre.withUnsafeBufferPointer { c in
                v.withUnsafeBufferPointer { x in
                    axes.withUnsafeBufferPointer { a in
                        a.count == 2 * v.count
                            ? codes(
                                ClusteredFlatIndex.shapeCoordinates(
                                    x.baseAddress!, centre: c.baseAddress!, axes: a.baseAddress!, dims: v.count))
                            : nil
                    }
                }
            }
            guard ring >= inner && ring <= radius && scale > 0, let coded else {
                let all = vectors(dims: v.count) + v
                let members = (rows + [Int32(row)]).enumerated().map { (row: $1, source: $0) }
                all.withUnsafeBufferPointer { x in
                    centre.withUnsafeBufferPointer {
                        fill(members, from: x.baseAddress!, dims: v.count, centre: $0.baseAddress!)
                    }
                }
                return
            }
            let code = band(ring), s = Int(stepStart[code + 1])
            rows.insert(Int32(row), at: s)
            for c in (code + 1)...Self.bands { stepStart[c] += 1 }
            let n = rows.count - 1
            for plane in [1, 0] { shape.insert(coded[plane], at: plane * n + s) }
            let h = ClusteredFlatIndex.headDims(v.count), t = v.count - h
            heads.insert(contentsOf: v[..<h], at: s * h)
            tails.insert(contentsOf: v[h...], at: s * t)
        }

        /// Where `row` sits among the members (a short scan: clusters hold ~√n rows).
        func slot(of row: Int) -> Int {
            rows.firstIndex(of: Int32(row))!
        }

        /// Removes the member in `slot`, keeping the others in their bands.
        mutating func remove(slot s: Int, dims: Int) {
            rows.remove(at: s)
            // The member's step is the last one that begins at or before its slot.
            let code = stepStart.lastIndex { Int($0) <= s }!
            for c in (code + 1)...Self.bands { stepStart[c] -= 1 }
            let n = rows.count + 1
            for plane in [1, 0] { shape.remove(at: plane * n + s) }
            let h = ClusteredFlatIndex.headDims(dims), t = dims - h
            heads.removeSubrange((s * h)..<((s + 1) * h))
            tails.removeSubrange((s * t)..<((s + 1) * t))
        }
    }
}
