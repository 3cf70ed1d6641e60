import Foundation
import VicinityMath

/// A loss value averaged over the mini-batch, and its gradient.
public struct LossGradient: Sendable {
    public var loss: Float
    /// ∂loss/∂(outputs or pre-activations, as each loss documents).
    public var gradient: Matrix
}

/// Reconstruction losses whose gradient with respect to the output layer's
/// pre-activation is simply (x̂ − x)/B for the matching output units.
public enum ReconstructionLoss: String, Sendable, Codable, CaseIterable {
    /// Binary cross-entropy −Σ[x log x̂ + (1−x) log(1−x̂)], for logistic outputs.
    case crossEntropy = "cross-entropy"
    /// Squared error ½Σ(x̂ − x)², for linear outputs.
    case squaredError = "squared-error"

    /// The output activation this loss pairs with.
    public var outputActivation: Activation { self == .crossEntropy ? .logistic : .linear }

    /// Loss per example (averaged over rows) and ∂loss/∂z of the output layer.
    public func evaluate(reconstruction y: Matrix, target x: Matrix) -> LossGradient {
        precondition(
            y.rows == x.rows && y.cols == x.cols,
            "loss: reconstruction \(y.rows)×\(y.cols) vs target \(x.rows)×\(x.cols)")
        let n = y.count
        let b = Float(max(y.rows, 1))
        var gradient = Matrix(rows: y.rows, cols: y.cols)
        var total = 0.0
        y.storage.withUnsafeBufferPointer { yp in
            x.storage.withUnsafeBufferPointer { xp in
                gradient.storage.withUnsafeMutableBufferPointer { g in
                    switch self {
                    case .crossEntropy:
                        let eps: Float = 1e-7  // keeps log finite when a logistic unit saturates
                        for i in 0..<n {
                            let yi = min(max(yp[i], eps), 1 - eps), xi = xp[i]
                            total -= Double(xi * Foundation.log(yi) + (1 - xi) * Foundation.log(1 - yi))
                            g[i] = (yp[i] - xi) / b
                        }
                    case .squaredError:
                        for i in 0..<n {
                            let d = yp[i] - xp[i]
                            total += Double(0.5 * d * d)
                            g[i] = d / b
                        }
                    }
                }
            }
        }
        return LossGradient(loss: Float(total / Double(b)), gradient: gradient)
    }
}

/// Σ(x̂ − x)² per example, averaged over examples: the figure reconstruction quality is reported in.
public func squaredErrorPerImage(_ y: Matrix, _ x: Matrix) -> Double {
    precondition(y.rows == x.rows && y.cols == x.cols, "squaredErrorPerImage: shapes differ")
    var total = 0.0
    y.storage.withUnsafeBufferPointer { yp in
        x.storage.withUnsafeBufferPointer { xp in
            for i in 0..<yp.count { let d = Double(yp[i] - xp[i]); total += d * d }
        }
    }
    return y.rows == 0 ? 0 : total / Double(y.rows)
}

/// Weight decay: adds ½·λ·‖W‖² for every weight matrix (biases are exempt);
/// returns the penalty and adds λ·W into the gradients.
public func addWeightDecay(_ lambda: Float, network: Network, into grads: inout Network) -> Float {
    guard lambda > 0 else { return 0 }
    var penalty: Float = 0
    for l in network.layers.indices {
        let w = network.layers[l].weights
        penalty += 0.5 * lambda * w.storage.reduce(0) { $0 + $1 * $1 }
        grads.layers[l].weights.add(w, scaledBy: lambda)
    }
    return penalty
}
