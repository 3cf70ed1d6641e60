import Testing
@testable import VicinityMath

/// The fixed-order product against its definition, computed plainly: bias + Σₖ x·w as one
/// fused multiply-add per k in order, for every shape's edges (outputs not a multiple of 16,
/// rows not a multiple of 4); and a row's bits whatever its company and place.
@Suite struct FixedOrderProductTests {
    static func reference(_ x: Matrix, _ w: Matrix, _ bias: [Float]) -> [Float] {
        var out: [Float] = []
        for i in 0..<x.rows {
            for j in 0..<w.cols {
                var acc = bias[j]
                for k in 0..<x.cols { acc = acc.addingProduct(x[i, k], w[k, j]) }
                out.append(acc)
            }
        }
        return out
    }

    @Test(arguments: [(1, 1, 1), (3, 7, 5), (4, 16, 16), (5, 30, 17), (9, 33, 40), (32, 784, 30)])
    func equalsTheDefinitionBitForBit(rows: Int, inner: Int, outs: Int) {
        var rng = SeededRNG(seed: UInt64(rows * 1000 + outs))
        let x = Matrix(rows: rows, cols: inner, storage: rng.gaussians(rows * inner, std: 1))
        let w = Matrix(rows: inner, cols: outs, storage: rng.gaussians(inner * outs, std: 0.1))
        let bias = rng.gaussians(outs, std: 1)
        let z = Matrix.fixedOrderProduct(x, w, bias: bias)
        #expect(z.rows == rows && z.cols == outs)
        #expect(z.storage.map(\.bitPattern) == Self.reference(x, w, bias).map(\.bitPattern))
    }

    @Test func aRowsBitsDoNotDependOnItsCompanyOrPlace() {
        var rng = SeededRNG(seed: 4)
        let (rows, inner, outs) = (37, 120, 50)
        let x = Matrix(rows: rows, cols: inner, storage: rng.uniforms(rows * inner))
        let w = Matrix(rows: inner, cols: outs, storage: rng.gaussians(inner * outs, std: 0.2))
        let bias = rng.gaussians(outs, std: 1)
        let all = Matrix.fixedOrderProduct(x, w, bias: bias)
        let order = rng.permutation(rows)
        let shuffled = Matrix.fixedOrderProduct(x.rows(order), w, bias: bias)
        #expect(shuffled.storage.map(\.bitPattern) == all.rows(order).storage.map(\.bitPattern))
        for i in [0, 3, 4, 36] {
            let one = Matrix.fixedOrderProduct(x.rows([i]), w, bias: bias)
            #expect(one.storage.map(\.bitPattern) == all.row(i).map(\.bitPattern), "row \(i) alone")
        }
        #expect(Matrix.fixedOrderProduct(Matrix(rows: 0, cols: inner), w, bias: bias).rows == 0)
    }
}
