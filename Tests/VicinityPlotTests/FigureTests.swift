import Foundation
import Testing
import VicinityLearning
import VicinityMath
@testable import VicinityPlot

/// The colour most common in a (2r+1)² window around a pixel, ignoring white and greys of the chart.
func dominantColor(_ c: Canvas, x: Int, y: Int, radius r: Int = 1) -> RGB? {
    var counts: [RGB: Int] = [:]
    for yy in max(0, y - r)...min(c.height - 1, y + r) {
        for xx in max(0, x - r)...min(c.width - 1, x + r) { counts[c[xx, yy], default: 0] += 1 }
    }
    return counts.max { $0.value < $1.value }?.key
}

@Suite struct AxesTests {
    @Test func niceTicksAndRanges() {
        let (ticks, step) = niceTicks(0, 1)
        #expect(step == 0.2 && ticks.count == 6 && abs(ticks[3] - 0.6) < 1e-12 && ticks.last == 1)
        #expect(niceTicks(-13, 27).step == 10)
        #expect(niceRange(-13, 27) == -20...30)
        #expect(niceRange(3, 3) == 2...4)
        #expect(tickLabel(0.4, step: 0.2) == "0.4" && tickLabel(20, step: 10) == "20" && tickLabel(0.05, step: 0.05) == "0.05")
    }

    @Test func mapsDataToPixels() {
        let axes = Axes(frame: PixelRect(x: 100, y: 50, width: 200, height: 100), x: 0...10, y: -1...1)
        #expect(axes.px(0) == 100 && axes.px(10) == 300 && axes.px(5) == 200)
        #expect(axes.py(-1) == 150 && axes.py(1) == 50 && axes.py(0) == 100)
    }
}

@Suite struct FigureTests {
    /// Three tight clusters, one class each, at known places.
    func clusters() -> (points: Matrix, labels: [Int], centres: [(Double, Double)]) {
        let centres: [(Double, Double)] = [(-4, -2), (5, 1), (0, 6)]
        var rng = SeededRNG(seed: 3)
        var storage: [Float] = [], labels: [Int] = []
        for (c, centre) in centres.enumerated() {
            for _ in 0..<60 {
                storage += [Float(centre.0) + 0.05 * (rng.uniform() - 0.5), Float(centre.1) + 0.05 * (rng.uniform() - 0.5)]
                labels.append(c)
            }
        }
        return (Matrix(rows: 180, cols: 2, storage: storage), labels, centres)
    }

    @Test func embeddingMapPutsEachClassColourAtItsPoints() {
        let (points, labels, centres) = clusters()
        let canvas = Figures.embeddingMap(points: points, labels: labels, title: "map")
        #expect(canvas.width == Figures.mapSize.width && canvas.height == Figures.mapSize.height)
        #expect(canvas.distinctColors.count > 10)
        let xs = (0..<points.rows).map { Double(points[$0, 0]) }, ys = (0..<points.rows).map { Double(points[$0, 1]) }
        let axes = ScatterChart.axes(xs: xs, ys: ys, width: canvas.width, height: canvas.height)
        for (c, centre) in centres.enumerated() {
            let x = Int(axes.px(centre.0)), y = Int(axes.py(centre.1))
            #expect(axes.frame.contains(x, y))
            #expect(dominantColor(canvas, x: x, y: y) == Palette.color(c), "class \(c) at (\(x), \(y))")
            // And not some other class's colour anywhere near another cluster's centre.
            let other = centres[(c + 1) % 3]
            #expect(dominantColor(canvas, x: Int(axes.px(other.0)), y: Int(axes.py(other.1))) != Palette.color(c))
        }
        // Three classes present: three legend colours, and a fourth class colour nowhere.
        #expect(canvas.count(of: Palette.color(3)) == 0)
    }

    @Test func precisionRecallDrawsEachCurveThroughItsPoints() {
        let a: [(recall: Double, precision: Double)] = [(0, 1), (0.5, 0.8), (1, 0.1)]
        let b: [(recall: Double, precision: Double)] = [(0, 0.5), (0.5, 0.3), (1, 0.1)]
        let canvas = Figures.precisionRecall([("A", a), ("B", b)], title: "pr")
        #expect(canvas.width == Figures.precisionRecallSize.width && canvas.height == Figures.precisionRecallSize.height)
        let axes = LineChart.axes(x: 0...1, y: 0...1, width: canvas.width, height: canvas.height)
        #expect(dominantColor(canvas, x: Int(axes.px(0.5)), y: Int(axes.py(0.8))) == Palette.color(0))
        #expect(dominantColor(canvas, x: Int(axes.px(0.5)), y: Int(axes.py(0.3))) == Palette.color(1))
        // Midway between points the line is there too: (0.25, 0.4) on B.
        #expect(dominantColor(canvas, x: Int(axes.px(0.25)), y: Int(axes.py(0.4))) == Palette.color(1))
        // Empty region of the frame stays background.
        let empty = canvas[Int(axes.px(0.8)), Int(axes.py(0.9))]
        #expect(empty == .white || empty == .gridGray)
    }

    @Test func reconstructionGridPlacesEachImage() {
        let dims = 16
        let white = Matrix(rows: 3, cols: dims, repeating: 1), black = Matrix(rows: 3, cols: dims, repeating: 0)
        var ramp = Matrix(rows: 3, cols: dims)
        for i in 0..<3 { for j in 0..<dims { ramp[i, j] = Float(j) / Float(dims - 1) } }
        let rows: [(label: String, images: Matrix)] = [("original", white), ("model", black), ("PCA-2", ramp)]
        let canvas = Figures.reconstructions(rows: rows, imageRows: 4, imageCols: 4, title: "r")
        let grid = Figures.gridRows(rows, dims)
        let s = Figures.reconstructionScale
        let size = ImageGrid.size(rows: grid, imageRows: 4, imageCols: 4, scale: s, title: "r")
        #expect(canvas.width == size.width && canvas.height == size.height)
        func origin(_ r: Int, _ c: Int) -> (x: Int, y: Int) {
            ImageGrid.tileOrigin(row: r, column: c, rows: grid, imageRows: 4, imageCols: 4, scale: s, title: "r")
        }
        #expect(canvas[origin(0, 2).x + 1, origin(0, 2).y + 1] == .white)
        #expect(canvas[origin(1, 1).x + 5, origin(1, 1).y + 5] == .black)
        // The ramp: first pixel black, last (bottom-right source pixel) white.
        #expect(canvas[origin(2, 0).x, origin(2, 0).y] == .black)
        #expect(canvas[origin(2, 0).x + 4 * s - 1, origin(2, 0).y + 4 * s - 1] == .white)
        // Labels are drawn left of the first tile, in black.
        let labelArea = (0..<origin(0, 0).x).contains { x in (origin(0, 0).y..<origin(0, 0).y + 4 * s).contains { canvas[x, $0] == .black } }
        #expect(labelArea)
    }

    @Test func filtersShowEachColumnStretched() {
        // 9 inputs (3×3) × 12 units: unit u has its maximum at pixel u % 9 and minimum elsewhere.
        var w = Matrix(rows: 9, cols: 12)
        for u in 0..<12 { for i in 0..<9 { w[i, u] = i == u % 9 ? Float(u + 1) : -Float(u) } }
        let canvas = Figures.filters(weights: w, count: 12, imageRows: 3, imageCols: 3, columns: 5, title: "f")
        let s = Figures.filterScale
        let tiles = (0..<12).map { u in (0..<9).map { UInt8($0 == u % 9 ? 255 : 0) } }
        let grid = [ImageRow(label: "", images: Array(tiles[0..<5])), ImageRow(label: "", images: Array(tiles[5..<10])),
                    ImageRow(label: "", images: Array(tiles[10..<12]))]
        let size = ImageGrid.size(rows: grid, imageRows: 3, imageCols: 3, scale: s, title: "f", subtitle: Figures.filterSubtitle)
        #expect(canvas.width == size.width && canvas.height == size.height)
        for u in [0, 4, 7, 11] {
            let o = ImageGrid.tileOrigin(row: u / 5, column: u % 5, rows: grid, imageRows: 3, imageCols: 3, scale: s, title: "f",
                                         subtitle: Figures.filterSubtitle)
            let hot = u % 9
            #expect(canvas[o.x + (hot % 3) * s, o.y + (hot / 3) * s] == .white, "unit \(u)")
            let cold = (hot + 1) % 9
            #expect(canvas[o.x + (cold % 3) * s, o.y + (cold / 3) * s] == .black, "unit \(u)")
        }
        // count limits the tiles: with 3 units only one row.
        let few = Figures.filters(weights: w, count: 3, imageRows: 3, imageCols: 3, columns: 5, title: "f")
        #expect(few.height < canvas.height)
    }

    @Test func traversalFromATinyDecoder() throws {
        let model = tinyAutoencoder()
        let reference = Matrix(rows: 5, cols: 2, storage: [0, 0, 1, 2, 2, 4, 3, 6, 4, 8])
        let rows = try FigureData.traversalRows(model: model, code: [2, 4], referenceCodes: reference, units: 5, steps: 4)
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
            _ = try FigureData.traversalRows(model: encoderOnly(), code: [0, 0], referenceCodes: reference, units: 1, steps: 3)
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
        let x = Matrix(rows: n, cols: d, storage: (0..<n * d).map { i in Float(labels[i / d]) * 0.8 + 0.2 * rng.uniform() })
        let logistic = tinyAutoencoder(codeActivation: .logistic, inputs: d)
        let learned = try FigureData.precisionRecallCurves(model: logistic, bits: nil, database: x, databaseLabels: labels,
                                                           queries: x.rows(in: 0..<20), queryLabels: Array(labels[0..<20]))
        #expect(learned.learned && learned.curves.count == 3)
        #expect(learned.curves.map { $0.report.bits } == [2, 2, 2])
        #expect(learned.curves[1].name.hasPrefix("LSH") && learned.curves[2].name.hasPrefix("ITQ"))
        let linear = try FigureData.precisionRecallCurves(model: encoderOnly(inputs: d), bits: 3, database: x, databaseLabels: labels,
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
    return EmbeddingModel(network: network, encoderDepth: 1, record: TrainingRecord(recipe: "test", seed: 1, dataFingerprint: "-"))
}

func encoderOnly(inputs: Int = 2) -> EmbeddingModel {
    var w = Matrix(rows: inputs, cols: 2)
    for i in 0..<inputs { w[i, i % 2] = 1 }
    let network = Network(layers: [DenseLayer(weights: w, bias: Matrix(rows: 1, cols: 2), activation: .linear)])
    return EmbeddingModel(network: network, encoderDepth: 1, record: TrainingRecord(recipe: "test", seed: 1, dataFingerprint: "-"))
}
