import Foundation
import VicinityMath

/// Times fine-tuning steps of a network on random data, next to the machine's
/// sgemm rate measured in the same run, so throughput can be stated as a ratio.
public enum TrainingBenchmark {
    public struct Result: Sendable {
        public var samplesPerSecond: Double
        public var secondsPerEpoch60k: Double
        public var effectiveGFLOPS: Double
        public var sgemmGFLOPS: Double
        public var stepMilliseconds: [String: Double]
    }

    /// FLOPs of one forward+backward step: 2·B·Σ(I·O) forward, the same for ∂W, and ∂x for all but the first layer.
    public static func flopsPerStep(sizes: [Int], batch: Int) -> Double {
        var f = 0.0
        for i in 0..<(sizes.count - 1) {
            let mac = Double(sizes[i] * sizes[i + 1]) * Double(batch)
            f += 2 * mac * (i == 0 ? 2 : 3)
        }
        return f
    }

    public static func run(sizes: [Int], batch: Int, steps: Int, objective: Objective) -> Result {
        var rng = SeededRNG(seed: 1)
        let encoderDepth = sizes.count - 1
        let all = objective.needsDecoder ? sizes + sizes.dropLast().reversed() : sizes
        var net = Network(
            sizes: all, hidden: .logistic, output: objective.needsDecoder ? .logistic : .linear, rng: &rng)
        let x = Matrix(rows: batch, cols: sizes[0], storage: rng.uniforms(batch * sizes[0]))
        let labels = (0..<batch).map { $0 % 10 }
        var adam = Adam()
        var parts: [String: Double] = ["gradients": 0, "optimizer": 0]
        // One warm-up step, then the timed ones.
        for step in 0...steps {
            let t0 = Date()
            let (_, grads) = objective.evaluate(net, encoderDepth: encoderDepth, batch: x, labels: labels, rng: &rng)
            let t1 = Date()
            adam.step(&net, gradients: grads)
            let t2 = Date()
            if step > 0 {
                parts["gradients"]! += t1.timeIntervalSince(t0)
                parts["optimizer"]! += t2.timeIntervalSince(t1)
            }
        }
        let seconds = parts.values.reduce(0, +)
        let sgemm = GemmBenchmark.run(size: 1024, repeats: 5).rawGFLOPS
        let samples = Double(batch * steps) / seconds
        return Result(
            samplesPerSecond: samples, secondsPerEpoch60k: 60_000 / samples,
            effectiveGFLOPS: flopsPerStep(sizes: all, batch: batch) * Double(steps) / seconds / 1e9,
            sgemmGFLOPS: sgemm, stepMilliseconds: parts.mapValues { $0 / Double(steps) * 1000 })
    }
}
