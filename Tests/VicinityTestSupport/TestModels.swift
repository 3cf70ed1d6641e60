import VicinityLearning
import VicinityMath

/// A small model file: `sizes` with logistic units throughout (so the codes also give bits).
public func writeStoreTestModel(_ path: String, sizes: [Int], output: Activation = .logistic, seed: UInt64 = 5) throws {
    var rng = SeededRNG(seed: seed)
    let net = Network(sizes: sizes, hidden: .logistic, output: output, rng: &rng)
    try EmbeddingModel(
        network: net, encoderDepth: sizes.count - 1,
        record: TrainingRecord(recipe: "test", seed: seed, dataFingerprint: "0")
    ).save(to: path)
}
