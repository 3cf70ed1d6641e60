import Foundation
import Testing
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
        #expect(
            tickLabel(0.4, step: 0.2) == "0.4" && tickLabel(20, step: 10) == "20"
                && tickLabel(0.05, step: 0.05) == "0.05")
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
                storage += [
                    Float(centre.0) + 0.05 * (rng.uniform() - 0.5), Float(centre.1) + 0.05 * (rng.uniform() - 0.5),
                ]
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
        #expect(
            canvas.width == Figures.precisionRecallSize.width && canvas.height == Figures.precisionRecallSize.height)
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
        let labelArea = (0..<origin(0, 0).x).contains { x in
            (origin(0, 0).y..<origin(0, 0).y + 4 * s).contains { canvas[x, $0] == .black }
        }
        #expect(labelArea)
    }

    @Test func filtersShowEachColumnStretched() {
        // 9 inputs (3×3) × 12 units: unit u has its maximum at pixel u % 9 and minimum elsewhere.
        var w = Matrix(rows: 9, cols: 12)
        for u in 0..<12 { for i in 0..<9 { w[i, u] = i == u % 9 ? Float(u + 1) : -Float(u) } }
        let canvas = Figures.filters(weights: w, count: 12, imageRows: 3, imageCols: 3, columns: 5, title: "f")
        let s = Figures.filterScale
        let tiles = (0..<12).map { u in (0..<9).map { UInt8($0 == u % 9 ? 255 : 0) } }
        let grid = [
            ImageRow(label: "", images: Array(tiles[0..<5])), ImageRow(label: "", images: Array(tiles[5..<10])),
            ImageRow(label: "", images: Array(tiles[10..<12])),
        ]
        let size = ImageGrid.size(
            rows: grid, imageRows: 3, imageCols: 3, scale: s, title: "f", subtitle: Figures.filterSubtitle)
        #expect(canvas.width == size.width && canvas.height == size.height)
        for u in [0, 4, 7, 11] {
            let o = ImageGrid.tileOrigin(
                row: u / 5, column: u % 5, rows: grid, imageRows: 3, imageCols: 3, scale: s, title: "f",
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
}
