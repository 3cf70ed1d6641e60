import COpenBLAS

/// Whether a matrix operand enters a product as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Pointer-level BLAS calls on row-major Float32 data. Hot paths that work on
/// sub-blocks use these directly; everything else goes through `Matrix`.
public enum BLAS {
    /// C (m×n) = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
    /// `lda`, `ldb`, `ldc` are row strides of the arrays as stored.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        gemm(
            transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
            parts: ownThreads ? min(availableCores, max(1, m * n * k / (1 << 21))) : 1)
    }

    /// `gemm` with C cut into `parts` slabs, one per thread of ours; `parts: 1` runs on
    /// the calling thread (with `useOwnThreads`, OpenBLAS itself is on one), for
    /// callers that already split work over cores.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parts: Int
    ) {
        guard parts > 1 else {
            cblas_sgemm(
                CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        // Our own threads each take a slab of C along its longer side, with OpenBLAS on one thread:
        // its worker threads would otherwise spin between calls and compete with our parallel loops.
        let shared = UnsafeSendable((a, b, c))
        let alongRows = m >= n
        let total = alongRows ? m : n
        parallelFor(parts) { p in
            let (a, b, c) = shared.value
            let lo = total * p / parts, hi = total * (p + 1) / parts
            guard hi > lo else { return }
            if alongRows {
                let aSlab = transA == .none ? a + lo * lda : a + lo
                cblas_sgemm(
                    CblasRowMajor, transA.cblas, transB.cblas, Int32(hi - lo), Int32(n), Int32(k),
                    alpha, aSlab, Int32(lda), b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
            } else {
                let bSlab = transB == .none ? b + lo : b + lo * ldb
                cblas_sgemm(
                    CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(hi - lo), Int32(k),
                    alpha, a, Int32(lda), bSlab, Int32(ldb), beta, c + lo, Int32(ldc))
            }
        }
    }

    /// Whether gemm spreads work over our own threads, OpenBLAS itself running on one
    /// (`useOwnThreads`); otherwise OpenBLAS threads each call itself.
    public static var ownThreads: Bool { _ownThreads }
    nonisolated(unsafe) private static var _ownThreads = false

    /// Switches to our own threads for the rest of the process. Measured on 2 cores: fine-tuning
    /// steps 20 % faster, because OpenBLAS's idle workers spin between calls and steal the core
    /// from the element-wise loops that run in between. Call once, before any concurrent work.
    public static func useOwnThreads() {
        _ownThreads = true
        setThreads(1)
    }

    /// y = alpha · op(A) · x + beta · y for a row-major m×n matrix A.
    public static func gemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// y += alpha · x over `count` elements.
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// x *= alpha over `count` elements.
    public static func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_sscal(Int32(count), alpha, x, 1)
    }

    public static func dot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        guard count > 0 else { return 0 }
        return cblas_sdot(Int32(count), x, 1, y, 1)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
    }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}
