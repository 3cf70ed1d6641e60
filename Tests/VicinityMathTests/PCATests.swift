import Foundation
import Testing
@testable import VicinityMath

/// Cyclic Jacobi eigenvalues in Double: an independent float64 reference.
func jacobiEigenvalues(_ a: [[Double]]) -> [Double] {
    var a = a
    let n = a.count
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
        if off < 1e-22 { break }
        for p in 0..<n {
            for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0][$0] }.sorted(by: >)
}

/// Correlated data with a spread of variances: columns mixed by a random matrix.
func correlatedData(rows: Int, cols: Int, seed: UInt64) -> Matrix {
    var data = randomMatrix(rows, cols, seed: seed)
    data.scaleColumns((0..<cols).map { Float(cols - $0) })
    let mixed = data.multiplied(by: randomMatrix(cols, cols, seed: seed + 1))
    var shifted = mixed
    shifted.addToRows((0..<cols).map { Float($0) * 0.5 })
    return shifted
}

@Suite struct PCATests {
    @Test func topEigenvaluesMatchFloat64Reference() throws {
        let (n, d, k) = (2000, 40, 30)
        let data = correlatedData(rows: n, cols: d, seed: 31)
        let pca = try PCA.fit(data, components: k)
        // Float64 covariance and Jacobi eigenvalues as the reference.
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(data[i, j]) / Double(n) } }
        var cov = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<n {
            let r = (0..<d).map { Double(data[i, $0]) - mean[$0] }
            for p in 0..<d { for q in 0..<d { cov[p][q] += r[p] * r[q] / Double(n) } }
        }
        let reference = jacobiEigenvalues(cov)
        for i in 0..<k {
            #expect(abs(Double(pca.eigenvalues[i]) - reference[i]) / reference[i] < 1e-3, "eigenvalue \(i)")
        }
    }

    @Test func fullRankTransformIsInvertible() throws {
        let data = correlatedData(rows: 300, cols: 12, seed: 32)
        for whiten in [false, true] {
            let pca = try PCA.fit(data, components: 12, whiten: whiten)
            let back = pca.inverseTransform(pca.transform(data))
            #expect(maxAbsDifference(back, data) < 1e-3)
        }
    }

    @Test func projectionsAreUncorrelatedWithTheEigenvaluesAsVariances() throws {
        let data = correlatedData(rows: 1000, cols: 10, seed: 33)
        let pca = try PCA.fit(data, components: 4)
        let z = pca.transform(data)
        #expect(z.columnMeans().allSatisfy { abs($0) < 1e-3 })
        var cov = z.multiplied(by: z, transposeSelf: true)
        cov.scale(by: 1 / Float(z.rows))
        for i in 0..<4 {
            for j in 0..<4 {
                let want: Float = i == j ? pca.eigenvalues[i] : 0
                #expect(abs(cov[i, j] - want) < 1e-3 * pca.eigenvalues[0])
            }
        }
        let white = try PCA.fit(data, components: 4, whiten: true).transform(data)
        let variances = white.rowSquaredNormsOfColumns()
        #expect(variances.allSatisfy { abs($0 - 1) < 1e-3 })
    }

    @Test func reconstructionErrorEqualsDiscardedVariance() throws {
        let data = correlatedData(rows: 800, cols: 16, seed: 34)
        let full = try PCA.fit(data, components: 16)
        let pca = try PCA.fit(data, components: 5)
        var residual = pca.inverseTransform(pca.transform(data))
        residual.add(data, scaledBy: -1)
        let mse = residual.storage.reduce(0) { $0 + Double($1 * $1) } / Double(data.rows)
        let discarded = full.eigenvalues[5...].reduce(0) { $0 + Double($1) }
        #expect(abs(mse - discarded) / discarded < 1e-3)
    }

    @Test func badArgumentsAreErrors() {
        #expect(throws: MathError.self) { try PCA.fit(Matrix(rows: 1, cols: 3), components: 1) }
        #expect(throws: MathError.self) { try PCA.fit(Matrix(rows: 5, cols: 3), components: 4) }
    }
}

extension Matrix {
    /// Mean of squares of each column (the variance of a centred column).
    func rowSquaredNormsOfColumns() -> [Float] { transposed.rowSquaredNorms().map { $0 / Float(rows) } }
}
