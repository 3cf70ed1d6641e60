import VicinityData
import VicinityLearning

/// The test-set figures a model file carries from its training run, so the file says how good it is.
public enum TestFigures {
    /// Records kNN error per k of the test set against the training set (when the objective uses
    /// labels) and, for models with a decoder, reconstruction error beside PCA's of the same size.
    public static func record(
        in model: inout EmbeddingModel, training: Dataset, test: Dataset, knn: Bool,
        dataName: String
    ) throws {
        if knn {
            let report = KNNEvaluation.run(embedding: model, database: training, queries: test, dataName: dataName)
            for (k, e) in report.errorPercent { model.record.figures["test_knn_error_percent_\(k)"] = e }
        }
        if let rec = try ReconstructionReport.run(model: model, training: training, test: test) {
            model.record.figures["test_reconstruction_mse_per_image"] = rec.msePerImage
            model.record.figures["test_pca_mse_per_image"] = rec.pcaMSEPerImage
        }
    }
}
