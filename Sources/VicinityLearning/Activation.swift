import Foundation
import VicinityMath

/// The nonlinearity of a layer's units.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case logistic, linear, tanh, relu
    /// Each row exponentiated and normalised to sum to 1: a distribution over the units (the word
    /// distribution a document autoencoder reconstructs).
    case softmax

    /// Applies the activation to pre-activations in place.
    public func apply(_ z: inout Matrix) {
        switch self {
        case .logistic: z.applyElementwise(Elementwise.logistic)
        case .tanh: z.applyElementwise(Elementwise.tanh)
        case .relu: z.applyElementwise(Elementwise.relu)
        case .softmax: z.softmaxRows()
        case .linear: break
        }
    }

    /// Turns ∂L/∂y into ∂L/∂z in place, using the outputs y (every derivative
    /// here is a function of the output, so pre-activations need not be kept).
    public func backpropagate(_ gradient: inout Matrix, outputs y: Matrix) {
        precondition(gradient.rows == y.rows && gradient.cols == y.cols, "activation gradient shape mismatch")
        guard self != .linear else { return }
        if self == .softmax {
            gradient.softmaxBackward(outputs: y)
            return
        }
        let n = y.count
        y.storage.withUnsafeBufferPointer { yp in
            gradient.storage.withUnsafeMutableBufferPointer { gp in
                let shared = UnsafeSendable((gp, yp))
                forEachSlice(n) { range in
                    let (gp, yp) = shared.value
                    switch self {
                    case .logistic: for i in range { gp[i] *= yp[i] * (1 - yp[i]) }
                    case .tanh: for i in range { gp[i] *= 1 - yp[i] * yp[i] }
                    case .relu: for i in range where yp[i] <= 0 { gp[i] = 0 }
                    case .linear, .softmax: break
                    }
                }
            }
        }
    }
}

extension Matrix {
    /// Each row replaced by its softmax (the row's maximum subtracted first, so no exp overflows).
    mutating func softmaxRows() {
        let (c, n) = (cols, rows)
        storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<n {
                let row = UnsafeMutableBufferPointer(rebasing: p[(r * c)..<((r + 1) * c)])
                let top = row.max() ?? 0
                var sum: Float = 0
                for i in row.indices {
                    row[i] = Foundation.exp(row[i] - top)
                    sum += row[i]
                }
                for i in row.indices { row[i] /= sum }
            }
        }
    }

    /// ∂L/∂y into ∂L/∂z through a row softmax: dz = y ⊙ (dy − ⟨dy, y⟩) per row.
    mutating func softmaxBackward(outputs y: Matrix) {
        let (c, n) = (cols, rows)
        y.storage.withUnsafeBufferPointer { yp in
            storage.withUnsafeMutableBufferPointer { gp in
                for r in 0..<n {
                    var dot: Float = 0
                    for i in (r * c)..<((r + 1) * c) { dot += gp[i] * yp[i] }
                    for i in (r * c)..<((r + 1) * c) { gp[i] = yp[i] * (gp[i] - dot) }
                }
            }
        }
    }
}
