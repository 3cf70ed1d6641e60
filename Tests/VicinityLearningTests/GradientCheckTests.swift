import Testing
import VicinityMath
@testable import VicinityLearning

/// Central finite differences against the analytic gradient, on sampled parameters.
func checkGradients(
    _ network: Network, encoderDepth: Int, objective: Objective, batch: Matrix, labels: [Int],
    eps: Float = 1e-2, tolerance: Float = 2e-2, sourceLocation: SourceLocation = #_sourceLocation
) {
    func loss(_ n: Network) -> Float {
        var rng = SeededRNG(seed: 99)  // the same corruption and noise on every evaluation
        return objective.evaluate(n, encoderDepth: encoderDepth, batch: batch, labels: labels, rng: &rng).loss
    }
    var rng = SeededRNG(seed: 99)
    let analytic = objective.evaluate(network, encoderDepth: encoderDepth, batch: batch, labels: labels, rng: &rng)
        .gradients
    var picker = SeededRNG(seed: 5)
    var checked = 0
    for l in network.layers.indices {
        // With tied weights the decoder's weights are derived; only the encoder's are free.
        let weightsFree = !(objective.tied && l >= encoderDepth)
        for isBias in [false, true] where isBias || weightsFree {
            let count = isBias ? network.layers[l].bias.count : network.layers[l].weights.count
            for _ in 0..<min(count, 12) {
                let i = picker.below(count)
                func perturbed(_ delta: Float) -> Float {
                    var n = network
                    if isBias { n.layers[l].bias.storage[i] += delta } else { n.layers[l].weights.storage[i] += delta }
                    if objective.tied { n.tieDecoder(encoderDepth: encoderDepth) }
                    return loss(n)
                }
                let numeric = (perturbed(eps) - perturbed(-eps)) / (2 * eps)
                let exact = isBias ? analytic.layers[l].bias.storage[i] : analytic.layers[l].weights.storage[i]
                #expect(
                    abs(numeric - exact) <= tolerance * max(abs(numeric), 0.05),
                    "layer \(l) \(isBias ? "bias" : "weight") \(i): numeric \(numeric) analytic \(exact)",
                    sourceLocation: sourceLocation)
                checked += 1
            }
        }
    }
    #expect(checked > 0, sourceLocation: sourceLocation)
}

struct GradientFixture {
    var rng = SeededRNG(seed: 17)
    let batch: Matrix
    let labels: [Int]
    init(rows: Int = 12, dims: Int = 7, classes: Int = 3) {
        batch = Matrix(rows: rows, cols: dims, storage: rng.uniforms(rows * dims))
        labels = (0..<rows).map { $0 % classes }
    }
    mutating func network(_ sizes: [Int], hidden: Activation = .logistic, output: Activation) -> Network {
        var net = Network(sizes: sizes, hidden: hidden, output: output, rng: &rng)
        for l in net.layers.indices { net.layers[l].bias.storage = rng.gaussians(net.layers[l].bias.count, std: 0.3) }
        return net
    }
}

@Suite struct GradientCheckTests {
    @Test(arguments: Activation.allCases)
    func everyActivationBackPropagatesCorrectly(_ activation: Activation) {
        var f = GradientFixture()
        // Squared error on a linear output after two hidden layers of the activation under test.
        let net = f.network([7, 6, 5, 7], hidden: activation, output: .linear)
        var objective = Objective(kind: .reconstruction)
        objective.loss = .squaredError
        // ReLU has kinks: a small step keeps most differences on one side of them.
        checkGradients(
            net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels,
            eps: activation == .relu ? 1e-3 : 1e-2, tolerance: activation == .relu ? 5e-2 : 2e-2)
    }

    @Test func crossEntropyWithLogisticOutputs() {
        var f = GradientFixture()
        let net = f.network([7, 4, 7], output: .logistic)
        checkGradients(
            net, encoderDepth: 1, objective: Objective(kind: .reconstruction), batch: f.batch, labels: f.labels)
    }

    @Test(arguments: NCA.Variant.allCases)
    func ncaLoss(_ variant: NCA.Variant) {
        var f = GradientFixture()
        let net = f.network([7, 6, 3], output: .linear)
        var objective = Objective(kind: .nca)
        objective.ncaVariant = variant
        checkGradients(net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func regularisedNCA() {
        var f = GradientFixture()
        let net = f.network([7, 5, 3, 5, 7], output: .logistic)
        var objective = Objective(kind: .ncaRegularised)
        objective.ncaWeight = 0.7
        checkGradients(net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func contractivePenalty() {
        var f = GradientFixture()
        let net = f.network([7, 5, 7], output: .logistic)
        var objective = Objective(kind: .reconstruction)
        objective.contractive = 0.5
        checkGradients(net, encoderDepth: 1, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func tiedWeightsSumBothUses() {
        var f = GradientFixture()
        var net = f.network([7, 5, 3, 5, 7], output: .logistic)
        net.tieDecoder(encoderDepth: 2)
        var objective = Objective(kind: .reconstruction)
        objective.tied = true
        checkGradients(net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func weightDecayCorruptionAndCodeNoise() {
        var f = GradientFixture()
        let net = f.network([7, 5, 4, 7], output: .logistic)
        var objective = Objective(kind: .ncaRegularised)
        objective.weightDecay = 0.1
        objective.corruption = .masking(0.3)
        objective.codeNoise = 1
        checkGradients(net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func twoLayerBinaryHeadUnderCodeNoise() {
        // The binary head's run: noisy code → logistic hidden → logistic bits, expected-count NCA, noise on the bits' input.
        var f = GradientFixture()
        let net = f.network([7, 6, 5], output: .logistic)
        var objective = Objective(kind: .nca)
        objective.codeNoise = 1
        objective.corruption = .gaussian(0.5)
        checkGradients(net, encoderDepth: 2, objective: objective, batch: f.batch, labels: f.labels)
    }

    @Test func ncaObjectiveMatchesDefinition() {
        // Two tight, well-separated classes: almost all probability mass stays in class.
        let codes = Matrix([[0, 0], [0.1, 0], [5, 5], [5.1, 5]])
        let result = NCA.evaluate(codes: codes, labels: [0, 0, 1, 1])
        #expect(abs(result.loss + 1) < 1e-6)
        // Identical codes: p_ij = 1/3 for each other point, one of which is same-class.
        let flat = NCA.evaluate(codes: Matrix(rows: 4, cols: 2), labels: [0, 0, 1, 1])
        #expect(abs(flat.loss + 1.0 / 3) < 1e-6)
        // The log variant: −mean log P_i = log 3 for the identical codes.
        let flatLog = NCA.evaluate(codes: Matrix(rows: 4, cols: 2), labels: [0, 0, 1, 1], variant: .logProbability)
        #expect(abs(flatLog.loss - 1.0986123) < 1e-5)  // log 3
    }
}
