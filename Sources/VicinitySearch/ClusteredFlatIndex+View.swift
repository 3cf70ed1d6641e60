/// What a query reads of each cluster, as raw addresses: reading a `Cluster` out of its array
/// retains and releases its six arrays (about 30 atomic operations a cluster a query, a
/// fifth of a 1M query's time); a view is plain data.
extension ClusteredFlatIndex {
    struct ClusterView: @unchecked Sendable {
        var rows: UnsafePointer<Int32>?
        var heads: UnsafePointer<Float>?
        var tails: UnsafePointer<Float>?
        var stepStart: UnsafePointer<Int32>?
        var shape: UnsafePointer<UInt8>?
        var axes: UnsafePointer<Float>?
        var count = 0
        var inner: Float = 0
        var radius: Float = 0
        var scale: Float = 0
        var shapeLow: (Float, Float, Float) = (0, 0, 0)
        var shapeWidth: (Float, Float, Float) = (1, 1, 1)
        var shapeUsable = false

        /// `Cluster.step`, on the view.
        @inline(__always)
        func step(_ ring: Float, unknown: Int) -> Int {
            ClusteredFlatIndex.band(ring, inner: inner, scale: scale, unknown: unknown)
        }

        /// The slots whose ring steps lie from `low` through `high` (either may be −1 or `bands`).
        @inline(__always)
        func slots(steps low: Int, _ high: Int) -> Range<Int> {
            guard let t = stepStart else { return 0..<0 }
            let from = Int(t[min(max(low, 0), Cluster.bands)]), to = Int(t[min(max(high + 1, 0), Cluster.bands)])
            return from..<max(from, to)
        }
    }

    /// A distance from the centre as a band of a cluster's span, −1 below every band and
    /// `bands` above; NaN (from distances that overflow) gives `unknown`.
    @inline(__always)
    static func band(_ ring: Float, inner: Float, scale: Float, unknown: Int) -> Int {
        let x = ((ring - inner) * scale).rounded(.down)
        return x >= 0 ? (x < Float(Cluster.bands) ? Int(x) : Cluster.bands) : (x < 0 ? -1 : unknown)
    }

    /// Views of `clusters`, valid until a cluster next changes: `clusters`' observer makes them
    /// again after every change (the arrays may have moved), and only then.
    static func views(of clusters: [Cluster]) -> [ClusterView] {
        clusters.map { c in
            func address<T>(_ a: [T]) -> UnsafePointer<T>? {
                a.isEmpty ? nil : a.withUnsafeBufferPointer { $0.baseAddress }
            }
            return ClusterView(
                rows: address(c.rows), heads: address(c.heads), tails: address(c.tails),
                stepStart: address(c.stepStart), shape: address(c.shape), axes: address(c.axes), count: c.rows.count,
                inner: c.inner, radius: c.radius, scale: c.scale, shapeLow: c.shapeLow, shapeWidth: c.shapeWidth,
                shapeUsable: c.shapeUsable)
        }
    }
}
