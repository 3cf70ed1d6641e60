import Foundation
import Testing
import VicinityLearning
import VicinityMath
import VicinityPipeline
import VicinityPlot

/// The data behind the figures: traversals, map points, precision–recall curves.
@Suite struct FigureDataTests {
    @Test func largestClassesKeepTheirColoursTheRestBecomeOther() {
        let labels = [3, 3, 3, 1, 1, 0, 2, -1, 4, 4]
        let names = ["a", "b", "c", "d", "e"]
        let (mapped, kept) = FigureData.largestClasses(labels: labels, names: names, count: 2)
        // d (3 items), then b (2, tied with e: the lower label wins) → 0, 1; the rest → 2.
        #expect(kept == ["d", "b", "other (3 classes)"])
        #expect(mapped == [0, 0, 0, 1, 1, 2, 2, -1, 2, 2])
        let few = FigureData.largestClasses(labels: labels, names: names, count: 4)
        #expect(few.labels == labels && few.names == names)
    }

    @Test func traversalFromATinyDecoder() throws {
        let model = tinyAutoencoder()
        let reference = Matrix(rows: 5, cols: 2, storage: [0, 0, 1, 2, 2, 4, 3, 6, 4, 8])
        let rows = try FigureData.traversalRows(
            model: model, code: [2, 4], referenceCodes: reference, units: 5, steps: 4)
        #expect(rows.count == 2)  // only two code units
        #expect(rows.allSatisfy { $0.images.rows == 4 && $0.images.cols == 4 })
        // Unit 0 sweeps 0.04…3.96 while unit 1 stays 4: decoded pixel 0 follows unit 0 through the logistic.
        let first = rows[0].images
        #expect(first[0, 0] < first[3, 0])
        #expect(abs(first[0, 0] - 1 / (1 + exp(-(0.04 + 0)))) < 1e-3)
        #expect(abs(first[1, 1] - 1 / (1 + exp(-4))) < 1e-4)  // pixel 1 reads unit 1 only
        let canvas = Figures.traversal(rows: rows, imageRows: 2, imageCols: 2, title: "t")
        #expect(canvas.distinctColors.count > 3)
        #expect(throws: PlotError.self) {
            _ = try FigureData.traversalRows(
                model: encoderOnly(), code: [0, 0], referenceCodes: reference, units: 1, steps: 3)
        }
        #expect(throws: PlotError.self) {
            _ = try FigureData.reconstructionRows(model: encoderOnly(), training: reference, images: reference)
        }
    }

    @Test func mapPointsProjectWideCodes() throws {
        // 3-D codes on a line along (1, 1, 0): the first principal component captures it all.
        let codes = Matrix(rows: 4, cols: 3, storage: [0, 0, 0, 1, 1, 0, 2, 2, 0, 3, 3, 0])
        let (points, projected) = try FigureData.mapPoints(codes: codes)
        #expect(projected && points.rows == 4 && points.cols == 2)
        #expect(abs(abs(points[3, 0] - points[0, 0]) - 3 * Float(2).squareRoot()) < 1e-4)
        #expect((0..<4).allSatisfy { abs(points[$0, 1]) < 1e-4 })
        let flat = Matrix(rows: 2, cols: 2, storage: [1, 2, 3, 4])
        #expect(try FigureData.mapPoints(codes: flat).points == flat)
    }

    @Test func helpers() {
        #expect(FigureData.percentile([0, 10, 20, 30, 40], 0.5) == 20)
        #expect(abs(FigureData.percentile([0, 10, 20, 30, 40], 0.01) - 0.4) < 1e-5)
        #expect(FigureData.exampleIndices(labels: [2, 2, 0, 1, 0, 1], count: 4) == [2, 3, 0, 1])
        #expect(FigureData.imageShape(rows: 0, cols: 0, dims: 784) == (28, 28))
        #expect(FigureData.imageShape(rows: 0, cols: 0, dims: 12) == (1, 12))
        #expect(FigureData.imageShape(rows: 2, cols: 6, dims: 12) == (2, 6))
    }

    @Test func precisionRecallCurvesOfLearnedAndBaselineCodes() throws {
        var rng = SeededRNG(seed: 9)
        let n = 200, d = 4
        let labels = (0..<n).map { $0 % 2 }
        let x = Matrix(
            rows: n, cols: d, storage: (0..<n * d).map { i in Float(labels[i / d]) * 0.8 + 0.2 * rng.uniform() })
        let logistic = tinyAutoencoder(codeActivation: .logistic, inputs: d)
        let learned = try FigureData.precisionRecallCurves(
            model: logistic, bits: nil, database: x, databaseLabels: labels,
            queries: x.rows(in: 0..<20), queryLabels: Array(labels[0..<20]))
        #expect(learned.learned && learned.curves.count == 3)
        #expect(learned.curves.map { $0.report.bits } == [2, 2, 2])
        #expect(learned.curves[1].name.hasPrefix("LSH") && learned.curves[2].name.hasPrefix("ITQ"))
        let linear = try FigureData.precisionRecallCurves(
            model: encoderOnly(inputs: d), bits: 3, database: x, databaseLabels: labels,
            queries: x.rows(in: 0..<20), queryLabels: Array(labels[0..<20]))
        #expect(!linear.learned && linear.curves.count == 2 && linear.curves[0].report.bits == 3)
        // At the full radius every item is in the ball: recall 1, precision = class share 1/2.
        let last = FigureData.recallPrecision(linear.curves[0].report).last!
        #expect(abs(last.recall - 1) < 1e-9 && abs(last.precision - 0.5) < 1e-9)
    }
}

/// inputs → 2 code units → 4 logistic outputs; output pixel p reads code unit p % 2 with weight 1.
func tinyAutoencoder(codeActivation: Activation = .linear, inputs: Int = 4) -> EmbeddingModel {
    var we = Matrix(rows: inputs, cols: 2)
    for i in 0..<inputs { we[i, i % 2] = 1 }
    var wd = Matrix(rows: 2, cols: 4)
    for p in 0..<4 { wd[p % 2, p] = 1 }
    let network = Network(layers: [
        DenseLayer(weights: we, bias: Matrix(rows: 1, cols: 2), activation: codeActivation),
        DenseLayer(weights: wd, bias: Matrix(rows: 1, cols: 4), activation: .logistic),
    ])
    return EmbeddingModel(
        network: network, encoderDepth: 1, record: TrainingRecord(recipe: "test", seed: 1, dataFingerprint: "-"))
}

func encoderOnly(inputs: Int = 2) -> EmbeddingModel {
    var w = Matrix(rows: inputs, cols: 2)
    for i in 0..<inputs { w[i, i % 2] = 1 }
    let network = Network(layers: [DenseLayer(weights: w, bias: Matrix(rows: 1, cols: 2), activation: .linear)])
    return EmbeddingModel(
        network: network, encoderDepth: 1, record: TrainingRecord(recipe: "test", seed: 1, dataFingerprint: "-"))
}
