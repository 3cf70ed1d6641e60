import ArgumentParser
import Foundation
import VicinityPipeline
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityPlot

/// The figures `vicinity plot` draws.
enum PlotKind: String, CaseIterable, ExpressibleByArgument {
    case map, pr, reconstructions, filters, traversal, all

    static let figures: [PlotKind] = [.map, .pr, .reconstructions, .filters, .traversal]
    var needsDecoder: Bool { self == .reconstructions || self == .traversal }
}

extension Vicinity {
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw embedding maps, precision-recall curves, reconstructions and filters as PNG files.",
            discussion: """
            Kinds (PNG, RGB, drawn by Vicinity's own rasteriser):
              map              test items' codes in 2-D, coloured by class (first two principal components
                               when the code has more than 2 dimensions); 960×720
              pr               precision-recall by Hamming radius over the training set for the first --queries
                               test images: the model's bits (logistic code layer, threshold 0.5) against LSH and
                               ITQ of the same bit count; baselines only for other models; 800×600
              reconstructions  test images, the model's reconstructions and PCA's with as many components as the
                               code (PCA fitted on the training set); models with a decoder
              filters          the first --count (100) first-layer units as images, 10 to a row
              traversal        decoded images as one code unit at a time sweeps its 1st-99th percentile over the
                               test codes, the rest held at a test image's code; models with a decoder
              all              every kind that applies to the model into --out-dir (others are skipped with a note)
            Each written file is printed with its size in pixels.
            """)

        @Argument(help: ArgumentHelp("map, pr, reconstructions, filters, traversal, or all.", valueName: "kind"))
        var kind: PlotKind

        @Option(help: ArgumentHelp("A model file, e.g. models/default.safetensors.", valueName: "model"))
        var model: String

        @OptionGroup var dataOptions: DataOptions

        @Option(help: ArgumentHelp("The PNG to write (one kind; default: OUT-DIR/KIND.png).", valueName: "file.png"))
        var out: String?

        @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for `all` (and the default of --out).", valueName: "dir"))
        var outDir = "out/plots"

        @Option(help: "Test items on the embedding map (and the codes whose percentiles the traversal sweeps).")
        var points = 5000

        @Option(help: "Test queries for the precision-recall curves (each ranks the whole training set).")
        var queries = 1000

        @Option(help: "Bits of the LSH and ITQ baselines when the model has no binary code (default: its code size).")
        var bits: Int?

        @Option(help: "Images in reconstructions (default 10) or filters in the grid (default 100).")
        var count: Int?

        @Option(help: "Code units in the traversal, one row each.")
        var units = 8

        @Option(help: "Steps per unit in the traversal.")
        var steps = 9

        @Option(help: "The test image whose code the traversal starts from.")
        var index = 0

        func validate() throws {
            if kind == .all && out != nil { throw ValidationError("plot all writes one file per kind into --out-dir; --out names a single file") }
            if let out, !out.lowercased().hasSuffix(".png") { throw ValidationError("--out must name a .png file, got '\(out)'") }
            guard points >= 2 else { throw ValidationError("--points must be at least 2") }
            guard queries >= 1 else { throw ValidationError("--queries must be at least 1") }
            if let bits { guard bits >= 1 && bits <= 1024 else { throw ValidationError("--bits must be in 1...1024") } }
            if let count { guard count >= 1 else { throw ValidationError("--count must be at least 1") } }
            guard units >= 1 else { throw ValidationError("--units must be at least 1") }
            guard steps >= 2 else { throw ValidationError("--steps must be at least 2") }
            guard index >= 0 else { throw ValidationError("--index must not be negative") }
        }

        func run() throws {
            guard FileManager.default.fileExists(atPath: model) else {
                throw CLIError("--model \(model): no such model file")
            }
            let embedding = try EmbeddingModel.load(from: model)
            let kinds = kind == .all ? PlotKind.figures : [kind]
            if kind != .all && kind.needsDecoder && !embedding.architecture.hasDecoder {
                throw CLIError("\(model): \(FigureData.describe(embedding)) has no decoder, so `plot \(kind.rawValue)` cannot draw it; use a model trained with a reconstruction recipe (autoencoder, deep-autoencoder, nca-regularised)")
            }
            var context = PlotContext(command: self, model: embedding)
            for k in kinds {
                if k.needsDecoder && !embedding.architecture.hasDecoder {
                    note("skipping \(k.rawValue): \(model) has no decoder")
                    continue
                }
                if kind == .all, k != .map && k != .pr, let g = embedding.architecture.inputGeometry, g.channels != 1 {
                    note("skipping \(k.rawValue): \(model) takes colour images (\(g)) and this figure draws grey ones")
                    continue
                }
                let start = Date()
                let canvas = try context.figure(k)
                let path = out ?? URL(fileURLWithPath: outDir).appendingPathComponent("\(k.rawValue).png").path
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try canvas.save(to: path)
                print("\(path) \(canvas.width)×\(canvas.height)")
                note(String(format: "%@ took %.1f s", k.rawValue, Date().timeIntervalSince(start)))
            }
        }
    }
}

/// Data loaded once and shared by the figures of one `plot` run.
private struct PlotContext {
    let command: Vicinity.Plot
    let model: EmbeddingModel
    var test: Dataset?
    var train: Dataset?
    var testCodes: Matrix?

    init(command: Vicinity.Plot, model: EmbeddingModel) {
        self.command = command
        self.model = model
    }

    mutating func testSet() throws -> Dataset {
        if let test { return test }
        try loadSplits()
        return test!
    }

    mutating func trainSet() throws -> Dataset {
        if let train { return train }
        try loadSplits()
        return train!
    }

    /// Both splits at once (a --test-fraction draw needs the whole set), brought to the model's geometry.
    mutating func loadSplits() throws {
        let splits = try command.dataOptions.splits(model: model.architecture.inputGeometry)
        guard splits.train.dims == model.inputDims else {
            throw CLIError("\(command.model): the model takes \(model.inputDims) inputs but the images of \(command.dataOptions.data) have \(splits.train.dims) pixels")
        }
        (train, test) = (splits.train, splits.test)
    }

    /// Codes of the first --points test items, computed once.
    mutating func codes() throws -> (codes: Matrix, data: Dataset) {
        let data = try testSet().prefix(command.points)
        if let testCodes { return (testCodes, data) }
        let codes = model.embed(data.features)
        testCodes = codes
        return (codes, data)
    }

    var name: String { model.name }

    /// Class names for a legend: the data's or the model's own, else Fashion-MNIST's for ten classes.
    func names(_ data: Dataset, count: Int) -> [String] {
        let own = data.classNames.isEmpty ? (model.architecture.classNames ?? []) : data.classNames
        return own.count >= count ? own : classNames(count: count)
    }
    var dataName: String { command.dataOptions.data }

    mutating func figure(_ kind: PlotKind) throws -> Canvas {
        let shape = FigureData.imageShape(model)
        if let g = model.architecture.inputGeometry, g.channels != 1, kind != .map && kind != .pr {
            throw CLIError("\(command.model) takes colour images (\(g)); `plot \(kind.rawValue)` draws grey images only (map and pr work)")
        }
        switch kind {
        case .map:
            let (codes, data) = try codes()
            let (points, projected) = try FigureData.mapPoints(codes: codes)
            let title = projected ? "Embedding map: \(name) (PCA of \(codes.cols)-D codes)" : "Embedding map: \(name) (\(codes.cols)-D codes)"
            let classes = (data.labels.max() ?? -1) + 1
            return Figures.embeddingMap(points: points, labels: data.labels, classNames: names(data, count: classes), title: title,
                                        subtitle: "\(data.count) test items of \(dataName), coloured by class",
                                        xLabel: projected ? "principal component 1" : "code unit 1",
                                        yLabel: projected ? "principal component 2" : (codes.cols == 1 ? "" : "code unit 2"))
        case .pr:
            let train = try trainSet()
            let queries = try testSet().prefix(command.queries)
            note("precision-recall: \(queries.count) queries ranking \(train.count) training items…")
            let (curves, learned) = try FigureData.precisionRecallCurves(
                model: model, bits: command.bits, database: train.features, databaseLabels: train.labels,
                queries: queries.features, queryLabels: queries.labels)
            if learned, command.bits != nil, command.bits != model.outputDims {
                note("--bits ignored: the baselines match the model's \(model.outputDims) bits")
            }
            let bits = curves[0].report.bits
            let title = learned ? "Precision-recall: \(name) vs LSH, ITQ (\(bits) bits)"
                                : "Baselines only: \(name) has no binary code"
            // Legend entries carry each method's mAP: "LSH (64 bits), mAP 40.5 %".
            let named = curves.map { (name: String(format: "%@, mAP %.1f %%", $0.name, $0.report.mapPercent),
                                      points: FigureData.recallPrecision($0.report)) }
            return Figures.precisionRecall(named, title: title,
                                           subtitle: "\(queries.count) test queries ranking \(train.count) training items; one point per Hamming radius 0-\(bits)")
        case .reconstructions:
            let train = try trainSet()
            let test = try testSet()
            let picked = FigureData.exampleIndices(labels: test.labels, count: command.count ?? 10)
            let rows = try FigureData.reconstructionRows(model: model, training: train.features, images: test.features.rows(picked))
            return Figures.reconstructions(rows: rows, imageRows: shape.rows, imageCols: shape.cols,
                                           title: "Reconstructions: \(name) vs PCA-\(min(model.outputDims, train.dims))",
                                           subtitle: "\(picked.count) test images; PCA fitted on \(train.count) training images")
        case .filters:
            let weights = FigureData.filterWeights(model)
            return Figures.filters(weights: weights, count: command.count ?? 100, imageRows: shape.rows, imageCols: shape.cols,
                                   title: "First-layer filters of \(name): units 0-\(min(command.count ?? 100, weights.cols) - 1) of \(weights.cols)")
        case .traversal:
            let (codes, data) = try codes()
            guard command.index < data.count else {
                throw CLIError("--index \(command.index): only \(data.count) test items are loaded (see --points)")
            }
            let rows = try FigureData.traversalRows(model: model, code: codes.row(command.index), referenceCodes: codes,
                                                    units: command.units, steps: command.steps)
            return Figures.traversal(rows: rows, imageRows: shape.rows, imageCols: shape.cols,
                                     title: "Code-unit traversal: \(name)",
                                     subtitle: "test image \(command.index) (\(names(data, count: (data.labels.max() ?? -1) + 1)[safe: data.labels[command.index]] ?? "unlabelled")); each row sweeps one unit from its 1st to 99th percentile over \(codes.rows) test codes")
        case .all:
            preconditionFailure("plot all is expanded into its kinds")
        }
    }
}

private extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
