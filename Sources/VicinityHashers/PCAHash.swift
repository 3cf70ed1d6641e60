import VicinityMath

/// PCA-hashing: the signs of the top `bits` principal components, optionally
/// followed by a learned rotation (ITQ), which balances variance across bits.
public struct PCAHash: BinaryHasher {
    public let pca: PCA
    /// bits×bits rotation applied after the projection; the identity for plain PCA-hash.
    public let rotation: Matrix
    public let isRotated: Bool
    public var kind: String { isRotated ? "itq" : "pca-hash" }
    public var bits: Int { pca.outputDims }
    public var inputDims: Int { pca.inputDims }

    public init(pca: PCA, rotation: Matrix? = nil) {
        self.pca = pca
        self.rotation = rotation ?? .identity(pca.outputDims)
        isRotated = rotation != nil
    }

    public static func fit(_ data: Matrix, bits: Int) throws -> PCAHash {
        PCAHash(pca: try PCA.fit(data, components: bits))
    }

    public func project(_ x: Matrix) -> Matrix {
        let z = pca.transform(x)
        return isRotated ? z.multiplied(by: rotation) : z
    }

}
