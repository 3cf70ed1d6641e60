import VicinityMath

/// The kind of a layer of RBM units.
public enum UnitKind: String, Sendable, Codable {
    /// Logistic units, sampled as 0/1.
    case binary
    /// Real-valued visible units with unit variance (data should be standardised).
    case gaussian
    /// Real-valued hidden units with unit-variance Gaussian noise: the code layer of a deep autoencoder.
    case linear
}

/// A restricted Boltzmann machine trained by contrastive divergence (CD-k), in the
/// manner of Hinton & Salakhutdinov's rbm.m: momentum, weight cost, mini-batches.
/// Shapes: weights V×H, visible bias 1×V, hidden bias 1×H.
public struct RBM: Sendable, Equatable {
    public var weights: Matrix
    public var visibleBias: Matrix
    public var hiddenBias: Matrix
    public let visible: UnitKind
    public let hidden: UnitKind

    public init(
        visibleUnits v: Int, hiddenUnits h: Int, visible: UnitKind = .binary, hidden: UnitKind = .binary,
        rng: inout SeededRNG
    ) {
        precondition(
            visible != .linear && hidden != .gaussian,
            "RBM: visible units are binary or gaussian; hidden are binary or linear")
        weights = Matrix(rows: v, cols: h, storage: rng.gaussians(v * h, std: 0.1))
        visibleBias = Matrix(rows: 1, cols: v)
        hiddenBias = Matrix(rows: 1, cols: h)
        self.visible = visible
        self.hidden = hidden
    }

    public var visibleUnits: Int { weights.rows }
    public var hiddenUnits: Int { weights.cols }

    /// E[h | v]: σ(v·W + c), or v·W + c for linear hidden units.
    public func hiddenMeans(_ v: Matrix) -> Matrix {
        asEncoderLayer.forward(v)
    }

    /// E[v | h]: σ(h·Wᵀ + b), or h·Wᵀ + b for Gaussian visible units.
    public func visibleMeans(_ h: Matrix) -> Matrix {
        var v = Matrix(rows: h.rows, cols: visibleUnits)
        v.addToRows(visibleBias.storage)
        Matrix.gemm(h, .none, weights, .transposed, beta: 1, into: &v)
        if visible == .binary { v.applyElementwise(Elementwise.logistic) }
        return v
    }

    /// A sample of the hidden states given their means.
    public func sampleHidden(_ means: Matrix, rng: inout SeededRNG) -> Matrix {
        var s = means
        s.storage.withUnsafeMutableBufferPointer { p in
            switch hidden {
            case .binary: for i in p.indices { p[i] = p[i] > rng.uniform() ? 1 : 0 }
            default: for i in p.indices { p[i] += rng.gaussian() }
            }
        }
        return s
    }

    /// The layer an RBM becomes in an encoder: v ↦ E[h | v].
    public var asEncoderLayer: DenseLayer {
        DenseLayer(weights: weights, bias: hiddenBias, activation: hidden == .binary ? .logistic : .linear)
    }

    /// The layer an RBM becomes in a decoder: h ↦ E[v | h], with the weights transposed (then untied).
    public var asDecoderLayer: DenseLayer {
        DenseLayer(weights: weights.transposed, bias: visibleBias, activation: visible == .binary ? .logistic : .linear)
    }
}

/// Hyper-parameters of CD-k training (defaults from rbm.m).
public struct CDSettings: Sendable, Codable, Equatable {
    public var learningRate: Float = 0.1
    public var weightCost: Float = 0.0002
    public var initialMomentum: Float = 0.5
    public var finalMomentum: Float = 0.9
    /// Epochs before momentum switches from initial to final.
    public var momentumSwitchEpoch = 5
    public var steps = 1
    public init() {}
}

/// Velocities carried between CD updates.
public struct CDState: Sendable {
    var weights: Matrix
    var visibleBias: Matrix
    var hiddenBias: Matrix
    public init(for rbm: RBM) {
        weights = Matrix(rows: rbm.visibleUnits, cols: rbm.hiddenUnits)
        visibleBias = Matrix(rows: 1, cols: rbm.visibleUnits)
        hiddenBias = Matrix(rows: 1, cols: rbm.hiddenUnits)
    }
}

extension RBM {
    /// One CD-k update on a mini-batch `v0` (B×V). Returns the squared reconstruction
    /// error per example of the first reconstruction, the usual progress figure.
    @discardableResult
    public mutating func contrastiveDivergence(
        _ v0: Matrix, settings: CDSettings, momentum: Float,
        state: inout CDState, rng: inout SeededRNG
    ) -> Float {
        let b = Float(v0.rows)
        let h0 = hiddenMeans(v0)
        var positive = Matrix(rows: visibleUnits, cols: hiddenUnits)
        Matrix.gemm(v0, .transposed, h0, .none, into: &positive)
        var hSample = sampleHidden(h0, rng: &rng)
        var vk = v0, hk = h0
        var reconstructionError: Float = 0
        for step in 0..<max(settings.steps, 1) {
            vk = visibleMeans(hSample)
            hk = hiddenMeans(vk)
            if step == 0 { reconstructionError = Float(squaredErrorPerImage(vk, v0)) }
            if step + 1 < settings.steps { hSample = sampleHidden(hk, rng: &rng) }
        }
        // Δ = momentum·Δ + lr·((⟨vh⟩₀ − ⟨vh⟩_k)/B − weightCost·W)
        Matrix.gemm(vk, .transposed, hk, .none, alpha: -1, beta: 1, into: &positive)
        state.weights.scale(by: momentum)
        state.weights.add(positive, scaledBy: settings.learningRate / b)
        state.weights.add(weights, scaledBy: -settings.learningRate * settings.weightCost)
        let dv = zip(v0.columnSums(), vk.columnSums()).map { ($0 - $1) / b }
        let dh = zip(h0.columnSums(), hk.columnSums()).map { ($0 - $1) / b }
        state.visibleBias.scale(by: momentum)
        state.visibleBias.add(Matrix(rows: 1, cols: visibleUnits, storage: dv), scaledBy: settings.learningRate)
        state.hiddenBias.scale(by: momentum)
        state.hiddenBias.add(Matrix(rows: 1, cols: hiddenUnits, storage: dh), scaledBy: settings.learningRate)
        weights.add(state.weights)
        visibleBias.add(state.visibleBias)
        hiddenBias.add(state.hiddenBias)
        return reconstructionError
    }
}
