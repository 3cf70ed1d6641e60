import Testing
@testable import VicinityMath

@Suite struct DecompositionTests {
    @Test func symmetricEigenSatisfiesAvEqualsLambdaV() throws {
        let x = randomMatrix(40, 12, seed: 21)
        let a = x.multiplied(by: x, transposeSelf: true)
        let (values, vectors) = try LAPACK.symmetricEigen(a)
        #expect(values == values.sorted(by: >))
        for i in 0..<12 {
            let v = vectors.row(i)
            let av = a.multiplied(by: v)
            for j in 0..<12 { #expect(abs(av[j] - values[i] * v[j]) < 1e-3 * values[0]) }
        }
        let gram = vectors.multiplied(by: vectors, transposeOther: true)
        #expect(maxAbsDifference(gram, .identity(12)) < 1e-4)
    }

    @Test(arguments: [(9, 5), (5, 9), (6, 6), (1, 4)])
    func svdReconstructsTheMatrix(m: Int, n: Int) throws {
        let a = randomMatrix(m, n, seed: 22)
        let (u, s, vt) = try LAPACK.svd(a)
        let k = min(m, n)
        #expect(u.rows == m && u.cols == k && vt.rows == k && vt.cols == n && s.count == k)
        #expect(s == s.sorted(by: >))
        var us = u
        us.scaleColumns(s)
        #expect(maxAbsDifference(us.multiplied(by: vt), a) < 1e-4)
        #expect(maxAbsDifference(u.multiplied(by: u, transposeSelf: true), .identity(k)) < 1e-4)
        #expect(maxAbsDifference(vt.multiplied(by: vt, transposeOther: true), .identity(k)) < 1e-4)
    }
}
