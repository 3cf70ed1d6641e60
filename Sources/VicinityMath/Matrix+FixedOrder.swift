/// A product whose every element is computed the same way wherever its row sits.
///
/// OpenBLAS's Haswell/Zen sgemm kernel (what it picks on AMD EPYC family 25 when
/// OPENBLAS_CORETYPE is not set) gives a row's result different last bits by the row's
/// position in the block: of 32 rows, only positions 0–5, 12–17, 24–29 agree with position 0.
/// Embedding must not depend on the batch, so models embed through this instead: each
/// element is bias + Σₖ x[i,k]·w[k,j] as one fused multiply-add per k in ascending k, each in
/// its own SIMD lane, so the bits depend on the row's values alone.
extension Matrix {
    /// x·w + bias (bias added to every row), x B×I, w I×O.
    public static func fixedOrderProduct(_ x: Matrix, _ w: Matrix, bias: [Float]) -> Matrix {
        precondition(x.cols == w.rows, "fixedOrderProduct: x is \(x.rows)×\(x.cols) but w is \(w.rows)×\(w.cols)")
        precondition(bias.count == w.cols, "fixedOrderProduct: bias has \(bias.count) values for \(w.cols) outputs")
        let (rows, inner, outs) = (x.rows, x.cols, w.cols)
        var z = Matrix(rows: rows, cols: outs)
        guard rows > 0, outs > 0 else { return z }
        // Each 16-column panel of w copied into k-major order, so the tiles read it in sequence;
        // the last panel padded with zero columns, whose lanes are dropped.
        var panel = [Float](repeating: 0, count: inner * 16)
        var tileBias = [Float](repeating: 0, count: 16)
        var scratch = [Float](repeating: 0, count: 4 * 16)
        x.storage.withUnsafeBufferPointer { xp in
            w.storage.withUnsafeBufferPointer { wp in
                z.storage.withUnsafeMutableBufferPointer { zp in
                    let (x, w, z) = (xp.baseAddress!, wp.baseAddress!, zp.baseAddress!)
                    for j in stride(from: 0, to: outs, by: 16) {
                        let width = min(16, outs - j)
                        panel.withUnsafeMutableBufferPointer { p in
                            if width < 16 { p.update(repeating: 0) }
                            for k in 0..<inner {
                                (p.baseAddress! + k * 16).update(from: w + k * outs + j, count: width)
                            }
                        }
                        for c in 0..<16 { tileBias[c] = c < width ? bias[j + c] : 0 }
                        panel.withUnsafeBufferPointer { p in
                            tileBias.withUnsafeBufferPointer { tb in
                                scratch.withUnsafeMutableBufferPointer { s in
                                    for i in stride(from: 0, to: rows, by: 4) {
                                        // Rows past the end (in the last group of four) repeat the group's last row; dropped.
                                        let group = min(4, rows - i)
                                        tile4x16(
                                            x + i * inner, x + (i + min(1, group - 1)) * inner,
                                            x + (i + min(2, group - 1)) * inner, x + (i + min(3, group - 1)) * inner,
                                            inner, p.baseAddress!, tb.baseAddress!, s.baseAddress!)
                                        for r in 0..<group {
                                            (z + (i + r) * outs + j).update(from: s.baseAddress! + r * 16, count: width)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return z
    }

    /// Four rows (each `inner` long) times a k-major 16-column panel, plus bias, into a 4×16
    /// scratch: eight accumulators, one fused multiply-add per k each, k ascending.
    @inline(__always)
    static func tile4x16(
        _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
        _ x3: UnsafePointer<Float>, _ inner: Int, _ panel: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        let b0 = UnsafeRawPointer(bias).loadUnaligned(as: V.self)
        let b1 = UnsafeRawPointer(bias + 8).loadUnaligned(as: V.self)
        var (a00, a01, a10, a11, a20, a21, a30, a31) = (b0, b1, b0, b1, b0, b1, b0, b1)
        for k in 0..<inner {
            let row = UnsafeRawPointer(panel + k * 16)
            let w0 = row.loadUnaligned(as: V.self), w1 = row.loadUnaligned(fromByteOffset: 32, as: V.self)
            let v0 = V(repeating: x0[k]), v1 = V(repeating: x1[k])
            let v2 = V(repeating: x2[k]), v3 = V(repeating: x3[k])
            a00.addProduct(v0, w0)
            a01.addProduct(v0, w1)
            a10.addProduct(v1, w0)
            a11.addProduct(v1, w1)
            a20.addProduct(v2, w0)
            a21.addProduct(v2, w1)
            a30.addProduct(v3, w0)
            a31.addProduct(v3, w1)
        }
        let o = UnsafeMutableRawPointer(out)
        o.storeBytes(of: a00, toByteOffset: 0, as: V.self)
        o.storeBytes(of: a01, toByteOffset: 32, as: V.self)
        o.storeBytes(of: a10, toByteOffset: 64, as: V.self)
        o.storeBytes(of: a11, toByteOffset: 96, as: V.self)
        o.storeBytes(of: a20, toByteOffset: 128, as: V.self)
        o.storeBytes(of: a21, toByteOffset: 160, as: V.self)
        o.storeBytes(of: a30, toByteOffset: 192, as: V.self)
        o.storeBytes(of: a31, toByteOffset: 224, as: V.self)
    }
}
