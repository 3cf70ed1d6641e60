import Foundation
import VicinityMath

/// The kind of a layer of RBM units.
public enum UnitKind: String, Sendable, Codable {
    /// Logistic units, sampled as 0/1.
    case binary
    /// Real-valued visible units with unit variance (data should be standardised).
    case gaussian
    /// Real-valued hidden units with unit-variance Gaussian noise: the code layer of a deep autoencoder.
    case linear
    /// Word counts (visible only): the constrained Poisson model of semantic hashing, whose rates
    /// are the document's length N times a softmax over the words, so they always sum to N.
    case counts
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
            visible != .linear && hidden != .gaussian && hidden != .counts,
            "RBM: visible units are binary, gaussian or counts; hidden are binary or linear")
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

    /// E[v | h]: σ(h·Wᵀ + b), h·Wᵀ + b for Gaussian visible units, or N·softmax(h·Wᵀ + b) for
    /// counts, N being each row's document length in `lengths` (required for counts).
    public func visibleMeans(_ h: Matrix, lengths: [Float]? = nil) -> Matrix {
        var v = Matrix(rows: h.rows, cols: visibleUnits)
        v.addToRows(visibleBias.storage)
        Matrix.gemm(h, .none, weights, .transposed, beta: 1, into: &v)
        switch visible {
        case .binary: v.applyElementwise(Elementwise.logistic)
        case .counts:
            guard let lengths else { preconditionFailure("RBM: count units need the documents' lengths") }
            precondition(lengths.count == h.rows, "RBM: \(lengths.count) lengths for \(h.rows) rows")
            v.softmaxRows()
            let c = visibleUnits
            v.storage.withUnsafeMutableBufferPointer { p in
                for r in 0..<lengths.count { for i in (r * c)..<((r + 1) * c) { p[i] *= lengths[r] } }
            }
        case .gaussian, .linear: break
        }
        return v
    }

    /// Each row's sum: the document lengths count units are reconstructed to.
    static func lengths(_ v: Matrix) -> [Float] {
        (0..<v.rows).map { r in v.storage[(r * v.cols)..<((r + 1) * v.cols)].reduce(0, +) }
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

    /// The layer an RBM becomes in a decoder: h ↦ E[v | h], with the weights transposed (then untied);
    /// for counts, the word distribution E[v | h] / N.
    public var asDecoderLayer: DenseLayer {
        let activation: Activation
        switch visible {
        case .binary: activation = .logistic
        case .counts: activation = .softmax
        case .gaussian, .linear: activation = .linear
        }
        return DenseLayer(weights: weights.transposed, bias: visibleBias, activation: activation)
    }

    /// The mean free energy of the rows of `v` for binary hidden units:
    /// F(v) = −v·b − Σⱼ log(1 + exp(cⱼ + (v·W)ⱼ)). Contrastive divergence follows
    /// −∂F(v₀)/∂θ + ∂F(v_k)/∂θ, which `cdGradient` computes and the tests check against this.
    public func meanFreeEnergy(_ v: Matrix) -> Double {
        precondition(hidden == .binary, "free energy: binary hidden units only")
        var z = Matrix(rows: v.rows, cols: hiddenUnits)
        z.addToRows(hiddenBias.storage)
        Matrix.gemm(v, .none, weights, .none, beta: 1, into: &z)
        var total = 0.0
        for x in z.storage { total -= Double(x > 30 ? x : Foundation.log1p(Foundation.exp(x))) }
        for r in 0..<v.rows {
            for i in 0..<visibleUnits { total -= Double(v.storage[r * visibleUnits + i] * visibleBias.storage[i]) }
        }
        return total / Double(max(v.rows, 1))
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
        let h0 = hiddenMeans(v0)
        let lengths = visible == .counts ? Self.lengths(v0) : nil
        var hSample = sampleHidden(h0, rng: &rng)
        var vk = v0, hk = h0
        var reconstructionError: Float = 0
        for step in 0..<max(settings.steps, 1) {
            vk = visibleMeans(hSample, lengths: lengths)
            hk = hiddenMeans(vk)
            if step == 0 { reconstructionError = Float(squaredErrorPerImage(vk, v0)) }
            if step + 1 < settings.steps { hSample = sampleHidden(hk, rng: &rng) }
        }
        // Δ = momentum·Δ + lr·((⟨vh⟩₀ − ⟨vh⟩_k)/B − weightCost·W)
        let (dw, dv, dh) = cdGradient(v0, h0, vk, hk)
        state.weights.scale(by: momentum)
        state.weights.add(dw, scaledBy: settings.learningRate)
        state.weights.add(weights, scaledBy: -settings.learningRate * settings.weightCost)
        state.visibleBias.scale(by: momentum)
        state.visibleBias.add(Matrix(rows: 1, cols: visibleUnits, storage: dv), scaledBy: settings.learningRate)
        state.hiddenBias.scale(by: momentum)
        state.hiddenBias.add(Matrix(rows: 1, cols: hiddenUnits, storage: dh), scaledBy: settings.learningRate)
        weights.add(state.weights)
        visibleBias.add(state.visibleBias)
        hiddenBias.add(state.hiddenBias)
        return reconstructionError
    }

    /// The CD estimate of the likelihood gradient from data `v0` and reconstructions `vk` (with
    /// their hidden means): ((⟨vh⟩₀ − ⟨vh⟩_k)/B, (Σv₀ − Σv_k)/B, (Σh₀ − Σh_k)/B).
    func cdGradient(_ v0: Matrix, _ h0: Matrix, _ vk: Matrix, _ hk: Matrix) -> (Matrix, [Float], [Float]) {
        let b = Float(max(v0.rows, 1))
        var dw = Matrix(rows: visibleUnits, cols: hiddenUnits)
        Matrix.gemm(v0, .transposed, h0, .none, alpha: 1 / b, into: &dw)
        Matrix.gemm(vk, .transposed, hk, .none, alpha: -1 / b, beta: 1, into: &dw)
        let dv = zip(v0.columnSums(), vk.columnSums()).map { ($0 - $1) / b }
        let dh = zip(h0.columnSums(), hk.columnSums()).map { ($0 - $1) / b }
        return (dw, dv, dh)
    }
}
