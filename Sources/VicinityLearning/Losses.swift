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
    /// Cross-entropy −Σ tᵢ log x̂ᵢ of a softmax output against the word distribution t = x / Σx of
    /// a count vector (a document with no counted word contributes nothing).
    case wordDistribution = "word-distribution"

    /// The output activation this loss pairs with.
    public var outputActivation: Activation {
        switch self {
        case .crossEntropy: .logistic
        case .squaredError: .linear
        case .wordDistribution: .softmax
        }
    }

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
                    case .wordDistribution:
                        total += wordDistributionLoss(yp, xp, cols: y.cols, batch: b, into: g)
                    }
                }
            }
        }
        return LossGradient(loss: Float(total / Double(b)), gradient: gradient)
    }
}

/// The word-distribution cross-entropy summed over rows, and ∂/∂z of the softmax's input
/// ((x̂ − t)/B for a document with words; 0 for one without) written into `g`.
private func wordDistributionLoss(
    _ y: UnsafeBufferPointer<Float>, _ x: UnsafeBufferPointer<Float>, cols: Int, batch b: Float,
    into g: UnsafeMutableBufferPointer<Float>
) -> Double {
    var total = 0.0
    for r in 0..<(y.count / max(cols, 1)) {
        let row = (r * cols)..<((r + 1) * cols)
        let length = x[row].reduce(0, +)
        guard length > 0 else {
            for i in row { g[i] = 0 }
            continue
        }
        for i in row {
            let t = x[i] / length
            if t > 0 { total -= Double(t * Foundation.log(max(y[i], 1e-30))) }
            g[i] = (y[i] - t) / b
        }
    }
    return total
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
