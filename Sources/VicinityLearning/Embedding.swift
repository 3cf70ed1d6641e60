import VicinityMath

/// Anything that maps input rows (N×D pixels in [0,1]) to code rows (N×d).
public protocol Embedding: Sendable {
    /// A short human name, e.g. "pixels" or "pca:30".
    var name: String { get }
    var inputDims: Int { get }
    var outputDims: Int { get }
    func embed(_ inputs: Matrix) -> Matrix
}

/// The identity: raw pixels as codes (the kNN baseline).
public struct PixelEmbedding: Embedding {
    public let inputDims: Int
    public init(dims: Int) { inputDims = dims }
    public var name: String { "pixels" }
    public var outputDims: Int { inputDims }
    public func embed(_ inputs: Matrix) -> Matrix {
        precondition(inputs.cols == inputDims, "pixels: inputs have \(inputs.cols) dims, expected \(inputDims)")
        return inputs
    }
}

/// PCA fitted on training data (the linear baseline every learned code is compared with).
public struct PCAEmbedding: Embedding {
    public let pca: PCA
    public init(_ pca: PCA) { self.pca = pca }
    public init(fitting data: Matrix, components: Int) throws {
        pca = try PCA.fit(data, components: components)
    }
    public var name: String { "pca:\(pca.outputDims)" }
    public var inputDims: Int { pca.inputDims }
    public var outputDims: Int { pca.outputDims }
    public func embed(_ inputs: Matrix) -> Matrix { pca.transform(inputs) }
}
