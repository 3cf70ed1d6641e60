import Foundation
import VicinityMath

/// Sparse coding under a fixed dictionary, the inference half of PSD (Kavukcuoglu, Ranzato & LeCun 2008).
/// Rows are items: x B×D (already centred), atoms the rows of `dictionary` K×D (unit norm), codes z B×K.
/// Per item E(x, z) = ‖x − z·D‖² + λ‖z‖₁ + α‖z − p‖², p the encoder's prediction (α = 0: plain sparse coding).
public struct SparseCoding: Sendable {
    public var dictionary: Matrix
    public var lambda: Float
    public var alpha: Float
    /// G = D·Dᵀ (K×K): the smooth part's gradient is 2(z·G − x·Dᵀ) + 2α(z − p), one K×K product per step.
    let gram: Matrix
    /// The Lipschitz constant of that gradient, 2(σ_max(G) + α); steps are 1/L.
    public let lipschitz: Float

    public init(dictionary: Matrix, lambda: Float, alpha: Float) {
        self.dictionary = dictionary
        self.lambda = lambda
        self.alpha = alpha
        gram = dictionary.multiplied(by: dictionary, transposeOther: true)
        lipschitz = 2 * (Self.largestEigenvalue(gram) + alpha)
    }

    /// σ_max of a symmetric positive semi-definite matrix by power iteration, with 2 % headroom
    /// so that rounding never makes the step too long.
    static func largestEigenvalue(_ g: Matrix) -> Float {
        var v = [Float](repeating: 1 / Float(g.rows).squareRoot(), count: g.rows)
        var value: Float = 0
        for _ in 0..<100 {
            let w = g.multiplied(by: v)
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return 0 }
            if abs(norm - value) <= 1e-6 * norm { return norm * 1.02 }
            value = norm
            v = w.map { $0 / norm }
        }
        return value * 1.02
    }

    /// Per-item energies of codes `z` for centred inputs `x` and predictions `p` (nil when α = 0):
    /// reconstruction ‖x − z·D‖², sparsity λ‖z‖₁ and prediction α‖z − p‖², each per row.
    public func energy(_ x: Matrix, codes z: Matrix, predictions p: Matrix? = nil)
        -> (reconstruction: [Float], sparsity: [Float], prediction: [Float])
    {
        var residual = x
        Matrix.gemm(z, .none, dictionary, .none, alpha: -1, beta: 1, into: &residual)
        let rec = residual.rowSquaredNorms()
        let (rows, k) = (z.rows, z.cols)
        var l1 = [Float](repeating: 0, count: rows)
        var pred = [Float](repeating: 0, count: rows)
        z.storage.withUnsafeBufferPointer { zp in
            for r in 0..<rows {
                var s: Float = 0
                for j in (r * k)..<((r + 1) * k) { s += abs(zp[j]) }
                l1[r] = lambda * s
            }
            guard let p, alpha > 0 else { return }
            p.storage.withUnsafeBufferPointer { pp in
                for r in 0..<rows {
                    var s: Float = 0
                    for j in (r * k)..<((r + 1) * k) { s += (zp[j] - pp[j]) * (zp[j] - pp[j]) }
                    pred[r] = alpha * s
                }
            }
        }
        return (rec, l1, pred)
    }

    /// The smooth part's gradient 2(z·G − x·Dᵀ) + 2α(z − p), given `xd` = x·Dᵀ.
    func smoothGradient(_ z: Matrix, xd: Matrix, predictions p: Matrix?) -> Matrix {
        var g = xd
        Matrix.gemm(z, .none, gram, .none, alpha: 2, beta: -2, into: &g)
        if let p, alpha > 0 {
            g.add(z, scaledBy: 2 * alpha)
            g.add(p, scaledBy: -2 * alpha)
        }
        return g
    }

    /// Minimises E over z by ISTA (`accelerated` false) or FISTA, starting from `start`
    /// (the encoder's prediction in PSD, zeros otherwise). `trace` receives the mean energy
    /// after each step (tests check that ISTA never rises).
    public func infer(
        _ x: Matrix, start: Matrix, predictions p: Matrix? = nil, iterations: Int, accelerated: Bool = true,
        trace: ((Float) -> Void)? = nil
    ) -> Matrix {
        precondition(x.cols == dictionary.cols && start.cols == dictionary.rows && start.rows == x.rows)
        let xd = x.multiplied(by: dictionary, transposeOther: true)
        let step = 1 / lipschitz, threshold = lambda / lipschitz
        var z = start
        var y = start
        var t: Float = 1
        for _ in 0..<iterations {
            let g = smoothGradient(accelerated ? y : z, xd: xd, predictions: p)
            var next = accelerated ? y : z
            next.add(g, scaledBy: -step)
            next.softThreshold(threshold)
            if accelerated {
                let t2 = (1 + (1 + 4 * t * t).squareRoot()) / 2
                y = next
                y.add(next, scaledBy: (t - 1) / t2)
                y.add(z, scaledBy: -(t - 1) / t2)
                t = t2
            }
            z = next
            if let trace {
                let e = energy(x, codes: z, predictions: p)
                trace(zip(zip(e.0, e.1), e.2).reduce(0) { $0 + $1.0.0 + $1.0.1 + $1.1 } / Float(max(x.rows, 1)))
            }
        }
        return z
    }
}

extension Matrix {
    /// Soft thresholding, the proximal step of λ‖z‖₁: v ← sign(v)·max(|v| − τ, 0).
    mutating func softThreshold(_ tau: Float) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let v = p[i]
                p[i] = v > tau ? v - tau : (v < -tau ? v + tau : 0)
            }
        }
    }
}
