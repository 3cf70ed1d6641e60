import Testing
@testable import VicinityMath

@Suite struct ProductTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveLoopInEveryTransposeCombination(ta: Bool, tb: Bool) {
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 64, 9), (65, 33, 129)] {
            let a = ta ? randomMatrix(k, m, seed: 1) : randomMatrix(m, k, seed: 1)
            let b = tb ? randomMatrix(n, k, seed: 2) : randomMatrix(k, n, seed: 2)
            let c = a.multiplied(by: b, transposeSelf: ta, transposeOther: tb)
            #expect(c.rows == m && c.cols == n)
            #expect(maxAbsDifference(c, naiveProduct(a, ta, b, tb)) < 1e-4 * Float(k))
        }
    }

    /// The slabs `BLAS.useOwnThreads` cuts C into (along rows when m ≥ n, else columns), with strides
    /// wider than the operands and alpha/beta, in every transpose combination.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmSplitIntoSlabsMatchesNaiveLoop(ta: Bool, tb: Bool) {
        for (m, k, n, parts) in [(65, 33, 20, 2), (7, 19, 130, 3), (2, 5, 1, 4)] {
            let a = ta ? randomMatrix(k, m + 3, seed: 1) : randomMatrix(m, k + 3, seed: 1)
            let b = tb ? randomMatrix(n, k + 2, seed: 2) : randomMatrix(k, n + 2, seed: 2)
            var c = randomMatrix(m, n + 1, seed: 3)
            let c0 = c, ldc = c.cols
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    c.storage.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(
                            ta ? .transposed : .none, tb ? .transposed : .none, m: m, n: n, k: k, alpha: 2,
                            a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                            beta: 0.5, c: pc.baseAddress!, ldc: ldc, parts: parts)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<(n + 1) {
                    var expected = c0[i, j]
                    if j < n {
                        var sum: Float = 0
                        for t in 0..<k { sum += (ta ? a[t, i] : a[i, t]) * (tb ? b[j, t] : b[t, j]) }
                        expected = 2 * sum + 0.5 * c0[i, j]
                    }
                    #expect(abs(c[i, j] - expected) < 1e-3, "C[\(i), \(j)] with \(parts) slabs")
                }
            }
        }
    }

    @Test func gemmAccumulatesWithAlphaAndBeta() {
        let a = randomMatrix(4, 6, seed: 3), b = randomMatrix(6, 5, seed: 4)
        var c = randomMatrix(4, 5, seed: 5)
        let c0 = c
        Matrix.gemm(a, .none, b, .none, alpha: 2, beta: 0.5, into: &c)
        var expected = naiveProduct(a, false, b, false)
        expected.scale(by: 2)
        expected.add(c0, scaledBy: 0.5)
        #expect(maxAbsDifference(c, expected) < 1e-4)
    }

    @Test func emptyInnerDimensionGivesBetaTimesC() {
        let a = Matrix(rows: 3, cols: 0), b = Matrix(rows: 0, cols: 2)
        var c = Matrix(rows: 3, cols: 2, repeating: 4)
        Matrix.gemm(a, .none, b, .none, beta: 0.5, into: &c)
        #expect(c.storage == [Float](repeating: 2, count: 6))
        #expect(a.multiplied(by: b).storage == [Float](repeating: 0, count: 6))
    }

    @Test func gemvMatchesNaiveLoop() {
        let a = randomMatrix(7, 11, seed: 6)
        var rng = SeededRNG(seed: 7)
        let x = rng.gaussians(11), y = rng.gaussians(7)
        let ax = a.multiplied(by: x)
        let aty = a.multiplied(by: y, transposed: true)
        let ref = naiveProduct(a, false, Matrix(rows: 11, cols: 1, storage: x), false)
        let refT = naiveProduct(a, true, Matrix(rows: 7, cols: 1, storage: y), false)
        #expect(zip(ax, ref.storage).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(aty, refT.storage).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func axpyScaleAndRowHelpers() {
        var a = Matrix([[1, 2], [3, 4]])
        a.add(Matrix([[1, 1], [1, 1]]), scaledBy: -2)
        #expect(a.storage == [-1, 0, 1, 2])
        a.scale(by: 3)
        #expect(a.storage == [-3, 0, 3, 6])
        a.addToRows([1, -1])
        #expect(a.storage == [-2, -1, 4, 5])
        #expect(a.columnSums() == [2, 4])
        #expect(a.rowSquaredNorms() == [5, 41])
        #expect(a.transposed.storage == [-2, 4, -1, 5])
        #expect(a.rows([1, 0]).storage == [4, 5, -2, -1])
    }
}
