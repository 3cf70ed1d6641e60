import Foundation
import VicinityCodes
import VicinityHashers
import VicinityLearning
import VicinityMath

/// A figure that cannot be drawn from what it was given; the message names what was wrong.
public struct PlotError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Turns a model and data into the plain inputs of `Figures`.
public enum FigureData {
    /// Image shape for a model's inputs: the architecture's when it records one that fits, else a square, else one row.
    public static func imageShape(_ model: EmbeddingModel) -> (rows: Int, cols: Int) {
        imageShape(rows: model.architecture.imageRows, cols: model.architecture.imageCols, dims: model.inputDims)
    }

    public static func imageShape(rows: Int, cols: Int, dims: Int) -> (rows: Int, cols: Int) {
        if rows > 0 && cols > 0 && rows * cols == dims { return (rows, cols) }
        let s = Int(Double(dims).squareRoot().rounded())
        return s * s == dims ? (s, s) : (1, dims)
    }

    /// Whether the model makes learned bits: a binary head, or a logistic code layer thresholded at 0.5.
    public static func hasLearnedBits(_ model: EmbeddingModel) -> Bool {
        ItemEncoder(model: model, bits: .auto).bits > 0
    }

    /// a) 2-D positions of codes (N×k): the codes themselves when k = 2, their first two principal
    /// components when k > 2 (`projected` true), and (code, 0) when k = 1.
    public static func mapPoints(codes: Matrix) throws -> (points: Matrix, projected: Bool) {
        switch codes.cols {
        case 2: return (codes, false)
        case 1:
            var points = Matrix(rows: codes.rows, cols: 2)
            for i in 0..<codes.rows { points[i, 0] = codes[i, 0] }
            return (points, false)
        default:
            guard codes.rows >= 2 else {
                throw PlotError("an embedding map of \(codes.cols)-D codes needs at least 2 points for PCA")
            }
            return (try PCA.fit(codes, components: 2).transform(codes), true)
        }
    }

    /// b) Precision–recall curves (by Hamming radius, recall, precision) of binary codes: the model's own
    /// (binary head or logistic code layer thresholded at 0.5, as a store keeps them) when it has them, and the LSH and ITQ
    /// baselines of the same bit count fitted on the database. `bits` applies when the model has no binary code.
    public static func precisionRecallCurves(
        model: EmbeddingModel?, bits requested: Int?, database: Matrix, databaseLabels: [Int],
        queries: Matrix, queryLabels: [Int]
    ) throws
        -> (curves: [(name: String, report: HammingReport)], learned: Bool)
    {
        let learned = model.map(hasLearnedBits) ?? false
        let bits = learned ? ItemEncoder(model: model!, bits: .auto).bits : (requested ?? model?.outputDims ?? 32)
        guard bits >= 1 && bits <= 1024 else { throw PlotError("--bits must be in 1...1024, got \(bits)") }
        func evaluate(_ db: BinaryCodes, _ q: BinaryCodes) -> HammingReport {
            HammingEvaluation.run(database: db, databaseLabels: databaseLabels, queries: q, queryLabels: queryLabels)
        }
        var curves: [(name: String, report: HammingReport)] = []
        if learned, let model {
            let encoder = ItemEncoder(model: model, bits: .auto)
            curves.append(
                ("\(model.name) (\(bits) bits)", evaluate(encoder.encode(database).bits, encoder.encode(queries).bits)))
        }
        let lsh = try RandomHyperplaneLSH.fit(database, bits: bits, seed: 1)
        curves.append(
            (
                "LSH (\(bits) bits)",
                evaluate(
                    BinaryCodes(thresholding: lsh.project(database), at: 0),
                    BinaryCodes(thresholding: lsh.project(queries), at: 0))
            ))
        if bits <= database.cols {
            let itq = try ITQ.fit(database, bits: bits, seed: 1).hasher
            curves.append(
                (
                    "ITQ (\(bits) bits)",
                    evaluate(
                        BinaryCodes(thresholding: itq.project(database), at: 0),
                        BinaryCodes(thresholding: itq.project(queries), at: 0))
                ))
        }
        return (curves, learned)
    }

    /// The curve of a report as (recall, precision) points, radius 0 first.
    public static func recallPrecision(_ report: HammingReport) -> [(recall: Double, precision: Double)] {
        report.curve.map { (recall: $0.recall, precision: $0.precision) }
    }

    /// Document retrieval reports as curves (precision in [0, 1] at each recall level), mAP in each name.
    public static func precisionAtRecallCurves(_ reports: [RetrievalReport]) -> [(
        name: String, points: [(recall: Double, precision: Double)]
    )] {
        reports.map { r in
            (
                name: String(format: "%@ (%d-D), mAP %.1f %%", r.name, r.dims, r.mapPercent),
                points: zip(RetrievalReport.recallPoints, r.precisionPercent).map { (recall: $0, precision: $1 / 100) }
            )
        }
    }

    /// Labels for a map legend that stays readable: the `count` most frequent classes keep a colour
    /// each (numbered 0… by frequency), every other item becomes one "other" class after them.
    /// Unchanged when there are at most `count + 1` classes.
    public static func largestClasses(labels: [Int], names: [String], count: Int) -> (labels: [Int], names: [String]) {
        var tally: [Int: Int] = [:]
        for l in labels where l >= 0 { tally[l, default: 0] += 1 }
        guard tally.count > count + 1 else { return (labels, names) }
        let top = tally.keys.sorted { (tally[$0]!, -$0) > (tally[$1]!, -$1) }.prefix(count)
        let rank = Dictionary(uniqueKeysWithValues: top.enumerated().map { ($1, $0) })
        let kept = top.map { $0 < names.count ? names[$0] : String($0) }
        return (
            labels.map { $0 < 0 ? $0 : rank[$0] ?? count },
            kept + ["other (\(tally.count - count) classes)"]
        )
    }

    /// Up to `count` example rows: the first item of each class in class order, then the next unused items.
    public static func exampleIndices(labels: [Int], count: Int) -> [Int] {
        var chosen: [Int] = [], seen = Set<Int>()
        for (i, l) in labels.enumerated() where chosen.count < count && !seen.contains(l) {
            seen.insert(l)
            chosen.append(i)
        }
        chosen.sort { labels[$0] < labels[$1] }
        let taken = Set(chosen)
        for i in labels.indices where chosen.count < count && !taken.contains(i) { chosen.append(i) }
        return chosen
    }

    /// c) Rows of originals, the model's reconstructions and PCA reconstructions with as many components as
    /// the model's code, PCA fitted on `training`.
    public static func reconstructionRows(model: EmbeddingModel, training: Matrix, images: Matrix) throws
        -> [(label: String, images: Matrix)]
    {
        guard let decoded = model.reconstruct(images) else { throw noDecoder(model, "reconstructions") }
        let k = min(model.outputDims, training.cols)
        let pca = try PCA.fit(training, components: k)
        let pcaImages = pca.inverseTransform(pca.transform(images))
        return [("original", images), ("\(model.name)", decoded), ("PCA-\(k)", pcaImages)]
    }

    /// d) The first-layer weights (for PSD, the dictionary), inputs × units.
    public static func filterWeights(_ model: EmbeddingModel) -> Matrix {
        // PSD's dictionary atoms are what it learned to build images from; its encoder only predicts codes.
        model.record.recipe == Recipe.psd.rawValue
            ? PSD.dictionary(model.network).transposed : model.network.layers[0].weights
    }

    /// e) One row per code unit 0..<units: `code` with that unit swept over `steps` values from its 1st to its
    /// 99th percentile over `referenceCodes`, decoded.
    public static func traversalRows(
        model: EmbeddingModel, code: [Float], referenceCodes: Matrix, units: Int, steps: Int
    ) throws
        -> [(label: String, images: Matrix)]
    {
        guard model.architecture.hasDecoder else { throw noDecoder(model, "traversal") }
        guard code.count == model.outputDims, referenceCodes.cols == model.outputDims, referenceCodes.rows >= 1 else {
            throw PlotError("traversal: codes must have \(model.outputDims) values")
        }
        let steps = max(steps, 2)
        var rows: [(label: String, images: Matrix)] = []
        for unit in 0..<min(max(units, 1), model.outputDims) {
            let values = (0..<referenceCodes.rows).map { referenceCodes[$0, unit] }.sorted()
            let lo = percentile(values, 0.01), hi = percentile(values, 0.99)
            var codes = Matrix(rows: steps, cols: code.count)
            for s in 0..<steps {
                for j in code.indices { codes[s, j] = code[j] }
                codes[s, unit] = lo + (hi - lo) * Float(s) / Float(steps - 1)
            }
            guard let decoded = model.decode(codes) else { throw noDecoder(model, "traversal") }
            rows.append((String(format: "unit %d  %.2f..%.2f", unit, lo, hi), decoded))
        }
        return rows
    }

    /// Linear interpolation between order statistics of sorted values.
    public static func percentile(_ sorted: [Float], _ p: Double) -> Float {
        guard !sorted.isEmpty else { return 0 }
        let position = p * Double(sorted.count - 1)
        let i = Int(position.rounded(.down)), f = Float(position - Double(i))
        return i + 1 < sorted.count ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i]
    }

    /// "NAME (784-500-30, encoder only)" for messages.
    public static func describe(_ model: EmbeddingModel) -> String {
        "\(model.name) (\(model.architecture.sizes.map(String.init).joined(separator: "-")), \(model.architecture.hasDecoder ? "with decoder" : "encoder only"))"
    }

    static func noDecoder(_ model: EmbeddingModel, _ figure: String) -> PlotError {
        PlotError(
            "\(describe(model)) has no decoder, so it cannot draw \(figure); use a model trained with a reconstruction recipe (autoencoder, deep-autoencoder, nca-regularised)"
        )
    }
}
