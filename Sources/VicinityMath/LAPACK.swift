import COpenBLAS

/// LAPACK decompositions. LAPACK is column-major; a row-major buffer read as
/// column-major is the transpose, which the wrappers below account for.
public enum LAPACK {
    /// Eigen-decomposition of a symmetric n×n matrix (ssyevd).
    /// Returns eigenvalues in descending order and the matching unit eigenvectors as the rows of `vectors`.
    public static func symmetricEigen(_ a: Matrix) throws -> (values: [Float], vectors: Matrix) {
        precondition(a.rows == a.cols, "symmetricEigen needs a square matrix, got \(a.rows)×\(a.cols)")
        let n = a.rows
        guard n > 0 else { return ([], Matrix(rows: 0, cols: 0)) }
        // Symmetric, so the row-major buffer is the same matrix column-major;
        // the eigenvectors come back as columns there, which are rows here.
        var buffer = a.storage
        var w = [Float](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        // Workspace query first, then the real call.
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize: Float = 0
        var iworkSize: Int32 = 0
        ssyevd_(&jobz, &uplo, &nn, &buffer, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
        guard info == 0 else { throw MathError("ssyevd workspace query failed (info \(info))") }
        lwork = Int32(workSize.rounded(.up))
        liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevd_(&jobz, &uplo, &nn, &buffer, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else {
            throw MathError(
                info < 0 ? "ssyevd: argument \(-info) is invalid" : "ssyevd did not converge (info \(info))")
        }
        // LAPACK gives ascending order; callers want the largest first.
        let ascending = Matrix(rows: n, cols: n, storage: buffer)
        let order = Array((0..<n).reversed())
        return (order.map { w[$0] }, ascending.rows(order))
    }

    /// Thin SVD of an m×n matrix (sgesdd): A = U · diag(S) · Vt with U m×k, S k, Vt k×n, k = min(m, n);
    /// singular values in descending order.
    public static func svd(_ a: Matrix) throws -> (u: Matrix, s: [Float], vt: Matrix) {
        let (m, n) = (a.rows, a.cols)
        let k = min(m, n)
        guard k > 0 else { return (Matrix(rows: m, cols: 0), [], Matrix(rows: 0, cols: n)) }
        // Row-major A is column-major Aᵀ (n×m). Aᵀ = V S Uᵀ, so LAPACK's "U"
        // (n×k column-major) is our Vt row-major, and its "VT" (k×m column-major) is our U.
        var buffer = a.storage
        var s = [Float](repeating: 0, count: k)
        var vtOut = [Float](repeating: 0, count: k * n)
        var uOut = [Float](repeating: 0, count: m * k)
        var jobz = CChar(UInt8(ascii: "S"))
        var mm = Int32(n), nn = Int32(m), lda = Int32(n), ldu = Int32(n), ldvt = Int32(k), info: Int32 = 0
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var lwork: Int32 = -1
        var workSize: Float = 0
        sgesdd_(&jobz, &mm, &nn, &buffer, &lda, &s, &vtOut, &ldu, &uOut, &ldvt, &workSize, &lwork, &iwork, &info)
        guard info == 0 else { throw MathError("sgesdd workspace query failed (info \(info))") }
        lwork = Int32(workSize.rounded(.up))
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_(&jobz, &mm, &nn, &buffer, &lda, &s, &vtOut, &ldu, &uOut, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else {
            throw MathError(
                info < 0 ? "sgesdd: argument \(-info) is invalid" : "sgesdd did not converge (info \(info))")
        }
        return (Matrix(rows: m, cols: k, storage: uOut), s, Matrix(rows: k, cols: n, storage: vtOut))
    }
}
