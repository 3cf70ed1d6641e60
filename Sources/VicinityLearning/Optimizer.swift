import Foundation
import VicinityMath

/// How the learning rate changes over training.
public enum LearningRateSchedule: Sendable, Codable, Equatable {
    case constant
    /// Multiplies the rate by `factor` every `every` epochs.
    case step(every: Int, factor: Float)
    /// Cosine decay from the base rate to 0 over `epochs`.
    case cosine(epochs: Int)

    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant: base
        case .step(let every, let factor): base * Foundation.pow(factor, Float(epoch / max(every, 1)))
        case .cosine(let epochs):
            base * 0.5 * (1 + Foundation.cos(Float.pi * Float(min(epoch, epochs)) / Float(max(epochs, 1))))
        }
    }
}

/// Updates a network's parameters from gradients of a loss to minimise.
public protocol Optimizer: Sendable {
    var learningRate: Float { get set }
    mutating func step(_ network: inout Network, gradients: Network)
}

/// Stochastic gradient descent with (heavy-ball) momentum: v ← μv − η·g; θ ← θ + v.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    var velocity: Network?

    public init(learningRate: Float, momentum: Float = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public mutating func step(_ network: inout Network, gradients: Network) {
        if velocity == nil { velocity = network.zeroed }
        for l in network.layers.indices {
            velocity!.layers[l].weights.scale(by: momentum)
            velocity!.layers[l].weights.add(gradients.layers[l].weights, scaledBy: -learningRate)
            velocity!.layers[l].bias.scale(by: momentum)
            velocity!.layers[l].bias.add(gradients.layers[l].bias, scaledBy: -learningRate)
            network.layers[l].weights.add(velocity!.layers[l].weights)
            network.layers[l].bias.add(velocity!.layers[l].bias)
        }
    }
}

/// Adam (Kingma & Ba) with bias correction.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    var m: Network?
    var v: Network?
    var t = 0

    public init(learningRate: Float = 1e-3) { self.learningRate = learningRate }

    public mutating func step(_ network: inout Network, gradients: Network) {
        if m == nil { m = network.zeroed; v = network.zeroed }
        t += 1
        let c1 = 1 - Foundation.pow(beta1, Float(t)), c2 = 1 - Foundation.pow(beta2, Float(t))
        let stepSize = learningRate * c2.squareRoot() / c1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        func update(_ p: inout Matrix, _ g: Matrix, _ m: inout Matrix, _ v: inout Matrix) {
            let n = p.count
            g.storage.withUnsafeBufferPointer { gp in
                m.storage.withUnsafeMutableBufferPointer { mp in
                    v.storage.withUnsafeMutableBufferPointer { vp in
                        p.storage.withUnsafeMutableBufferPointer { pp in
                            // Memory-bound: big tensors are split over cores.
                            let parts = n >= 1 << 16 ? availableCores : 1
                            let shared = UnsafeSendable(
                                (gp.baseAddress!, mp.baseAddress!, vp.baseAddress!, pp.baseAddress!))
                            parallelFor(parts) { part in
                                let (gp, mp, vp, pp) = shared.value
                                for i in (n * part / parts)..<(n * (part + 1) / parts) {
                                    let gi = gp[i]
                                    mp[i] = b1 * mp[i] + (1 - b1) * gi
                                    vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                                    pp[i] -= stepSize * mp[i] / (vp[i].squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
        for l in network.layers.indices {
            update(
                &network.layers[l].weights, gradients.layers[l].weights, &m!.layers[l].weights, &v!.layers[l].weights)
            update(&network.layers[l].bias, gradients.layers[l].bias, &m!.layers[l].bias, &v!.layers[l].bias)
        }
    }
}

extension SGD {
    /// Velocity tensors for checkpoints, keyed by layer and role.
    public var stateTensors: [String: Matrix] { velocity.map { exportNetwork($0, prefix: "sgd.v") } ?? [:] }
    public mutating func restore(_ tensors: [String: Matrix], shape: Network) {
        velocity = importNetwork(tensors, prefix: "sgd.v", shape: shape)
    }
}

extension Adam {
    public var stateTensors: [String: Matrix] {
        guard let m, let v else { return [:] }
        var out = exportNetwork(m, prefix: "adam.m").merging(exportNetwork(v, prefix: "adam.v")) { a, _ in a }
        out["adam.t"] = Matrix(rows: 1, cols: 1, storage: [Float(t)])
        return out
    }
    public mutating func restore(_ tensors: [String: Matrix], shape: Network) {
        m = importNetwork(tensors, prefix: "adam.m", shape: shape)
        v = importNetwork(tensors, prefix: "adam.v", shape: shape)
        t = Int(tensors["adam.t"]?.storage.first ?? 0)
    }
}

/// Names a network's tensors `prefix.N.weight` / `prefix.N.bias`.
func exportNetwork(_ n: Network, prefix: String) -> [String: Matrix] {
    var out: [String: Matrix] = [:]
    for (i, l) in n.layers.enumerated() {
        out["\(prefix).\(i).weight"] = l.weights
        out["\(prefix).\(i).bias"] = l.bias
    }
    return out
}

/// The inverse of `exportNetwork`; nil when any tensor is missing or misshapen.
func importNetwork(_ tensors: [String: Matrix], prefix: String, shape: Network) -> Network? {
    var n = shape
    for i in n.layers.indices {
        guard let w = tensors["\(prefix).\(i).weight"], let b = tensors["\(prefix).\(i).bias"],
            w.rows == n.layers[i].weights.rows, w.cols == n.layers[i].weights.cols, b.count == n.layers[i].bias.count
        else { return nil }
        n.layers[i].weights = w
        n.layers[i].bias = b.reshaped(rows: 1, cols: b.count)
    }
    return n
}
