import Foundation
import VicinityMath

/// Spectral hashing (Weiss, Torralba & Fergus 2008): PCA, then the analytical
/// eigenfunctions of a uniform distribution on each principal direction's range;
/// the `bits` lowest-frequency modes (over all directions) become the bits,
/// bit = sign(sin(π/2 + k·π·(x − min)/(max − min))).
public struct SpectralHashing: BinaryHasher {
    public let pca: PCA
    public let minimum: [Float]  // per principal direction
    public let maximum: [Float]
    /// For each bit: the principal direction and the mode number k ≥ 1.
    public let modes: [(direction: Int, k: Int)]
    public var kind: String { "spectral" }
    public var bits: Int { modes.count }
    public var inputDims: Int { pca.inputDims }

    public static func fit(_ data: Matrix, bits: Int) throws -> SpectralHashing {
        let dims = min(bits, data.cols)
        let pca = try PCA.fit(data, components: dims)
        let z = pca.transform(data).transposed  // dims×N
        var lo = [Float](repeating: 0, count: dims), hi = [Float](repeating: 0, count: dims)
        for d in 0..<dims {
            let row = z.row(d)
            lo[d] = row.min() ?? 0
            hi[d] = max(row.max() ?? 1, lo[d] + 1e-6)
        }
        // Eigenvalue of mode k on direction d grows with (k / range_d)²: take the smallest.
        var candidates: [(Float, Int, Int)] = []
        for d in 0..<dims { for k in 1...bits { candidates.append((Float(k) / (hi[d] - lo[d]), d, k)) } }
        candidates.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        return SpectralHashing(pca: pca, minimum: lo, maximum: hi, modes: candidates.prefix(bits).map { ($0.1, $0.2) })
    }

    public init(pca: PCA, minimum: [Float], maximum: [Float], modes: [(direction: Int, k: Int)]) {
        self.pca = pca
        self.minimum = minimum
        self.maximum = maximum
        self.modes = modes
    }

    public func project(_ x: Matrix) -> Matrix {
        let z = pca.transform(x)
        var out = Matrix(rows: x.rows, cols: bits)
        for i in 0..<x.rows {
            for (b, m) in modes.enumerated() {
                let u = (z[i, m.direction] - minimum[m.direction]) / (maximum[m.direction] - minimum[m.direction])
                out[i, b] = Foundation.sin(Float.pi / 2 + Float(m.k) * Float.pi * u)
            }
        }
        return out
    }

}
