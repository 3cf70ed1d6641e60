import CKernels

/// Where a member sits in its cluster beyond its ring: its offset from the centre along the
/// cluster's two principal axes, and the length of what is left (three coordinates whose
/// squares sum to the ring's), each kept as a byte. For a query split the same way, the
/// distance between the two three-coordinate points bounds ‖q − x‖ from below, and more
/// tightly than the rings alone (which compare only the lengths): at 1M rows it rules out
/// about three quarters of the members a ring walk passes before their vectors are read.
extension ClusteredFlatIndex {
    /// Members measured for a cluster's axes (evenly spread over its slots).
    static let axisSampleRows = 64

    /// A query's three coordinates in one cluster, with the slack every cell is widened by.
    struct QueryShape {
        var coordinates: (Float, Float, Float)
        var slack: Float
        var usable: Bool
    }

    /// The query's coordinates in `cluster`; unusable (never rule a member out) when they overflow.
    @inline(__always)
    static func queryShape(
        _ q: UnsafePointer<Float>, centre: UnsafePointer<Float>, _ cluster: ClusterView, dims: Int,
        toCentre: Float
    ) -> QueryShape {
        guard let axes = cluster.axes else { return QueryShape(coordinates: (0, 0, 0), slack: 0, usable: false) }
        var v: (Float, Float, Float) = (0, 0, 0)
        withUnsafeMutableBytes(of: &v) {
            vicinity_shape_coordinates(q, centre, axes, dims, $0.baseAddress!.assumingMemoryBound(to: Float.self))
        }
        let c = v
        // Far above float rounding in the projections and the cells (relative ~1e-6), as in `bound`.
        // (Coordinates and cell edges are at most the radius or the distance to the centre.)
        let slack = 1e-3 * (toCentre + cluster.radius)
        let usable = cluster.shapeUsable && c.0.isFinite && c.1.isFinite && c.2.isFinite && slack.isFinite
        return QueryShape(coordinates: c, slack: slack, usable: usable)
    }

    /// (x − c)·u₁, (x − c)·u₂ and ‖x − c − …‖ of what the axes leave, as a query measures them
    /// (in float: the slack covers its rounding).
    @inline(__always)
    static func shapeCoordinates(
        _ x: UnsafePointer<Float>, centre: UnsafePointer<Float>, axes: UnsafePointer<Float>, dims: Int
    ) -> (Double, Double, Double) {
        var v: (Float, Float, Float) = (0, 0, 0)
        withUnsafeMutableBytes(of: &v) {
            vicinity_shape_coordinates(x, centre, axes, dims, $0.baseAddress!.assumingMemoryBound(to: Float.self))
        }
        return (Double(v.0), Double(v.1), Double(v.2))
    }

    /// The two leading eigenvectors of Σ (x − c)(x − c)ᵀ over a sample of the members (power
    /// iteration in Double, the second kept orthogonal to the first), as 2·dims floats; an
    /// axis the members do not span is all zeros, which leaves the bound at the ring's.
    static func principalAxes(
        of members: [Int], from x: UnsafePointer<Float>, centre: UnsafePointer<Float>, dims: Int
    ) -> [Float] {
        let step = max(1, members.count / axisSampleRows)
        var m = [Double](repeating: 0, count: dims * dims)
        var d = [Double](repeating: 0, count: dims)
        for i in stride(from: 0, to: members.count, by: step) {
            let row = x + members[i] * dims
            for t in 0..<dims { d[t] = Double(row[t] - centre[t]) }
            for a in 0..<dims where d[a] != 0 {
                for b in 0..<dims { m[a * dims + b] += d[a] * d[b] }
            }
        }
        var axes = [Float](repeating: 0, count: 2 * dims)
        var found: [[Double]] = []
        for axis in 0..<2 {
            var u = (0..<dims).map { 1 / Double($0 + 2) }
            for _ in 0..<20 {
                var next = [Double](repeating: 0, count: dims)
                for a in 0..<dims {
                    var s = 0.0
                    for b in 0..<dims { s += m[a * dims + b] * u[b] }
                    next[a] = s
                }
                for f in found {
                    let p = zip(next, f).reduce(0) { $0 + $1.0 * $1.1 }
                    for t in 0..<dims { next[t] -= p * f[t] }
                }
                let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12, norm.isFinite else { return axes }
                u = next.map { $0 / norm }
            }
            found.append(u)
            for t in 0..<dims { axes[axis * dims + t] = Float(u[t]) }
        }
        return axes
    }
}

extension ClusteredFlatIndex.Cluster {
    /// Cells of each coordinate: the first axis a byte, the second axis and the rest a nibble
    /// each, the two in one byte — 2 bytes a member (3 full bytes ruled out 5 % more rows and
    /// would take the 10M server past 1.3× its codes).
    static let cells = [256, 16, 16]

    /// Codes the members' coordinates (one per `values` entry, in slot order) over their
    /// span: a member's value lies in low + code·width … low + (code + 1)·width. Two planes
    /// of a byte a member: the first axis's codes, then the second's and the rest's as low and
    /// high nibbles. Members whose vectors overflow (∞ or NaN coordinates) leave the codes unused.
    mutating func setShape(_ values: [(Double, Double, Double)]) {
        shapeUsable = values.allSatisfy { $0.0.isFinite && $0.1.isFinite && $0.2.isFinite }
        func span(_ p: Int) -> (low: Float, width: Float) {
            let picked = values.map { Self.pick($0, p) }
            guard shapeUsable, let low = picked.min(), let high = picked.max() else { return (0, 1) }
            // The low end a float below, so the width is never 0 and no member falls below the first cell.
            let l = Float(low).nextDown
            return (l, Float((high - Double(l)) / Double(Self.cells[p] - 1)).nextUp)
        }
        let spans = (0..<3).map(span)
        shapeLow = (spans[0].low, spans[1].low, spans[2].low)
        shapeWidth = (spans[0].width, spans[1].width, spans[2].width)
        // Straight into the two planes: no array a member (10M of them made a 10M start 13 s slower).
        let n = values.count
        shape = [UInt8](repeating: 0, count: 2 * n)
        for (i, v) in values.enumerated() {
            let b = code(v.1, spans[1], cells: Self.cells[1]) ?? 0, r = code(v.2, spans[2], cells: Self.cells[2]) ?? 0
            shape[i] = UInt8(code(v.0, spans[0], cells: Self.cells[0]) ?? 0)
            shape[n + i] = UInt8(b | r << 4)
        }
    }

    static func pick(_ v: (Double, Double, Double), _ p: Int) -> Double { p == 0 ? v.0 : p == 1 ? v.1 : v.2 }

    /// The cell of `value` on `span`, or nil when it lies outside the `cells` cells.
    func code(_ value: Double, _ span: (low: Float, width: Float), cells: Int) -> Int? {
        let c = ((value - Double(span.low)) / Double(span.width)).rounded(.down)
        return c >= 0 && c < Double(cells) ? Int(c) : nil
    }

    /// The two plane bytes of a new member, or nil when a coordinate lies outside the cluster's cells.
    func codes(_ v: (Double, Double, Double)) -> [UInt8]? {
        guard shapeUsable else { return nil }
        let spans = [(shapeLow.0, shapeWidth.0), (shapeLow.1, shapeWidth.1), (shapeLow.2, shapeWidth.2)]
        let c = (0..<3).map { code(Self.pick(v, $0), spans[$0], cells: Self.cells[$0]) }
        guard let a = c[0], let b = c[1], let r = c[2] else { return nil }
        return [UInt8(a), UInt8(b | r << 4)]
    }
}
