import VicinityMath

/// The nonlinearity of a layer's units.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case logistic, linear, tanh, relu

    /// Applies the activation to pre-activations in place.
    public func apply(_ z: inout Matrix) {
        switch self {
        case .logistic: z.applyElementwise(Elementwise.logistic)
        case .tanh: z.applyElementwise(Elementwise.tanh)
        case .relu: z.applyElementwise(Elementwise.relu)
        case .linear: break
        }
    }

    /// Turns ∂L/∂y into ∂L/∂z in place, using the outputs y (every derivative
    /// here is a function of the output, so pre-activations need not be kept).
    public func backpropagate(_ gradient: inout Matrix, outputs y: Matrix) {
        precondition(gradient.rows == y.rows && gradient.cols == y.cols, "activation gradient shape mismatch")
        guard self != .linear else { return }
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
                    case .linear: break
                    }
                }
            }
        }
    }
}
