import Foundation
import VicinityMath

/// The five figures of `vicinity plot`, each from plain data to a canvas.
public enum Figures {
    public static let mapSize = (width: 960, height: 720)
    public static let precisionRecallSize = (width: 800, height: 600)
    /// Pixels per image pixel in the image grids.
    public static let reconstructionScale = 3
    public static let filterScale = 2
    public static let traversalScale = 3
    public static let filterColumns = 10
    public static let filterSubtitle = "each filter stretched to its own min (black) and max (white)"

    /// a) Embedding map: one dot per item at its 2-D position (`points` is N×2), coloured by class,
    /// with a legend naming the classes present (`names`: Fashion-MNIST's for ten classes by default).
    public static func embeddingMap(
        points: Matrix, labels: [Int], classNames names: [String]? = nil,
        title: String, subtitle: String? = nil,
        xLabel: String = "dimension 1", yLabel: String = "dimension 2"
    ) -> Canvas {
        precondition(points.cols == 2, "embeddingMap needs N×2 points, got \(points.rows)×\(points.cols)")
        let classes = (labels.max() ?? -1) + 1
        let xs = (0..<points.rows).map { Double(points[$0, 0]) }
        let ys = (0..<points.rows).map { Double(points[$0, 1]) }
        return ScatterChart.draw(
            xs: xs, ys: ys, classes: labels, classNames: names ?? classNames(count: classes),
            title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel,
            width: mapSize.width, height: mapSize.height, radius: points.rows > 20_000 ? 1.5 : 2.5)
    }

    /// b) Precision–recall curves: recall on x, precision on y, both 0–1; one line per method.
    public static func precisionRecall(
        _ curves: [(name: String, points: [(recall: Double, precision: Double)])],
        title: String, subtitle: String? = nil
    ) -> Canvas {
        let series = curves.enumerated().map { i, c in
            Series(name: c.name, points: c.points.map { (x: $0.recall, y: $0.precision) }, color: Palette.color(i))
        }
        return LineChart.draw(
            series, x: 0...1, y: 0...1, title: title, subtitle: subtitle, xLabel: "recall",
            yLabel: "precision", width: precisionRecallSize.width, height: precisionRecallSize.height)
    }

    /// b') Document retrieval as the seed draws it: precision against recall on a log axis, one
    /// point per recall level (fractions in (0, 1]).
    public static func precisionAtRecall(
        _ curves: [(name: String, points: [(recall: Double, precision: Double)])],
        title: String, subtitle: String? = nil
    ) -> Canvas {
        let levels = Array(Set(curves.flatMap { $0.points.map(\.recall) })).filter { $0 > 0 }.sorted()
        let series = curves.enumerated().map { i, c in
            Series(
                name: c.name, points: c.points.filter { $0.recall > 0 }.map { (x: log10($0.recall), y: $0.precision) },
                color: Palette.color(i))
        }
        let lo = log10(levels.first ?? 0.001), hi = log10(levels.last ?? 1)
        let ticks = levels.map { level in
            let percent = 100 * level
            let format = percent.rounded() == percent ? "%.0f %%" : "%.1f %%"
            return (value: log10(level), label: String(format: format, percent))
        }
        return LineChart.draw(
            series, x: (lo - 0.1)...(hi + 0.1), y: 0...1, title: title, subtitle: subtitle,
            xLabel: "recall (log scale)", yLabel: "precision", width: precisionRecallSize.width,
            height: precisionRecallSize.height, xTicks: ticks)
    }

    /// c) Reconstructions: each row is a label and images (rows of a matrix, values in [0, 1]) side by side,
    /// e.g. originals, the model's reconstructions and PCA's.
    public static func reconstructions(
        rows: [(label: String, images: Matrix)], imageRows: Int, imageCols: Int,
        title: String, subtitle: String? = nil
    ) -> Canvas {
        ImageGrid.draw(
            rows: gridRows(rows, imageRows * imageCols), imageRows: imageRows, imageCols: imageCols,
            scale: reconstructionScale, title: title, subtitle: subtitle)
    }

    /// d) First-layer filters: the first `count` columns of `weights` (inputs × units), each reshaped to an image
    /// and stretched to its own minimum (black) and maximum (white), `columns` to a row.
    public static func filters(
        weights: Matrix, count: Int, imageRows: Int, imageCols: Int, columns: Int = filterColumns,
        title: String? = nil
    ) -> Canvas {
        precondition(
            weights.rows == imageRows * imageCols, "filters: \(weights.rows) inputs is not \(imageRows)×\(imageCols)")
        let n = min(max(count, 1), weights.cols)
        let tiles: [[UInt8]] = (0..<n).map { unit in grayBytesMinMax((0..<weights.rows).map { weights[$0, unit] }) }
        let perRow = max(1, min(columns, n))
        let rows = stride(from: 0, to: n, by: perRow).map { start in
            ImageRow(label: "", images: Array(tiles[start..<min(start + perRow, n)]))
        }
        return ImageGrid.draw(
            rows: rows, imageRows: imageRows, imageCols: imageCols, scale: filterScale,
            title: title ?? "First-layer filters: units 0-\(n - 1) of \(weights.cols)",
            subtitle: filterSubtitle)
    }

    /// e) Code-unit traversal: one labelled row per unit, images decoded while that unit sweeps its range.
    public static func traversal(
        rows: [(label: String, images: Matrix)], imageRows: Int, imageCols: Int,
        title: String, subtitle: String? = nil
    ) -> Canvas {
        ImageGrid.draw(
            rows: gridRows(rows, imageRows * imageCols), imageRows: imageRows, imageCols: imageCols,
            scale: traversalScale, title: title, subtitle: subtitle)
    }

    static func gridRows(_ rows: [(label: String, images: Matrix)], _ dims: Int) -> [ImageRow] {
        rows.map { row in
            precondition(
                row.images.cols == dims, "\(row.label): images have \(row.images.cols) values, expected \(dims)")
            return ImageRow(label: row.label, images: (0..<row.images.rows).map { grayBytes(row.images.row($0)) })
        }
    }
}
