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
    public var json: [String: Any] { ["mse_per_image": msePerImage, "pca_mse_per_image": pcaMSEPerImage, "code_dims": codeDims] }

    /// nil for models without a decoder.
    public static func run(model: EmbeddingModel, training: Dataset, test: Dataset) throws -> ReconstructionReport? {
        guard let rebuilt = model.reconstruct(test.features) else { return nil }
        let pca = try PCA.fit(training.features, components: model.outputDims)
        let pcaRebuilt = pca.inverseTransform(pca.transform(test.features))
        return ReconstructionReport(msePerImage: squaredErrorPerImage(rebuilt, test.features),
                                    pcaMSEPerImage: squaredErrorPerImage(pcaRebuilt, test.features),
                                    codeDims: model.outputDims)
    }
}

extension KNNEvaluation {
    /// The early-stopping figure the trainer asks for: kNN error (k=5, %) of query codes against database codes.
    public static func errorPercent(database: Matrix, databaseLabels: [Int], queries: Matrix, queryLabels: [Int], k: Int = 5) -> Double {
        let hits = FlatIndex(database).search(queries, k: k)
        return KNNVote.errorPercent(neighbours: hits, databaseLabels: databaseLabels, queryLabels: queryLabels, ks: [k])[k]!
    }
}
