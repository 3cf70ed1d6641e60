import Foundation
import VicinityMath

/// Latent semantic analysis, the document baseline of the autoencoder lecture: the top `k` right
/// singular vectors of the training documents' log(1 + count) matrix X (a truncated SVD, through
/// LAPACK's eigen-decomposition of XᵀX, which has the same right vectors), uncentred as LSA is.
/// A document's code is its log counts projected on them, so training documents get UΣ.
public struct LSAEmbedding: Embedding {
    public let projection: PCA

    public init(fitting counts: Matrix, components k: Int) throws {
        guard counts.rows >= 2 else { throw LearningError("LSA needs at least 2 documents, got \(counts.rows)") }
        guard k >= 1 && k <= counts.cols else {
            throw LearningError("LSA components must be in 1...\(counts.cols), got \(k)")
        }
        let x = Self.logCounts(counts)
        var gram = Matrix(rows: counts.cols, cols: counts.cols)
        Matrix.gemm(x, .transposed, x, .none, alpha: 1 / Float(counts.rows), into: &gram)
        let (values, vectors) = try LAPACK.symmetricEigen(gram)
        projection = PCA(
            mean: [Float](repeating: 0, count: counts.cols), components: vectors.rows(in: 0..<k),
            eigenvalues: values[0..<k].map { max($0, 0) })
    }

    public var name: String { "lsa:\(outputDims)" }
    public var inputDims: Int { projection.inputDims }
    public var outputDims: Int { projection.outputDims }
    public func embed(_ inputs: Matrix) -> Matrix { projection.transform(Self.logCounts(inputs)) }

    static func logCounts(_ counts: Matrix) -> Matrix {
        var x = counts
        x.applyElementwise { v in for i in v.indices { v[i] = Foundation.log1p(max(v[i], 0)) } }
        return x
    }
}

/// TF-IDF over the whole vocabulary: each count times log(N / df) of its word in the training
/// documents (a word in none gets 0), each row scaled to unit length, so that L2 order is cosine order.
public struct TFIDFEmbedding: Embedding {
    public let idf: [Float]

    public init(fitting counts: Matrix) {
        var df = [Int](repeating: 0, count: counts.cols)
        for r in 0..<counts.rows {
            for i in 0..<counts.cols where counts.storage[r * counts.cols + i] > 0 { df[i] += 1 }
        }
        let n = Double(max(counts.rows, 1))
        idf = df.map { $0 == 0 ? 0 : Float(Foundation.log(n / Double($0))) }
    }

    public var name: String { "tfidf" }
    public var inputDims: Int { idf.count }
    public var outputDims: Int { idf.count }

    public func embed(_ inputs: Matrix) -> Matrix {
        precondition(inputs.cols == idf.count, "tfidf: inputs have \(inputs.cols) words, fitted on \(idf.count)")
        var out = inputs
        out.scaleColumns(idf)
        out.normaliseRows()
        return out
    }
}

extension Matrix {
    /// Each row scaled to unit Euclidean length (a zero row stays zero).
    public mutating func normaliseRows() {
        let (c, n) = (cols, rows)
        storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<n {
                var s: Float = 0
                for i in (r * c)..<((r + 1) * c) { s += p[i] * p[i] }
                guard s > 0 else { continue }
                let inv = 1 / s.squareRoot()
                for i in (r * c)..<((r + 1) * c) { p[i] *= inv }
            }
        }
    }
}
