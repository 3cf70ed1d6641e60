import Foundation
import Testing
import VicinityData
import VicinityMath
@testable import VicinityLearning

/// Word-count documents from three topics over a 24-word vocabulary: each topic favours its own
/// eight words, and documents have 5 to 40 words, so lengths vary as real ones do.
func topicDocuments(count: Int = 360, seed: UInt64 = 3) -> Dataset {
    var rng = SeededRNG(seed: seed)
    let words = 24
    var values: [Float] = []
    var labels: [Int] = []
    for i in 0..<count {
        let topic = i % 3
        var row = [Float](repeating: 0, count: words)
        for _ in 0..<(5 + rng.below(36)) {
            let w = rng.uniform() < 0.8 ? topic * 8 + rng.below(8) : rng.below(words)
            row[w] += 1
        }
        values += row
        labels.append(topic)
    }
    return Dataset(
        name: "topics", features: Matrix(rows: count, cols: words, storage: values), labels: labels,
        ids: (0..<count).map { "d\($0)" }, imageRows: 1, imageCols: words)
}

@Suite struct DocumentModelTests {
    /// Small integer counts, with one empty document (it must add nothing to the loss or gradient).
    func countBatch() -> Matrix {
        var rng = SeededRNG(seed: 21)
        var values = (0..<(12 * 7)).map { _ in Float(rng.below(4)) }
        for i in 0..<7 { values[3 * 7 + i] = 0 }
        return Matrix(rows: 12, cols: 7, storage: values)
    }

    @Test func wordDistributionLossOnASoftmaxOutput() {
        var f = GradientFixture()
        let net = f.network([7, 4, 7], output: .softmax)
        var objective = Objective(kind: .reconstruction)
        objective.loss = .wordDistribution
        checkGradients(net, encoderDepth: 1, objective: objective, batch: countBatch(), labels: f.labels)
    }

    @Test func documentAutoencoderGradients() {
        // Counts → logistic → linear code → logistic → softmax, as the documents recipe unrolls.
        var f = GradientFixture()
        var net = f.network([7, 6, 3, 6, 7], output: .softmax)
        net.layers[1].activation = .linear
        var objective = Objective(kind: .reconstruction)
        objective.loss = .wordDistribution
        checkGradients(net, encoderDepth: 2, objective: objective, batch: countBatch(), labels: f.labels)
        // And the semantic-hashing form: a logistic code under Gaussian noise on its input.
        net.layers[1].activation = .logistic
        objective.codeNoise = 1
        checkGradients(net, encoderDepth: 2, objective: objective, batch: countBatch(), labels: f.labels)
    }

    @Test func lossMatchesItsDefinition() {
        let y = Matrix([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])
        let x = Matrix([[2, 1, 1], [0, 0, 0]])
        let r = ReconstructionLoss.wordDistribution.evaluate(reconstruction: y, target: x)
        let expected = -(0.5 * log(0.5) + 0.25 * log(0.25) + 0.25 * log(0.25)) / 2
        #expect(abs(Double(r.loss) - expected) < 1e-6)
        #expect(r.gradient.storage == [0, 0, 0, 0, 0, 0])  // ŷ = t on the first row; the empty one adds nothing
    }

    @Test func countUnitsAreReconstructedToTheDocumentsLength() {
        var rng = SeededRNG(seed: 2)
        var rbm = RBM(visibleUnits: 5, hiddenUnits: 3, visible: .counts, rng: &rng)
        rbm.visibleBias.storage = [0.3, -0.2, 0.1, 0.5, -1]
        let h = Matrix([[1, 0, 1], [0, 1, 0]])
        let v = rbm.visibleMeans(h, lengths: [10, 3])
        for r in 0..<2 {
            let z = (0..<5).map { i in
                rbm.visibleBias.storage[i] + (0..<3).reduce(0) { $0 + h[r, $1] * rbm.weights[i, $1] }
            }
            let e = z.map { exp(Double($0)) }
            let total = e.reduce(0, +)
            for i in 0..<5 { #expect(abs(Double(v[r, i]) - [10.0, 3][r] * e[i] / total) < 1e-5) }
        }
        #expect(rbm.asDecoderLayer.activation == .softmax)
    }

    /// CD's update is the difference of the free energy's gradients at the data and at the
    /// reconstruction: checked against central differences of F̄(v_k) − F̄(v₀) for count and binary units.
    @Test(arguments: [UnitKind.counts, .binary])
    func cdFollowsTheFreeEnergy(_ visible: UnitKind) {
        var rng = SeededRNG(seed: 9)
        var rbm = RBM(visibleUnits: 6, hiddenUnits: 4, visible: visible, rng: &rng)
        rbm.hiddenBias.storage = rng.gaussians(4, std: 0.5)
        rbm.visibleBias.storage = rng.gaussians(6, std: 0.5)
        let v0 =
            visible == .counts
            ? Matrix(rows: 5, cols: 6, storage: (0..<30).map { _ in Float(rng.below(5)) })
            : Matrix(rows: 5, cols: 6, storage: (0..<30).map { _ in rng.uniform() < 0.5 ? 1 : 0 })
        let vk = rbm.visibleMeans(
            rbm.sampleHidden(rbm.hiddenMeans(v0), rng: &rng), lengths: visible == .counts ? RBM.lengths(v0) : nil)
        let (dw, dv, dh) = rbm.cdGradient(v0, rbm.hiddenMeans(v0), vk, rbm.hiddenMeans(vk))
        let eps: Float = 1e-2
        func difference(_ edit: (inout RBM, Float) -> Void) -> Float {
            var plus = rbm, minus = rbm
            edit(&plus, eps)
            edit(&minus, -eps)
            let f = { (m: RBM) in m.meanFreeEnergy(vk) - m.meanFreeEnergy(v0) }
            return Float((f(plus) - f(minus)) / Double(2 * eps))
        }
        func close(_ numeric: Float, _ exact: Float, _ what: String) {
            #expect(abs(numeric - exact) <= 2e-2 * max(abs(numeric), 0.05), "\(what): numeric \(numeric) CD \(exact)")
        }
        for i in [0, 7, 13, 23] { close(difference { $0.weights.storage[i] += $1 }, dw.storage[i], "weight \(i)") }
        for i in [1, 4] { close(difference { $0.visibleBias.storage[i] += $1 }, dv[i], "visible bias \(i)") }
        for j in [0, 3] { close(difference { $0.hiddenBias.storage[j] += $1 }, dh[j], "hidden bias \(j)") }
    }

    @Test func documentsRecipeLearnsTopicsFromCounts() throws {
        var s = Recipe.documents.defaults(inputDims: 24)
        #expect(s.inputUnits == .counts && s.objective.loss == .wordDistribution && s.sizes.last == 128)
        s.sizes = [24, 16, 3]
        s.pretrainEpochs = 5
        s.epochs = 20
        s.schedule = .constant
        s.learningRate = 3e-3
        s.batch = 30
        s.validation = 60
        let data = topicDocuments()
        var events: [String] = []
        let model = try Trainer(
            settings: s, checkpointPath: temporaryPath("docs"), resume: false,
            progress: { if case .phase(let name, _, _, _) = $0 { events.append(name) } }
        ).train(data)
        #expect(events.first?.contains("counts visible") == true, "\(events)")
        #expect(model.architecture.activations.last == .softmax)
        // Nearest neighbours in the 3-D code share a topic far more often than chance (2/3 wrong).
        let codes = model.embed(data.features)
        var wrong = 0
        for i in 0..<data.count {
            var best = (Float.infinity, -1)
            for j in 0..<data.count where j != i {
                let d = (0..<3).reduce(Float(0)) { $0 + (codes[i, $1] - codes[j, $1]) * (codes[i, $1] - codes[j, $1]) }
                if d < best.0 { best = (d, j) }
            }
            if data.labels[best.1] != data.labels[i] { wrong += 1 }
        }
        #expect(Double(wrong) / Double(data.count) < 0.2, "1-NN error \(wrong) of \(data.count)")
    }
}
