@testable import VicinityMath

/// Seeded random matrices for tests.
func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
    var rng = SeededRNG(seed: seed)
    return Matrix(rows: rows, cols: cols, storage: rng.gaussians(rows * cols))
}

/// The textbook triple loop, in Double: the oracle for every product.
func naiveProduct(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> Matrix {
    let A = ta ? a.transposed : a, B = tb ? b.transposed : b
    var c = Matrix(rows: A.rows, cols: B.cols)
    for i in 0..<A.rows {
        for j in 0..<B.cols {
            var s = 0.0
            for p in 0..<A.cols { s += Double(A[i, p]) * Double(B[p, j]) }
            c[i, j] = Float(s)
        }
    }
    return c
}

func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(a.rows == b.rows && a.cols == b.cols)
    return zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
}
