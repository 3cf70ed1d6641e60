import Foundation
import Testing
import VicinityData
import VicinityLearning
import VicinityMath

/// Writes the fixtures for timing `vicinity embed` by hand (release build); off unless
/// VICINITY_STORE_FIXTURES names a folder. It gets `model.safetensors` (784-500-500-2000-30,
/// random weights, linear code) and `png/LABEL/N.png`: the first VICINITY_STORE_PNGS
/// (default 30000) Fashion-MNIST training images as PNG files.
@Suite struct StoreSpeedFixtureTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VICINITY_STORE_FIXTURES"] != nil))
    func writeSpeedFixtures() throws {
        let env = ProcessInfo.processInfo.environment
        let dir = env["VICINITY_STORE_FIXTURES"]!
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SeededRNG(seed: 1)
        let net = Network(sizes: [784, 500, 500, 2000, 30], hidden: .logistic, output: .linear, rng: &rng)
        try EmbeddingModel(network: net, encoderDepth: 4, record: TrainingRecord(recipe: "random", seed: 1, dataFingerprint: "0"),
                           imageRows: 28, imageCols: 28).save(to: dir + "/model.safetensors")
        let count = Int(env["VICINITY_STORE_PNGS"] ?? "") ?? 30000
        let train = try Dataset.load("fashion-mnist", split: .train)
        for label in Set(train.labels) {
            try FileManager.default.createDirectory(atPath: "\(dir)/png/\(label)", withIntermediateDirectories: true)
        }
        for i in 0..<min(count, train.count) {
            let pixels = train.features.row(i).map { UInt8(($0 * 255).rounded()) }
            try writePNG(path: "\(dir)/png/\(train.labels[i])/\(i).png", width: 28, height: 28, pixels: pixels, channels: 1)
        }
    }
}
