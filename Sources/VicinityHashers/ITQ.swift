import VicinityMath

/// Iterative quantisation (Gong & Lazebnik 2011): find the rotation R of the
/// PCA projection V that minimises the quantisation loss ‖B − V·R‖²_F, alternating
/// B = sign(V·R) with the orthogonal Procrustes solution for R.
public enum ITQ {
    /// How the rotation is updated from the SVD Vᵀ·B = U·S·Wᵀ.
    public enum Update: Sendable {
        /// R = U·Wᵀ, the orthogonal Procrustes solution (Gong & Lazebnik): the loss never increases.
        case procrustes
        /// R = Uᵀ·Wᵀ, what faiss's ITQMatrix (1.15) computes: it takes the SVD factors in the wrong
        /// order, so the loss wanders and the rotation ranks about like a random one. Kept only to
        /// reproduce the faiss reference figures (docs/RESULTS.md, "Binary codes").
        case faiss
    }

    /// The fitted hasher, and the loss after each iteration (non-increasing for `.procrustes`).
    public static func fit(
        _ data: Matrix, bits: Int, iterations: Int = 50, update: Update = .procrustes,
        seed: UInt64
    ) throws -> (hasher: PCAHash, losses: [Float]) {
        let pca = try PCA.fit(data, components: bits)
        let v = pca.transform(data)
        var rng = SeededRNG(seed: seed)
        var r = try randomOrthonormalRows(bits, bits, rng: &rng)
        var losses: [Float] = []
        for _ in 0..<iterations {
            var b = v.multiplied(by: r)
            b.applyElementwise { p in for i in p.indices { p[i] = p[i] >= 0 ? 1 : -1 } }
            // Procrustes: with Vᵀ·B = U·S·Wᵀ, R = U·Wᵀ maximises tr(Bᵀ·V·R).
            let (u, _, wt) = try LAPACK.svd(v.multiplied(by: b, transposeSelf: true))
            r = update == .procrustes ? u.multiplied(by: wt) : u.multiplied(by: wt, transposeSelf: true)
            losses.append(quantisationLoss(v, r))
        }
        return (PCAHash(pca: pca, rotation: r), losses)
    }

    /// ‖sign(V·R) − V·R‖²_F.
    public static func quantisationLoss(_ v: Matrix, _ r: Matrix) -> Float {
        let vr = v.multiplied(by: r)
        var total: Double = 0
        for x in vr.storage { let d = Double((x >= 0 ? 1 : -1) - x); total += d * d }
        return Float(total)
    }
}
