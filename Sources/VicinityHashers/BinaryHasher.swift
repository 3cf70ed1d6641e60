import VicinityMath

/// A method that turns real vectors into short binary codes: it projects each
/// row to `bits` real values and sets bit j when value j is above 0.
public protocol BinaryHasher: Sendable {
    /// Short name used in files and reports: lsh, pca-hash, itq, spectral.
    var kind: String { get }
    var bits: Int { get }
    var inputDims: Int { get }
    /// N×bits real values whose signs are the bits.
    func project(_ x: Matrix) -> Matrix
}

/// Orthonormal rows: the first `rows` right-singular vectors of a Gaussian matrix.
func randomOrthonormalRows(_ rows: Int, _ cols: Int, rng: inout SeededRNG) throws -> Matrix {
    let g = Matrix(rows: max(rows, 1), cols: cols, storage: rng.gaussians(max(rows, 1) * cols))
    if rows <= cols { return try LAPACK.svd(g).vt.rows(in: 0..<rows) }
    // More rows than dimensions: orthonormal columns instead (each row a unit-norm mix).
    return try LAPACK.svd(g).u
}
