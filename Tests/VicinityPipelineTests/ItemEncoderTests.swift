import Testing
import VicinityCodes
import VicinityLearning
import VicinityMath
import VicinityPipeline

/// A model with a binary head: its bits are the head's outputs thresholded at 0.5, whatever the code layer.
@Suite struct BinaryHeadEncoderTests {
    @Test func bitsComeFromTheHead() {
        var rng = SeededRNG(seed: 9)
        let net = Network(sizes: [12, 7, 5], hidden: .logistic, output: .linear, rng: &rng)
        var model = EmbeddingModel(
            network: net, encoderDepth: 2, record: TrainingRecord(recipe: "test", seed: 9, dataFingerprint: "0"))
        #expect(ItemEncoder(model: model, bits: .auto).bits == 0)
        let head = DenseLayer(
            weights: Matrix(rows: 5, cols: 70, storage: rng.gaussians(350)),
            bias: Matrix(rows: 1, cols: 70, storage: rng.gaussians(70)), activation: .logistic)
        model.head = Network(layers: [head])
        let encoder = ItemEncoder(model: model, bits: .auto)
        #expect(encoder.bits == 70 && ItemEncoder(model: model, storeBits: 70).bits == 70)
        let x = Matrix(rows: 9, cols: 12, storage: rng.uniforms(108))
        let (codes, bits) = encoder.encode(x)
        let outputs = head.forward(codes)
        for i in 0..<9 {
            for j in 0..<70 {
                #expect(bits.bit(i, j) == (outputs[i, j] > 0.5))
            }
        }
    }
}
