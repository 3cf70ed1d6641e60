import VicinityMath

/// Forward passes whose result for a row never depends on the other rows, on the batch size, on
/// the thread count or on the row's position: every input goes through in a block of exactly
/// `rows` rows (the last block padded with zero rows), one block at a time on one thread, with
/// one serial sgemm call per layer.
///
/// Why fixed blocks: OpenBLAS computes a product differently by its shape — below
/// M·N·K ≈ 10⁶ it switches to small-matrix kernels, one or two rows go down a gemv-like
/// path, and threads split C into slabs — so a row's code used to change in its last bits
/// with its batch (79 of 2,000 codes identical between one run and four). Within one shape,
/// a row of C is the same sequence of fused multiply-adds whatever the other rows hold (each
/// row is a lane of the kernel), which `RowBlocksTests` checks.
public enum RowBlocks {
    /// Rows per block: large enough that sgemm runs at ~85 % of its large-batch rate on a
    /// 784-500 layer, small enough that one query (padded to a block) costs about a millisecond.
    public static let rows = 32

    /// `f` applied to `x` block by block, blocks spread over `availableCores` workers in
    /// contiguous runs. `f` must map a `rows`×`x.cols` matrix to `rows`×`outCols`, row by row.
    public static func map(_ x: Matrix, outCols: Int, _ f: @Sendable (Matrix) -> Matrix) -> Matrix {
        let n = x.rows, d = x.cols, r = rows
        var out = Matrix(rows: n, cols: outCols)
        guard n > 0, d > 0, outCols > 0 else { return out }
        let blocks = (n + r - 1) / r
        let workers = min(blocks, availableCores)
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                let shared = UnsafeSendable((src.baseAddress!, dst.baseAddress!))
                parallelFor(workers) { w in
                    let (src, dst) = shared.value
                    var block = Matrix(rows: r, cols: d)
                    for b in (blocks * w / workers)..<(blocks * (w + 1) / workers) {
                        let lo = b * r, live = min(n, lo + r) - lo
                        block.storage.withUnsafeMutableBufferPointer { p in
                            p.baseAddress!.update(from: src + lo * d, count: live * d)
                            if live < r { (p.baseAddress! + live * d).update(repeating: 0, count: (r - live) * d) }
                        }
                        let y = f(block)
                        precondition(
                            y.rows == r && y.cols == outCols,
                            "RowBlocks: f gave \(y.rows)×\(y.cols), expected \(r)×\(outCols)")
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
