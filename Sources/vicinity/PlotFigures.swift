import Foundation
import VicinityData
import VicinityLearning
import VicinityPipeline
import VicinityPlot

/// Draws the figures of one `plot` run from its shared inputs: titles, legends and charts.
struct PlotContext {
    let command: Vicinity.Plot
    let inputs: FigureInputs

    var model: EmbeddingModel { inputs.model }
    var name: String { model.name }
    var dataName: String { command.dataOptions.data }

    /// Class names for a legend: the data's or the model's own, else Fashion-MNIST's for ten classes.
    func names(_ data: Dataset, count: Int) -> [String] {
        let own = data.classNames.isEmpty ? (model.architecture.classNames ?? []) : data.classNames
        return own.count >= count ? own : classNames(count: count)
    }

    func figure(_ kind: PlotKind) throws -> Canvas {
        if let g = model.architecture.inputGeometry, g.channels != 1, kind != .map && kind != .pr {
            throw CLIError(
                "\(command.model) takes colour images (\(g)); `plot \(kind.rawValue)` draws grey images only (map and pr work)"
            )
        }
        if Dataset.isDocumentSet(dataName), kind != .map && kind != .pr {
            throw CLIError("\(dataName) is a document set; `plot \(kind.rawValue)` draws images (map and pr work)")
        }
        switch kind {
        case .map: return try embeddingMap()
        case .pr: return try precisionRecall()
        case .reconstructions: return try reconstructions()
        case .filters: return filters()
        case .traversal: return try traversal()
        case .all: preconditionFailure("plot all is expanded into its kinds")
        }
    }

    func embeddingMap() throws -> Canvas {
        let (codes, data) = try inputs.codes()
        let (points, projected) = try FigureData.mapPoints(codes: codes)
        let title =
            projected
            ? "Embedding map: \(name) (PCA of \(codes.cols)-D codes)" : "Embedding map: \(name) (\(codes.cols)-D codes)"
        let classes = (data.labels.max() ?? -1) + 1
        // Document sets have dozens of sections: the largest keep colours, the rest are "other".
        let (labels, classNames) = FigureData.largestClasses(
            labels: data.labels, names: names(data, count: classes), count: 10)
        return Figures.embeddingMap(
            points: points, labels: labels, classNames: classNames, title: title,
            subtitle: "\(data.count) test items of \(dataName), coloured by class",
            xLabel: projected ? "principal component 1" : "code unit 1",
            yLabel: projected ? "principal component 2" : (codes.cols == 1 ? "" : "code unit 2"))
    }

    func precisionRecall() throws -> Canvas {
        if Dataset.isDocumentSet(dataName) { return try documentPrecisionRecall() }
        let train = try inputs.trainSet()
        let queries = try inputs.testSet().prefix(command.queries)
        note("precision-recall: \(queries.count) queries ranking \(train.count) training items…")
        let (curves, learned) = try FigureData.precisionRecallCurves(
            model: model, bits: command.bits, database: train.features, databaseLabels: train.labels,
            queries: queries.features, queryLabels: queries.labels)
        if learned, command.bits != nil, command.bits != model.outputDims {
            note("--bits ignored: the baselines match the model's \(model.outputDims) bits")
        }
        let bits = curves[0].report.bits
        let title =
            learned
            ? "Precision-recall: \(name) vs LSH, ITQ (\(bits) bits)"
            : "Baselines only: \(name) has no binary code"
        // Legend entries carry each method's mAP: "LSH (64 bits), mAP 40.5 %".
        let named = curves.map {
            (
                name: String(format: "%@, mAP %.1f %%", $0.name, $0.report.mapPercent),
                points: FigureData.recallPrecision($0.report)
            )
        }
        return Figures.precisionRecall(
            named, title: title,
            subtitle:
                "\(queries.count) test queries ranking \(train.count) training items; one point per Hamming radius 0-\(bits)"
        )
    }

    /// The seed's document figure: precision at each recall level by cosine, beside TF-IDF and LSA.
    func documentPrecisionRecall() throws -> Canvas {
        let train = try inputs.trainSet(), test = try inputs.testSet()
        let reports = try DocumentRetrieval.withBaselines(
            model, name: name, train: train, test: test, queries: command.queries, baselines: true,
            reporter: ProgressReporter())
        return Figures.precisionAtRecall(
            FigureData.precisionAtRecallCurves(reports), title: "Document retrieval: \(name) vs TF-IDF, LSA",
            subtitle: "\(reports[0].queries) test documents ranking \(train.count) training documents by cosine")
    }

    func reconstructions() throws -> Canvas {
        let shape = FigureData.imageShape(model)
        let train = try inputs.trainSet()
        let test = try inputs.testSet()
        let picked = FigureData.exampleIndices(labels: test.labels, count: command.count ?? 10)
        let rows = try FigureData.reconstructionRows(
            model: model, training: train.features, images: test.features.rows(picked))
        return Figures.reconstructions(
            rows: rows, imageRows: shape.rows, imageCols: shape.cols,
            title: "Reconstructions: \(name) vs PCA-\(min(model.outputDims, train.dims))",
            subtitle: "\(picked.count) test images; PCA fitted on \(train.count) training images")
    }

    func filters() -> Canvas {
        let shape = FigureData.imageShape(model)
        let weights = FigureData.filterWeights(model)
        let what = model.record.recipe == Recipe.psd.rawValue ? "Dictionary atoms" : "First-layer filters"
        return Figures.filters(
            weights: weights, count: command.count ?? 100, imageRows: shape.rows, imageCols: shape.cols,
            title:
                "\(what) of \(name): units 0-\(min(command.count ?? 100, weights.cols) - 1) of \(weights.cols)"
        )
    }

    func traversal() throws -> Canvas {
        let shape = FigureData.imageShape(model)
        let (codes, data) = try inputs.codes()
        let index = command.index
        guard index < data.count else {
            throw CLIError("--index \(index): only \(data.count) test items are loaded (see --points)")
        }
        let rows = try FigureData.traversalRows(
            model: model, code: codes.row(index), referenceCodes: codes,
            units: command.units, steps: command.steps)
        let label = names(data, count: (data.labels.max() ?? -1) + 1)[safe: data.labels[index]] ?? "unlabelled"
        return Figures.traversal(
            rows: rows, imageRows: shape.rows, imageCols: shape.cols,
            title: "Code-unit traversal: \(name)",
            subtitle:
                "test image \(index) (\(label)); each row sweeps one unit from its 1st to 99th percentile over \(codes.rows) test codes"
        )
    }
}

private extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
