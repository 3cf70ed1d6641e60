import VicinityMath

/// What a network is fine-tuned to minimise. The network's layers are an
/// encoder (the first `encoderDepth` layers, ending in the code layer) and,
/// when the objective reconstructs, a decoder (the remaining layers).
public struct Objective: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Reconstruct the clean input from (possibly corrupted) input.
        case reconstruction
        /// Nonlinear NCA on the codes.
        case nca
        /// λ·NCA + (1 − λ)·reconstruction through the decoder.
        case ncaRegularised = "nca-regularised"
    }

    public var kind: Kind
    public var loss: ReconstructionLoss = .crossEntropy
    public var corruption: Corruption = .none
    /// λ of the contractive penalty on the first encoder layer (0 = off).
    public var contractive: Float = 0
    /// λ weighing NCA against reconstruction in `ncaRegularised`.
    public var ncaWeight: Float = 0.99
    /// Which NCA objective: the expected count of correct points, or the sum of their log-probabilities.
    public var ncaVariant: NCA.Variant = .expected
    /// Standard deviation of Gaussian noise added to the code layer's input
    /// (semantic hashing: pushes logistic codes towards binary).
    public var codeNoise: Float = 0
    public var weightDecay: Float = 0
    /// Decoder weights are the encoder's, transposed (W* = Wᵀ); gradients of both uses are summed.
    public var tied = false

    public init(kind: Kind) { self.kind = kind }

    public var needsDecoder: Bool { kind != .nca }
    public var needsLabels: Bool { kind != .reconstruction }

    /// The loss on a batch (B×D inputs, B labels) and its gradient, shaped like `network`.
    public func evaluate(
        _ network: Network, encoderDepth: Int, batch x: Matrix, labels: [Int],
        rng: inout SeededRNG
    ) -> (loss: Float, gradients: Network) {
        var grads = network.zeroed
        let encoder = 0..<encoderDepth
        let decoder = encoderDepth..<network.layers.count
        precondition(!needsDecoder || !decoder.isEmpty, "objective \(kind.rawValue) needs a decoder")
        let input = corruption.apply(x, rng: &rng)
        var acts = network.activations(input, layers: encoder)
        if codeNoise > 0 { addCodeNoise(network, encoderDepth: encoderDepth, activations: &acts, rng: &rng) }
        let code = acts.last!
        var total: Float = 0
        var codeGradient = Matrix(rows: code.rows, cols: code.cols)

        if kind != .reconstruction {
            let nca = NCA.evaluate(codes: code, labels: labels, variant: ncaVariant)
            let weight: Float = kind == .nca ? 1 : ncaWeight
            total += weight * nca.loss
            codeGradient.add(nca.gradient, scaledBy: weight)
        }
        if kind != .nca {
            let decoded = network.activations(code, layers: decoder)
            let rec = loss.evaluate(reconstruction: decoded.last!, target: x)
            let weight: Float = kind == .reconstruction ? 1 : 1 - ncaWeight
            var g = rec.gradient
            g.scale(by: weight)
            total += weight * rec.loss
            let back = network.backward(
                activations: decoded, gradient: g, preActivation: true, layers: decoder,
                into: &grads, inputGradient: true)!
            codeGradient.add(back)
        }
        if contractive > 0 {
            // The penalty reads the first hidden layer; its ∂/∂z goes back through layer 0 only.
            let (penalty, dz) = ContractivePenalty.evaluate(
                layer: network.layers[0], hidden: acts[1],
                lambda: contractive, into: &grads.layers[0])
            total += penalty
            network.layers[0].backward(
                input: acts[0], output: acts[1], gradient: dz, preActivation: true,
                into: &grads.layers[0], inputGradient: false)
        }
        network.backward(activations: acts, gradient: codeGradient, layers: encoder, into: &grads)
        if tied { foldTiedGradients(&grads, encoderDepth: encoderDepth) }
        total += addWeightDecay(weightDecay, network: network, into: &grads)
        return (total, grads)
    }

    /// Semantic hashing: recompute the code layer with noise added to its pre-activation.
    private func addCodeNoise(
        _ network: Network, encoderDepth: Int, activations acts: inout [Matrix], rng: inout SeededRNG
    ) {
        let layer = network.layers[encoderDepth - 1]
        var z = layer.preActivation(acts[encoderDepth - 1])
        z.storage.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] += codeNoise * rng.gaussian() } }
        layer.activation.apply(&z)
        acts[encoderDepth] = z
    }

    /// Tied weights: decoder layer i mirrors encoder layer depth−1−i. The decoder's
    /// weight gradient is added (transposed) to the encoder's and cleared.
    public func foldTiedGradients(_ grads: inout Network, encoderDepth: Int) {
        for i in 0..<(grads.layers.count - encoderDepth) {
            let e = encoderDepth - 1 - i, d = encoderDepth + i
            guard e >= 0 else { break }
            grads.layers[e].weights.add(grads.layers[d].weights.transposed)
            grads.layers[d].weights.scale(by: 0)
        }
    }
}

extension Network {
    /// Copies encoder weights, transposed, into the mirrored decoder layers.
    public mutating func tieDecoder(encoderDepth: Int) {
        for i in 0..<(layers.count - encoderDepth) {
            let e = encoderDepth - 1 - i, d = encoderDepth + i
            guard e >= 0 else { break }
            layers[d].weights = layers[e].weights.transposed
        }
    }
}
