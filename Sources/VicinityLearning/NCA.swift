import Foundation
import VicinityMath

/// Neighbourhood components analysis on a mini-batch (Goldberger et al.;
/// nonlinear NCA, Salakhutdinov & Hinton 2007).
///
/// p_ij = exp(−‖f_i − f_j‖²) / Σ_{k≠i} exp(−‖f_i − f_k‖²), p_ii = 0;
/// with P_i = Σ_{j: c_j = c_i} p_ij the chance that point i is classified
/// correctly, the objective is O = Σ_i P_i, the expected number of correctly
/// classified points (`.expected`, the paper's), or O = Σ_i log P_i
/// (`.logProbability`, Goldberger's alternative, which weighs the points that
/// are still misclassified more). The loss is −O/B, so minimising it maximises O.
public enum NCA {
    public enum Variant: String, Sendable, Codable, CaseIterable {
        case expected
        case logProbability = "log"
    }

    /// P_i below this counts as this in the log variant, so a point with no near classmate stays finite.
    static let smallestProbability: Float = 1e-30

    /// −O/B and its gradient with respect to the codes F (B×d).
    ///
    /// With W_ij = ∂O/∂D_ij = p_ij·(P_i − [c_i = c_j]) (divided by P_i for the log
    /// variant) and S = W + Wᵀ, ∂O/∂f_i = 2·Σ_j S_ij (f_i − f_j), i.e. 2·(diag(S·1) − S)·F.
    // Long: the loss and its gradient share the B×B distance and probability matrices in one
    // pass (the fine-tuning hot path, checked against finite differences).
    public static func evaluate(codes f: Matrix, labels: [Int], variant: Variant = .expected) -> LossGradient {
        let b = f.rows
        precondition(labels.count == b, "NCA: \(b) codes but \(labels.count) labels")
        guard b > 1 else { return LossGradient(loss: 0, gradient: Matrix(rows: b, cols: f.cols)) }
        // Squared distances through one gemm: D = n_i + n_j − 2·F·Fᵀ.
        let norms = f.rowSquaredNorms()
        var w = Matrix(rows: b, cols: b)
        Matrix.gemm(f, .none, f, .transposed, alpha: -2, into: &w)
        // Row i of w becomes W_i· = p_i·(P_i − [same class]); rows are independent, so cores split them.
        let workers = min(availableCores, b)
        var objectives = [Double](repeating: 0, count: workers)
        var rowSums = [Float](repeating: 0, count: b)
        w.storage.withUnsafeMutableBufferPointer { wp in
            norms.withUnsafeBufferPointer { np in
                labels.withUnsafeBufferPointer { lp in
                    objectives.withUnsafeMutableBufferPointer { op in
                        rowSums.withUnsafeMutableBufferPointer { rp in
                            let shared = UnsafeSendable(
                                (wp.baseAddress!, np.baseAddress!, lp.baseAddress!, op.baseAddress!, rp.baseAddress!))
                            parallelFor(workers) { worker in
                                let (w, norms, labels, objectives, rowSums) = shared.value
                                var objective = 0.0
                                for i in stride(from: worker, to: b, by: workers) {
                                    let row = w + i * b
                                    // Softmax over −D_ij, j ≠ i, shifted by the smallest distance for stability.
                                    var smallest = Float.infinity
                                    for j in 0..<b {
                                        let d = max(row[j] + norms[i] + norms[j], 0)
                                        row[j] = d
                                        if j != i { smallest = min(smallest, d) }
                                    }
                                    for j in 0..<b { row[j] = smallest - row[j] }
                                    Elementwise.exp(UnsafeMutableBufferPointer(start: row, count: b))
                                    row[i] = 0
                                    var z: Float = 0
                                    for j in 0..<b { z += row[j] }
                                    let inverse = 1 / z
                                    let li = labels[i]
                                    var pSame: Float = 0
                                    for j in 0..<b {
                                        row[j] *= inverse
                                        if labels[j] == li { pSame += row[j] }
                                    }
                                    let logVariant = variant == .logProbability
                                    let p = max(pSame, smallestProbability)
                                    objective += logVariant ? Double(log(p)) : Double(pSame)
                                    let weight: Float = logVariant ? 1 / p : 1
                                    var sum: Float = 0
                                    for j in 0..<b {
                                        let v = row[j] * (pSame - (labels[j] == li && j != i ? 1 : 0)) * weight
                                        row[j] = v
                                        sum += v
                                    }
                                    rowSums[i] = sum
                                }
                                objectives[worker] = objective
                            }
                        }
                    }
                }
            }
        }
        // With S = W + Wᵀ: grad of −O/B = (2/B)·(S·F − (S·1) ⊙ F), and S·1 = row sums + column sums of W.
        let columnSums = w.multiplied(by: [Float](repeating: 1, count: b), transposed: true)
        var gradient = Matrix(rows: b, cols: f.cols)
        let scale = 2 / Float(b)
        Matrix.gemm(w, .none, f, .none, alpha: scale, into: &gradient)
        Matrix.gemm(w, .transposed, f, .none, alpha: scale, beta: 1, into: &gradient)
        let d = f.cols
        f.storage.withUnsafeBufferPointer { fp in
            gradient.storage.withUnsafeMutableBufferPointer { gp in
                for i in 0..<b {
                    let s = scale * (rowSums[i] + columnSums[i])
                    for j in 0..<d { gp[i * d + j] -= s * fp[i * d + j] }
                }
            }
        }
        return LossGradient(loss: Float(-objectives.reduce(0, +) / Double(b)), gradient: gradient)
    }
}
