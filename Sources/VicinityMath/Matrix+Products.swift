/// Matrix products and BLAS level-1/2 helpers, all through OpenBLAS.
extension Matrix {
    /// The rows×cols of op(self).
    @inlinable
    func opShape(_ t: Transpose) -> (rows: Int, cols: Int) { t == .none ? (rows, cols) : (cols, rows) }

    /// c = alpha · op(a) · op(b) + beta · c. Traps naming the shapes when they disagree.
    /// `serial` makes it one OpenBLAS call on the calling thread (for callers that already
    /// split work over cores, and for results that must not depend on the thread count).
    public static func gemm(
        _ a: Matrix, _ transA: Transpose = .none, _ b: Matrix, _ transB: Transpose = .none,
        alpha: Float = 1, beta: Float = 0, serial: Bool = false, into c: inout Matrix
    ) {
        let (m, k) = a.opShape(transA)
        let (k2, n) = b.opShape(transB)
        precondition(k == k2, "gemm: op(A) is \(m)×\(k) but op(B) is \(k2)×\(n)")
        precondition(c.rows == m && c.cols == n, "gemm: result should be \(m)×\(n), got \(c.rows)×\(c.cols)")
        guard m > 0, n > 0 else { return }
        if k == 0 {  // BLAS leaves C alone when k = 0; the product is then beta·C.
            c.scale(by: beta)
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    if serial {
                        BLAS.gemm(
                            transA, transB, m: m, n: n, k: k, alpha: alpha,
                            a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                            beta: beta, c: pc.baseAddress!, ldc: n, parts: 1)
                    } else {
                        BLAS.gemm(
                            transA, transB, m: m, n: n, k: k, alpha: alpha,
                            a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                            beta: beta, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
    }

    /// op(self) · op(other) as a new matrix.
    public func multiplied(by other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        let ta: Transpose = transposeSelf ? .transposed : .none
        let tb: Transpose = transposeOther ? .transposed : .none
        var c = Matrix(rows: opShape(ta).rows, cols: other.opShape(tb).cols)
        Matrix.gemm(self, ta, other, tb, into: &c)
        return c
    }

    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.multiplied(by: rhs) }

    /// op(self) · x.
    public func multiplied(by x: [Float], transposed: Bool = false) -> [Float] {
        let t: Transpose = transposed ? .transposed : .none
        let (m, n) = opShape(t)
        precondition(x.count == n, "gemv: op(A) is \(m)×\(n) but x has \(x.count) entries")
        var y = [Float](repeating: 0, count: m)
        guard rows > 0, cols > 0 else { return y }
        storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    BLAS.gemv(
                        t, m: rows, n: cols, a: pa.baseAddress!, lda: cols, x: px.baseAddress!, y: py.baseAddress!)
                }
            }
        }
        return y
    }

    /// self += alpha · other.
    public mutating func add(_ other: Matrix, scaledBy alpha: Float = 1) {
        precondition(rows == other.rows && cols == other.cols, "add: \(rows)×\(cols) vs \(other.rows)×\(other.cols)")
        let n = count
        other.storage.withUnsafeBufferPointer { px in
            storage.withUnsafeMutableBufferPointer { py in
                guard n > 0 else { return }
                BLAS.axpy(count: n, alpha: alpha, x: px.baseAddress!, y: py.baseAddress!)
            }
        }
    }

    public mutating func scale(by alpha: Float) {
        let n = count
        storage.withUnsafeMutableBufferPointer { p in
            guard n > 0 else { return }
            BLAS.scale(count: n, alpha: alpha, x: p.baseAddress!)
        }
    }

    /// Adds `vector` (length cols) to every row.
    public mutating func addToRows(_ vector: [Float], scaledBy alpha: Float = 1) {
        precondition(vector.count == cols, "addToRows: vector has \(vector.count) entries, matrix has \(cols) columns")
        let (r, c) = (rows, cols)
        vector.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { p in
                let shared = UnsafeSendable((p.baseAddress!, v.baseAddress!))
                forEachSlice(r, minimum: max(1, (1 << 17) / max(c, 1))) { rows in
                    let (p, v) = shared.value
                    for i in rows {
                        let row = p + i * c
                        for j in 0..<c { row[j] += alpha * v[j] }
                    }
                }
            }
        }
    }

    /// Multiplies column j by scale[j].
    public mutating func scaleColumns(_ scale: [Float]) {
        precondition(scale.count == cols, "scaleColumns: \(scale.count) scales for \(cols) columns")
        let (r, c) = (rows, cols)
        scale.withUnsafeBufferPointer { s in
            storage.withUnsafeMutableBufferPointer { p in
                for i in 0..<r {
                    let row = p.baseAddress! + i * c
                    for j in 0..<c { row[j] *= s[j] }
                }
            }
        }
    }

    /// The sum of each column (length cols).
    public func columnSums() -> [Float] {
        // Accumulate in Double: column sums over 60k rows lose digits in Float.
        var acc = [Double](repeating: 0, count: cols)
        let (r, c) = (rows, cols)
        storage.withUnsafeBufferPointer { p in
            acc.withUnsafeMutableBufferPointer { a in
                for i in 0..<r {
                    let row = p.baseAddress! + i * c
                    for j in 0..<c { a[j] += Double(row[j]) }
                }
            }
        }
        return acc.map { Float($0) }
    }

    public func columnMeans() -> [Float] {
        guard rows > 0 else { return [Float](repeating: 0, count: cols) }
        return columnSums().map { $0 / Float(rows) }
    }

    /// The squared Euclidean norm of each row (length rows).
    public func rowSquaredNorms() -> [Float] {
        var out = [Float](repeating: 0, count: rows)
        let c = cols
        storage.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count {
                    let row = p.baseAddress! + i * c
                    var s: Float = 0
                    for j in 0..<c { s += row[j] * row[j] }
                    o[i] = s
                }
            }
        }
        return out
    }
}
