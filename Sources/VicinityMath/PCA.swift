/// Principal component analysis through the eigen-decomposition of the
/// covariance matrix (1/N)·XcᵀXc, formed by one sgemm on centred data.
public struct PCA: Sendable, Equatable {
    /// Column means of the training data (length D).
    public let mean: [Float]
    /// The principal axes as rows (k×D), largest variance first, unit length.
    public let components: Matrix
    /// The variance along each axis (length k), descending.
    public let eigenvalues: [Float]
    /// Whether `transform` divides each coordinate by its standard deviation.
    public let whiten: Bool

    /// Added to eigenvalues before whitening so near-zero directions do not blow up.
    public static let whitenEpsilon: Float = 1e-6

    public init(mean: [Float], components: Matrix, eigenvalues: [Float], whiten: Bool = false) {
        precondition(
            components.cols == mean.count && components.rows == eigenvalues.count,
            "PCA: components \(components.rows)×\(components.cols), mean \(mean.count), eigenvalues \(eigenvalues.count)"
        )
        self.mean = mean
        self.components = components
        self.eigenvalues = eigenvalues
        self.whiten = whiten
    }

    /// Fits the top `components` axes of `data` (N×D).
    public static func fit(_ data: Matrix, components k: Int, whiten: Bool = false) throws -> PCA {
        guard data.rows >= 2 else { throw MathError("PCA needs at least 2 rows, got \(data.rows)") }
        guard k >= 1 && k <= data.cols else {
            throw MathError("PCA components must be in 1...\(data.cols), got \(k)")
        }
        let mean = data.columnMeans()
        var centred = data
        centred.addToRows(mean, scaledBy: -1)
        var covariance = Matrix(rows: data.cols, cols: data.cols)
        Matrix.gemm(centred, .transposed, centred, .none, alpha: 1 / Float(data.rows), into: &covariance)
        let (values, vectors) = try LAPACK.symmetricEigen(covariance)
        return PCA(
            mean: mean, components: vectors.rows(in: 0..<k),
            eigenvalues: values[0..<k].map { max($0, 0) }, whiten: whiten)
    }

    public var inputDims: Int { mean.count }
    public var outputDims: Int { components.rows }

    /// Projects rows of `data` (N×D) to N×k.
    public func transform(_ data: Matrix) -> Matrix {
        precondition(
            data.cols == inputDims, "PCA.transform: data has \(data.cols) columns, PCA was fit on \(inputDims)")
        var centred = data
        centred.addToRows(mean, scaledBy: -1)
        var out = centred.multiplied(by: components, transposeOther: true)
        if whiten {
            let scale = eigenvalues.map { 1 / ($0 + PCA.whitenEpsilon).squareRoot() }
            out.scaleColumns(scale)
        }
        return out
    }

    /// Maps codes (N×k) back to the input space (N×D).
    public func inverseTransform(_ codes: Matrix) -> Matrix {
        precondition(
            codes.cols == outputDims, "PCA.inverseTransform: codes have \(codes.cols) columns, PCA has \(outputDims)")
        var z = codes
        if whiten { z.scaleColumns(eigenvalues.map { ($0 + PCA.whitenEpsilon).squareRoot() }) }
        var out = z.multiplied(by: components)
        out.addToRows(mean)
        return out
    }
}
