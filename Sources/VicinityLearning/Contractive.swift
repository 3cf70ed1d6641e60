import VicinityMath

/// The contractive penalty (Rifai et al. 2011) for a logistic encoder
/// h = σ(x·W + b): the squared Frobenius norm of the Jacobian ∂h/∂x, in closed form
/// ‖J‖²_F = Σ_j (h_j(1 − h_j))² · Σ_i W_ij², averaged over the batch and scaled by λ.
public enum ContractivePenalty {
    /// Returns the penalty; adds its direct ∂/∂W into `grads.weights` and returns
    /// ∂penalty/∂z (B×H) for the caller to back-propagate through the layer.
    public static func evaluate(
        layer: DenseLayer, hidden h: Matrix, lambda: Float,
        into grads: inout DenseLayer
    ) -> (penalty: Float, preActivationGradient: Matrix) {
        precondition(layer.activation == .logistic, "the closed-form contractive penalty needs a logistic encoder")
        let (b, hd) = (h.rows, h.cols)
        // Column norms w_j = Σ_i W_ij².
        let columnNorms = layer.weights.transposed.rowSquaredNorms()
        var dz = Matrix(rows: b, cols: hd)
        var aSums = [Float](repeating: 0, count: hd)
        var penalty: Double = 0
        let scale = lambda / Float(max(b, 1))
        h.storage.withUnsafeBufferPointer { hp in
            dz.storage.withUnsafeMutableBufferPointer { dp in
                for r in 0..<b {
                    for j in 0..<hd {
                        let v = hp[r * hd + j]
                        let s = v * (1 - v)
                        let a = s * s
                        penalty += Double(a * columnNorms[j])
                        aSums[j] += a
                        // ∂a/∂z = 2·a·(1 − 2h)
                        dp[r * hd + j] = scale * columnNorms[j] * 2 * a * (1 - 2 * v)
                    }
                }
            }
        }
        // Direct term: ∂/∂W_ij = 2·W_ij·Σ_b a_bj (times λ/B).
        var direct = layer.weights
        direct.scaleColumns(aSums.map { 2 * scale * $0 })
        grads.weights.add(direct)
        return (Float(penalty) * scale, dz)
    }
}
