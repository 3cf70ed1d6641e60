import VicinityData
import VicinityLearning
import VicinityMath

/// The data one `vicinity plot` run draws from: both splits, loaded when a figure first needs
/// them, and the codes of the first `points` test items, computed once for every figure.
public final class FigureInputs {
    public let model: EmbeddingModel
    /// The model's name in messages (its file).
    let modelName: String
    let dataName: String
    let points: Int
    private let load: () throws -> (train: Dataset, test: Dataset?)
    private var splits: (train: Dataset, test: Dataset)?
    private var testCodes: Matrix?

    /// - Parameter load: reads both splits (a --test-fraction draw needs the whole set) in the model's geometry.
    public init(
        model: EmbeddingModel, modelName: String, dataName: String, points: Int,
        load: @escaping () throws -> (train: Dataset, test: Dataset?)
    ) {
        self.model = model
        self.modelName = modelName
        self.dataName = dataName
        self.points = points
        self.load = load
    }

    public func trainSet() throws -> Dataset { try loaded().train }
    public func testSet() throws -> Dataset { try loaded().test }

    /// Codes of the first `points` test items.
    public func codes() throws -> (codes: Matrix, data: Dataset) {
        let data = try testSet().prefix(points)
        if let testCodes { return (testCodes, data) }
        let codes = model.embed(data.features)
        testCodes = codes
        return (codes, data)
    }

    private func loaded() throws -> (train: Dataset, test: Dataset) {
        if let splits { return splits }
        let read = try load()
        guard read.train.dims == model.inputDims else {
            throw PipelineError(
                "\(modelName): the model takes \(model.inputDims) inputs but the images of \(dataName) have \(read.train.dims) pixels"
            )
        }
        guard let test = read.test else { throw PipelineError("\(dataName) has no test split") }
        splits = (read.train, test)
        return (read.train, test)
    }
}
