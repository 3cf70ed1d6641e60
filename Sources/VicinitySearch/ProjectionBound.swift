import VicinityMath

/// A lower bound on squared L2 distances from a few principal axes of the base,
/// so that a batched search scores exactly only the rows the bound cannot rule out.
///
/// With P the top `p` principal axes (orthonormal rows), R the part of a vector
/// outside them, and everything centred on the base mean,
///     ‖q − x‖² = ‖P(q − x)‖² + ‖R(q − x)‖² ≥ ‖Pq − Px‖² + (‖Rq‖ − ‖Rx‖)²
/// (the triangle inequality on the residual). Each row keeps its p projected
/// coordinates, their squared norm, and its residual length as an interval
/// wide enough to cover rounding. `p ≤ d/10 − 5` keeps that, with the norm
/// FlatIndex keeps, under 10 % of the raw vectors.
struct ProjectionBound: Sendable {
    let mean: [Float]
    /// The principal axes as rows (p × d).
    let axes: Matrix
    private(set) var projected: Matrix
    private(set) var projectedNorms: [Float]
    private(set) var residualLow: [Float]
    private(set) var residualHigh: [Float]
    /// The largest squared centred norm ever held (kept on removal: it only widens the slack).
    private(set) var largestCentredNorm: Float = 0

    /// Relative rounding allowance for the bound and the thresholds it is compared with:
    /// a few times the worst-case error of a length-(d + p) float sum of squares.
    let tolerance: Float

    /// Rows in the covariance sample: enough for the leading axes, cheap at any base size.
    static let sampleRows = 8192

    /// The axes a base of `dims` gets by default: at most 64, and 0 (no bound)
    /// when fewer than 16 fit in the 10 % memory allowance, or above 2048 dims,
    /// where the d×d eigen-decomposition of the fit would take seconds (d³).
    static func automaticAxes(dims: Int) -> Int {
        let p = min(64, dims / 10 - 5) / 8 * 8
        return p >= 16 && dims <= 2048 ? p : 0
    }

    /// Fits `axes` principal axes on (a sample of) `vectors` and projects every row;
    /// nil when the data cannot carry a bound (too few rows, or values so large the
    /// norms overflow).
    init?(fitting vectors: Matrix, axes p: Int) {
        guard p >= 1, p < vectors.cols, vectors.rows >= 2 else { return nil }
        let stride = max(1, vectors.rows / ProjectionBound.sampleRows)
        let sample = stride == 1 ? vectors : vectors.rows(Array(Swift.stride(from: 0, to: vectors.rows, by: stride)))
        guard let pca = try? PCA.fit(sample, components: p) else { return nil }
        mean = pca.mean
        axes = pca.components
        tolerance = 16 * Float(vectors.cols + p) * Float.ulpOfOne
        projected = Matrix(rows: 0, cols: p)
        projectedNorms = []
        residualLow = []
        residualHigh = []
        append(vectors)
        guard largestCentredNorm.isFinite else { return nil }
    }

    var axisCount: Int { axes.rows }
    var bytes: Int { (projected.count + 3 * projectedNorms.count + axes.count + mean.count) * MemoryLayout<Float>.size }

    /// Projected coordinates, their squared norms and residual intervals for a set of rows.
    struct Projection: Sendable {
        var projected: Matrix
        var norms: [Float]
        var residualLow: [Float]
        var residualHigh: [Float]
        var centredNorms: [Float]
    }

    func project(_ rows: Matrix) -> Projection {
        var centred = rows
        centred.addToRows(mean, scaledBy: -1)
        let centredNorms = centred.rowSquaredNorms()
        let projected = centred.multiplied(by: axes, transposeOther: true)
        let norms = projected.rowSquaredNorms()
        // The residual ‖Rx‖² = ‖x‖² − ‖Px‖² loses digits to cancellation: widen it
        // by the rounding of both terms before taking the square roots.
        var low = [Float](repeating: 0, count: rows.rows), high = low
        for i in 0..<rows.rows {
            let residual = max(centredNorms[i] - norms[i], 0), margin = tolerance * centredNorms[i]
            low[i] = max(residual - margin, 0).squareRoot()
            high[i] = (residual + margin).squareRoot()
        }
        return Projection(
            projected: projected, norms: norms, residualLow: low, residualHigh: high,
            centredNorms: centredNorms)
    }

    mutating func append(_ rows: Matrix) {
        let p = project(rows)
        projected = Matrix(
            rows: projected.rows + p.projected.rows, cols: axisCount,
            storage: projected.storage + p.projected.storage)
        projectedNorms += p.norms
        residualLow += p.residualLow
        residualHigh += p.residualHigh
        largestCentredNorm = max(largestCentredNorm, p.centredNorms.max() ?? 0)
        if p.centredNorms.contains(where: { !$0.isFinite }) { largestCentredNorm = .infinity }
    }

    /// Mirrors FlatIndex.removeSwappingLast.
    mutating func removeSwappingLast(_ row: Int) {
        let last = projectedNorms.count - 1, p = axisCount
        if row != last {
            for j in 0..<p { projected[row, j] = projected[last, j] }
            projectedNorms[row] = projectedNorms[last]
            residualLow[row] = residualLow[last]
            residualHigh[row] = residualHigh[last]
        }
        var storage = projected.storage
        storage.removeLast(p)
        projected = Matrix(rows: last, cols: p, storage: storage)
        projectedNorms.removeLast()
        residualLow.removeLast()
        residualHigh.removeLast()
    }

    /// Whether the bound can be trusted for any query (false once a base row overflowed).
    var isUsable: Bool { largestCentredNorm.isFinite }

    /// The most a bound may exceed the exact score `threshold` of a row and the row
    /// still need scoring: covers the rounding of the bound, of the projection and
    /// of the score itself.
    @inline(__always)
    func limit(_ threshold: Float, centredQueryNorm: Float) -> Float {
        threshold + tolerance * (threshold + centredQueryNorm + largestCentredNorm)
    }
}
