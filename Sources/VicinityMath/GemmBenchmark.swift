import COpenBLAS
import Foundation

/// Measures the `Matrix.gemm` wrapper against a raw `cblas_sgemm` call on the
/// same operands, so the wrapper's overhead can be stated as a ratio.
public enum GemmBenchmark {
    public struct Result: Sendable {
        public var rawGFLOPS: Double
        public var wrapperGFLOPS: Double
    }

    public static func run(size n: Int, repeats: Int) -> Result {
        var rng = SeededRNG(seed: 1)
        let a = Matrix(rows: n, cols: n, storage: rng.uniforms(n * n))
        let b = Matrix(rows: n, cols: n, storage: rng.uniforms(n * n))
        var c = Matrix(rows: n, cols: n)
        let flops = 2 * Double(n) * Double(n) * Double(n)
        var raw = Double.infinity, wrapped = Double.infinity
        // Raw OpenBLAS at its own best: all cores, whatever the wrapper uses.
        let wrapperThreads = BLAS.threads
        defer { BLAS.setThreads(wrapperThreads) }
        // Interleave the two sides so drift in machine load hits both alike.
        for _ in 0..<(repeats + 1) {
            BLAS.setThreads(availableCores)
            var t = Date()
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    c.storage.withUnsafeMutableBufferPointer { pc in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                            1, pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                    }
                }
            }
            raw = min(raw, Date().timeIntervalSince(t))
            BLAS.setThreads(wrapperThreads)
            t = Date()
            Matrix.gemm(a, .none, b, .none, into: &c)
            wrapped = min(wrapped, Date().timeIntervalSince(t))
        }
        return Result(rawGFLOPS: flops / raw / 1e9, wrapperGFLOPS: flops / wrapped / 1e9)
    }
}
