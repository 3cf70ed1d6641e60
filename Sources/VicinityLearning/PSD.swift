import VicinityMath

/// Predictive sparse decomposition's settings (recipe `psd`): E(x,z) = ‖x − m − z·D‖² + λ‖z‖₁ + α‖z − F(x)‖².
public struct PSDSettings: Sendable, Codable, Equatable {
    /// λ, the weight of the codes' L1 norm.
    public var lambda: Float = 0.5
    /// α, the weight of the encoder's prediction error in the energy.
    public var alpha: Float = 1
    /// FISTA steps per mini-batch to infer z*, started from F(x).
    public var iterations = 20
    public init() {}
}

/// PSD inside an ordinary network, so model files, `embed`, `eval` and `serve` need nothing new:
/// layer 0 is h = tanh(x·W + b) (D×K); layer 1 the per-unit gain, F(x) = h·diag(g) (K×K, linear,
/// bias 0, only the diagonal trained); layer 2 the dictionary (K×D, atoms as unit-norm rows, linear)
/// with the training mean m as its fixed bias. The encoder is layers 0..<2, so a code is F(x) alone
/// and `reconstruct` gives m + F(x)·D.
public enum PSD {
    public static let encoderDepth = 2

    /// A fresh PSD network: the dictionary from `atoms` (K×D, renormalised), encoder weights small
    /// Gaussians, gains 1.
    public static func network(atoms: Matrix, mean: [Float], rng: inout SeededRNG) -> Network {
        let (k, d) = (atoms.rows, atoms.cols)
        precondition(mean.count == d, "PSD: mean has \(mean.count) values for \(d) inputs")
        let encoder = DenseLayer(inputs: d, outputs: k, activation: .tanh, rng: &rng)
        let gain = DenseLayer(weights: .identity(k), bias: Matrix(rows: 1, cols: k), activation: .linear)
        var dictionary = atoms
        dictionary.normaliseRows()
        let decoder = DenseLayer(
            weights: dictionary, bias: Matrix(rows: 1, cols: d, storage: mean), activation: .linear)
        return Network(layers: [encoder, gain, decoder])
    }

    /// Whether `network` has PSD's shape (three layers tanh, linear K×K, linear K×D).
    public static func isPSD(_ network: Network) -> Bool {
        let l = network.layers
        return l.count == 3 && l[0].activation == .tanh && l[1].activation == .linear
            && l[1].inputs == l[1].outputs && l[2].activation == .linear && l[2].outputs == l[0].inputs
    }

    public static func dictionary(_ network: Network) -> Matrix { network.layers[2].weights }

    /// The inputs less the training mean the dictionary's bias holds.
    public static func centred(_ x: Matrix, _ network: Network) -> Matrix {
        var c = x
        c.addToRows(network.layers[2].bias.storage, scaledBy: -1)
        return c
    }

    /// The encoder's prediction F(x) = g ⊙ tanh(x·W + b).
    public static func predict(_ network: Network, _ x: Matrix) -> Matrix {
        network.forward(x, layers: 0..<encoderDepth)
    }

    /// The parameter step's objective with the codes `z` fixed, mean over the batch:
    /// L = (1/B) Σ ‖x − m − z·D‖² + α‖z − F(x)‖² (λ‖z‖₁ does not depend on the parameters), and its
    /// gradient shaped like `network`: the encoder regresses F(x) onto z, the dictionary z·D onto x − m.
    /// The gain's off-diagonal entries and every bias but the encoder's get zero gradient.
    public static func parameterGradient(_ network: Network, x: Matrix, codes z: Matrix, alpha: Float)
        -> (loss: Float, gradients: Network)
    {
        let b = Float(x.rows)
        var grads = network.zeroed
        let acts = network.activations(x, layers: 0..<encoderDepth)
        var dF = acts[encoderDepth]
        dF.add(z, scaledBy: -1)
        let prediction = dF.storage.reduce(0) { $0 + $1 * $1 } * alpha / b
        dF.scale(by: 2 * alpha / b)
        network.backward(activations: acts, gradient: dF, layers: 0..<encoderDepth, into: &grads)
        let k = network.layers[1].inputs
        grads.layers[1].weights.storage.withUnsafeMutableBufferPointer { g in
            for i in 0..<k { for j in 0..<k where i != j { g[i * k + j] = 0 } }
        }
        grads.layers[1].bias.scale(by: 0)

        var residual = centred(x, network)
        Matrix.gemm(z, .none, network.layers[2].weights, .none, alpha: -1, beta: 1, into: &residual)
        let reconstruction = residual.storage.reduce(0) { $0 + $1 * $1 } / b
        Matrix.gemm(z, .transposed, residual, .none, alpha: -2 / b, into: &grads.layers[2].weights)  // −(2/B)·zᵀR
        return (reconstruction + prediction, grads)
    }

    /// Per-item sparse-coding energy ‖x − m − z·D‖² + λ‖z‖₁ of the encoder's own codes F(x), the figure a
    /// PSD model is judged by at embed time, where no inference runs.
    public static func encoderEnergy(_ network: Network, _ x: Matrix, lambda: Float) -> [Float] {
        let coder = SparseCoding(dictionary: dictionary(network), lambda: lambda, alpha: 0)
        let e = coder.energy(centred(x, network), codes: predict(network, x))
        return zip(e.reconstruction, e.sparsity).map { $0 + $1 }
    }
}
