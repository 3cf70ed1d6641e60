import VicinityData
import VicinityLearning
import VicinityMath
import VicinitySearch

/// Squared reconstruction error per test image (summed over pixels), next to
/// PCA's with the same code size fitted on the training set.
public struct ReconstructionReport: Sendable {
    public var msePerImage: Double
    public var pcaMSEPerImage: Double
    public var codeDims: Int
    public var json: [String: Any] {
        ["mse_per_image": msePerImage, "pca_mse_per_image": pcaMSEPerImage, "code_dims": codeDims]
    }

    /// nil for models without a decoder.
    public static func run(model: EmbeddingModel, training: Dataset, test: Dataset) throws -> ReconstructionReport? {
        guard let rebuilt = model.reconstruct(test.features) else { return nil }
        let pca = try PCA.fit(training.features, components: model.outputDims)
        let pcaRebuilt = pca.inverseTransform(pca.transform(test.features))
        return ReconstructionReport(
            msePerImage: squaredErrorPerImage(rebuilt, test.features),
            pcaMSEPerImage: squaredErrorPerImage(pcaRebuilt, test.features),
            codeDims: model.outputDims)
    }
}
