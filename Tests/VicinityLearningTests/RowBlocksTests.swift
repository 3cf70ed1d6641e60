import Testing
import VicinityMath
@testable import VicinityLearning

/// An item's code must not depend on the batch it is embedded in: its size, its other rows,
/// the item's position in it. Checked bit for bit on the default architecture with a two-layer
/// binary head (sgemm failed this on AMD EPYC family 25: a row's bits changed with its place).
@Suite struct RowBlocksTests {
    static let model: EmbeddingModel = {
        var rng = SeededRNG(seed: 17)
        let net = Network(sizes: [784, 500, 500, 2000, 30], hidden: .logistic, output: .linear, rng: &rng)
        var model = EmbeddingModel(
            network: net, encoderDepth: 4, record: TrainingRecord(recipe: "test", seed: 17, dataFingerprint: "0"))
        model.head = Network(sizes: [30, 512, 64], hidden: .logistic, output: .logistic, rng: &rng)
        return model
    }()

    static let inputs: Matrix = {
        var rng = SeededRNG(seed: 3)
        return Matrix(rows: 150, cols: 784, storage: rng.uniforms(150 * 784))
    }()

    func bitPatterns(_ m: Matrix) -> [UInt32] { m.storage.map(\.bitPattern) }

    @Test func codesAreTheSameForEveryBatchSizeAndPosition() {
        let model = Self.model, x = Self.inputs
        let all = model.embed(x)
        let heads = model.headOutputs(all)!
        // Alone, as one query is embedded.
        for i in [0, 1, 31, 32, 33, 149] {
            let one = model.embed(x.rows([i]))
            #expect(bitPatterns(one) == all.row(i).map(\.bitPattern), "row \(i) alone")
            #expect(bitPatterns(model.headOutputs(one)!) == heads.row(i).map(\.bitPattern), "head of row \(i) alone")
        }
        // Prefixes around the block size.
        for n in [1, 2, 7, 31, 32, 33, 63, 64, 65, 100] {
            #expect(bitPatterns(model.embed(x.rows(in: 0..<n))) == bitPatterns(all.rows(in: 0..<n)), "first \(n) rows")
        }
        // Reversed and shuffled: every row in another position and other company.
        var rng = SeededRNG(seed: 9)
        let order = rng.permutation(x.rows)
        let shuffled = model.embed(x.rows(order))
        #expect(bitPatterns(shuffled) == bitPatterns(all.rows(order)))
        let reversed = Array((0..<x.rows).reversed())
        #expect(bitPatterns(model.headOutputs(model.embed(x.rows(reversed)))!) == bitPatterns(heads.rows(reversed)))
    }

    @Test func blocksMatchAPlainForwardPass() {
        // The blocked result is the network's function, not some other one: within float rounding
        // of one big forward pass.
        let model = Self.model, x = Self.inputs
        let plain = model.network.forward(x, layers: 0..<4)
        let blocked = model.embed(x)
        let worst = zip(plain.storage, blocked.storage).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "blocked and plain differ by \(worst)")
    }

    @Test func emptyAndOddShapes() {
        let model = Self.model
        #expect(model.embed(Matrix(rows: 0, cols: 784)).rows == 0)
        let m = RowBlocks.map(Matrix(rows: 5, cols: 2, storage: Array(0..<10).map(Float.init)), outCols: 1) { block in
            Matrix(rows: block.rows, cols: 1, storage: (0..<block.rows).map { block[$0, 0] + block[$0, 1] })
        }
        #expect(m.storage == [1, 5, 9, 13, 17])
    }
}
