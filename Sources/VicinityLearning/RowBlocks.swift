import VicinityMath

/// Forward passes whose result for a row never depends on the other rows, on the batch size, on
/// the thread count or on the row's position: the layers run through `Matrix.fixedOrderProduct`,
/// where every element is the same fused multiply-adds in the same order whatever its row's
/// company, on blocks of at most `rows` rows spread over the cores.
///
/// Why not sgemm: OpenBLAS computes a product differently by its shape (small-matrix kernels,
/// a gemv-like path for one or two rows, slabs per thread) and, with its Haswell/Zen kernel, by a
/// row's position in the block, so a row's code changed in its last bits with its batch (79 of
/// 2,000 codes identical between one run and four; on AMD EPYC family 25 a row moved within a
/// 32-row block changed in 20 of 32 places). `RowBlocksTests` checks the invariance bit for bit.
public enum RowBlocks {
    /// Rows per block: enough that each layer's weights are read once for many rows; a lone
    /// query is a block of one (no padding: the product does not care).
    public static let rows = 256

    /// `f` applied to `x` block by block, blocks spread over `availableCores` workers in
    /// contiguous runs. `f` must map a k×`x.cols` matrix to k×`outCols`, row by row.
    public static func map(_ x: Matrix, outCols: Int, _ f: @Sendable (Matrix) -> Matrix) -> Matrix {
        let n = x.rows, d = x.cols
        var out = Matrix(rows: n, cols: outCols)
        guard n > 0, d > 0, outCols > 0 else { return out }
        // Small batches in smaller blocks, so that both cores share them.
        let r = min(rows, max(8, (n + availableCores - 1) / availableCores))
        let blocks = (n + r - 1) / r
        let workers = min(blocks, availableCores)
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                let shared = UnsafeSendable((src.baseAddress!, dst.baseAddress!))
                parallelFor(workers) { w in
                    let (src, dst) = shared.value
                    for b in (blocks * w / workers)..<(blocks * (w + 1) / workers) {
                        let lo = b * r, live = min(n, lo + r) - lo
                        let block = Matrix(
                            rows: live, cols: d,
                            storage: Array(UnsafeBufferPointer(start: src + lo * d, count: live * d)))
                        let y = f(block)
                        precondition(
                            y.rows == live && y.cols == outCols,
                            "RowBlocks: f gave \(y.rows)×\(y.cols), expected \(live)×\(outCols)")
                        y.storage.withUnsafeBufferPointer { q in
                            (dst + lo * outCols).update(from: q.baseAddress!, count: live * outCols)
                        }
                    }
                }
            }
        }
        return out
    }
}
