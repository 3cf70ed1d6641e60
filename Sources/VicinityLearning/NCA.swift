import VicinityMath

/// Neighbourhood components analysis on a mini-batch (Goldberger et al.;
/// nonlinear NCA, Salakhutdinov & Hinton 2007).
///
/// p_ij = exp(−‖f_i − f_j‖²) / Σ_{k≠i} exp(−‖f_i − f_k‖²), p_ii = 0;
/// the objective O = Σ_i Σ_{j: c_j = c_i} p_ij is the expected number of
/// correctly classified points. The loss is −O/B, so minimising it maximises O.
public enum NCA {
    /// −O/B and its gradient with respect to the codes F (B×d).
    ///
    /// With W_ij = ∂O/∂D_ij = p_ij·(P_i − [c_i = c_j]) and S = W + Wᵀ,
    /// ∂O/∂f_i = 2·Σ_j S_ij (f_i − f_j), i.e. 2·(diag(S·1) − S)·F.
    public static func evaluate(codes f: Matrix, labels: [Int]) -> LossGradient {
        let b = f.rows
        precondition(labels.count == b, "NCA: \(b) codes but \(labels.count) labels")
        guard b > 1 else { return LossGradient(loss: 0, gradient: Matrix(rows: b, cols: f.cols)) }
        // Squared distances through one gemm: D = n_i + n_j − 2·F·Fᵀ.
        let norms = f.rowSquaredNorms()
        var d = Matrix(rows: b, cols: b)
        Matrix.gemm(f, .none, f, .transposed, alpha: -2, into: &d)
        var objective = 0.0
        var w = Matrix(rows: b, cols: b)
        d.storage.withUnsafeMutableBufferPointer { dp in
            w.storage.withUnsafeMutableBufferPointer { wp in
                for i in 0..<b {
                    let row = dp.baseAddress! + i * b
                    // Softmax over −D_ij, j ≠ i, shifted by the smallest distance for stability.
                    var smallest = Float.infinity
                    for j in 0..<b where j != i {
                        row[j] = max(row[j] + norms[i] + norms[j], 0)
                        smallest = min(smallest, row[j])
                    }
                    for j in 0..<b { row[j] = smallest - row[j] }
                    Elementwise.exp(UnsafeMutableBufferPointer(start: row, count: b))
                    row[i] = 0
                    var z: Float = 0
                    for j in 0..<b { z += row[j] }
                    var pSame: Float = 0
                    for j in 0..<b {
                        row[j] /= z
                        if labels[j] == labels[i] { pSame += row[j] }
                    }
                    objective += Double(pSame)
                    let wRow = wp.baseAddress! + i * b
                    for j in 0..<b { wRow[j] = row[j] * (pSame - (labels[j] == labels[i] && j != i ? 1 : 0)) }
                }
            }
        }
        // S = W + Wᵀ, then L = diag(S·1) − S; grad of −O/B is −(2/B)·L·F.
        var s = w.transposed
        s.add(w)
        let rowSums = s.multiplied(by: [Float](repeating: 1, count: b))
        for i in 0..<b { s[i, i] -= rowSums[i] }   // s now holds S − diag(S·1) = −L
        var gradient = Matrix(rows: b, cols: f.cols)
        Matrix.gemm(s, .none, f, .none, alpha: 2 / Float(b), into: &gradient)
        return LossGradient(loss: Float(-objective / Double(b)), gradient: gradient)
    }
}
