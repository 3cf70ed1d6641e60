import ArgumentParser
import Foundation
import VicinityData
import VicinityPipeline
import VicinityLearning

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

        @Option(
            name: .customLong("out-dir"),
            help: ArgumentHelp("Folder for `all` (and the default of --out).", valueName: "dir"))
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
            if kind == .all && out != nil {
                throw ValidationError("plot all writes one file per kind into --out-dir; --out names a single file")
            }
            if let out, !out.lowercased().hasSuffix(".png") {
                throw ValidationError("--out must name a .png file, got '\(out)'")
            }
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
                throw CLIError(
                    "\(model): \(FigureData.describe(embedding)) has no decoder, so `plot \(kind.rawValue)` cannot draw it; use a model trained with a reconstruction recipe (autoencoder, deep-autoencoder, nca-regularised)"
                )
            }
            let inputs = FigureInputs(model: embedding, modelName: model, dataName: dataOptions.data, points: points) {
                let splits = try dataOptions.splits(model: embedding.architecture.inputGeometry)
                return (splits.train, splits.test)
            }
            let context = PlotContext(command: self, inputs: inputs)
            for k in kinds {
                if k.needsDecoder && !embedding.architecture.hasDecoder {
                    note("skipping \(k.rawValue): \(model) has no decoder")
                    continue
                }
                if kind == .all, k != .map && k != .pr, Dataset.isDocumentSet(dataOptions.data) {
                    note("skipping \(k.rawValue): \(dataOptions.data) is a document set and this figure draws images")
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
