/// How a legend entry marks its series.
public enum LegendMark: Sendable { case disc, line }

/// Margins and text sizes shared by the charts.
public enum ChartStyle {
    public static let titleScale = 2
    public static let titleTop = 12
    /// Top of the area below a title and a subtitle.
    public static let headerHeight = 52
}

extension Canvas {
    /// A title (scale 2) centred at the top, and an optional subtitle (scale 1) below it.
    public mutating func drawTitle(_ title: String, subtitle: String? = nil) {
        // A title too wide for the canvas drops to scale 1 rather than losing its ends.
        let fits = BitmapFont.size(of: title, scale: ChartStyle.titleScale).width <= width - 16
        drawText(
            title, x: width / 2, y: ChartStyle.titleTop + (fits ? 0 : 4), scale: fits ? ChartStyle.titleScale : 1,
            anchor: .topCenter)
        if let subtitle, !subtitle.isEmpty {
            drawText(
                subtitle, x: width / 2, y: ChartStyle.titleTop + 22, scale: 1, color: .textGray, anchor: .topCenter)
        }
    }

    /// A boxed legend with its top-left corner at (x, y): a mark in each entry's colour and its name.
    /// Returns the box it drew.
    @discardableResult
    public mutating func drawLegend(
        _ entries: [(name: String, color: RGB)], x: Int, y: Int, mark: LegendMark,
        scale: Int = 1
    ) -> PixelRect {
        let rowHeight = max(16, BitmapFont.lineHeight * scale + 6)
        let markWidth = mark == .line ? 24 : 12
        let textWidth = entries.map { BitmapFont.size(of: $0.name, scale: scale).width }.max() ?? 0
        let box = PixelRect(
            x: x, y: y, width: 8 + markWidth + 8 + textWidth + 10, height: 8 + rowHeight * entries.count + 2)
        fillRect(box, .white)
        strokeRect(box, RGB(gray: 160))
        for (i, entry) in entries.enumerated() {
            let cy = Double(y + 8 + i * rowHeight + rowHeight / 2) - 2
            switch mark {
            case .disc: fillDisc(cx: Double(x + 8 + markWidth / 2), cy: cy, radius: 5, entry.color)
            case .line:
                drawLine(x0: Double(x + 8), y0: cy, x1: Double(x + 8 + markWidth), y1: cy, thickness: 3, entry.color)
            }
            drawText(entry.name, x: x + 8 + markWidth + 8, y: Int(cy.rounded()), scale: scale, anchor: .centerLeft)
        }
        return box
    }
}

/// Points coloured by class, with a legend of class names at the right.
public enum ScatterChart {
    public static let legendWidth = 190

    /// The axes a scatter of these points gets on a canvas of this size: the data range widened to whole ticks.
    public static func axes(xs: [Double], ys: [Double], width: Int, height: Int) -> Axes {
        let frame = PixelRect(
            x: 80, y: ChartStyle.headerHeight + 8, width: width - 80 - legendWidth - 20,
            height: height - ChartStyle.headerHeight - 8 - 64)
        let fx = xs.filter(\.isFinite), fy = ys.filter(\.isFinite)
        return Axes(
            frame: frame, x: niceRange(fx.min() ?? 0, fx.max() ?? 1), y: niceRange(fy.min() ?? 0, fy.max() ?? 1))
    }

    public static func draw(
        xs: [Double], ys: [Double], classes: [Int], classNames names: [String], title: String,
        subtitle: String? = nil, xLabel: String, yLabel: String,
        width: Int, height: Int, radius: Double = 2.5
    ) -> Canvas {
        precondition(
            xs.count == ys.count && xs.count == classes.count,
            "scatter: \(xs.count) x, \(ys.count) y, \(classes.count) classes")
        var canvas = Canvas(width: width, height: height)
        let axes = Self.axes(xs: xs, ys: ys, width: width, height: height)
        canvas.drawTitle(title, subtitle: subtitle)
        axes.draw(on: &canvas, xLabel: xLabel, yLabel: yLabel)
        canvas.clip = axes.frame
        for i in xs.indices where xs[i].isFinite && ys[i].isFinite {
            canvas.fillDisc(cx: axes.px(xs[i]), cy: axes.py(ys[i]), radius: radius, Palette.color(classes[i]))
        }
        canvas.clip = nil
        let present = Set(classes)
        let entries = names.enumerated().filter { present.contains($0.offset) }.map {
            (name: $0.element, color: Palette.color($0.offset))
        }
        canvas.drawLegend(entries, x: axes.frame.maxX + 24, y: axes.frame.y, mark: .disc, scale: 1)
        return canvas
    }
}

/// One named line of a line chart.
public struct Series: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: RGB
    public init(name: String, points: [(x: Double, y: Double)], color: RGB) {
        self.name = name
        self.points = points
        self.color = color
    }
}

/// Lines through each series' points, with small markers and a legend in the lower left of the frame.
public enum LineChart {
    public static func axes(
        x: ClosedRange<Double>, y: ClosedRange<Double>, width: Int, height: Int,
        xTicks: [(value: Double, label: String)]? = nil
    ) -> Axes {
        Axes(
            frame: PixelRect(
                x: 90, y: ChartStyle.headerHeight + 8, width: width - 90 - 30,
                height: height - ChartStyle.headerHeight - 8 - 64), x: x, y: y, xTicks: xTicks)
    }

    public static func draw(
        _ series: [Series], x: ClosedRange<Double>, y: ClosedRange<Double>, title: String,
        subtitle: String? = nil, xLabel: String, yLabel: String, width: Int, height: Int,
        xTicks: [(value: Double, label: String)]? = nil
    ) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        let axes = Self.axes(x: x, y: y, width: width, height: height, xTicks: xTicks)
        canvas.drawTitle(title, subtitle: subtitle)
        axes.draw(on: &canvas, xLabel: xLabel, yLabel: yLabel)
        canvas.clip = PixelRect(
            x: axes.frame.x - 4, y: axes.frame.y - 4, width: axes.frame.width + 8, height: axes.frame.height + 8)
        for s in series {
            let p = s.points.filter { $0.x.isFinite && $0.y.isFinite }.map { (axes.px($0.x), axes.py($0.y)) }
            for (a, b) in zip(p, p.dropFirst()) {
                canvas.drawLine(x0: a.0, y0: a.1, x1: b.0, y1: b.1, thickness: 2.5, s.color)
            }
            for q in p { canvas.fillDisc(cx: q.0, cy: q.1, radius: 3, s.color) }
        }
        canvas.clip = nil
        if !series.isEmpty {
            let rowHeight = 16
            let legendHeight = 10 + rowHeight * series.count
            canvas.drawLegend(
                series.map { (name: $0.name, color: $0.color) }, x: axes.frame.x + 12,
                y: axes.frame.maxY - 12 - legendHeight, mark: .line, scale: 1)
        }
        return canvas
    }
}

/// One row of an image grid: a label at its left (may be empty) and grey images (bytes, rows × cols each).
public struct ImageRow: Sendable {
    public var label: String
    public var images: [[UInt8]]
    public init(label: String, images: [[UInt8]]) {
        self.label = label
        self.images = images
    }
}

/// Rows of small grey images, each scaled by an integer factor, with labels on the left.
public enum ImageGrid {
    public static let gap = 4
    public static let margin = 16

    /// The canvas size a grid will have.
    public static func size(
        rows: [ImageRow], imageRows: Int, imageCols: Int, scale: Int, title: String,
        subtitle: String? = nil
    ) -> (width: Int, height: Int) {
        let labelWidth = labelColumnWidth(rows)
        let columns = rows.map(\.images.count).max() ?? 0
        let gridWidth = labelWidth + columns * (imageCols * scale + gap) - gap
        let titleWidth = max(
            BitmapFont.size(of: title, scale: ChartStyle.titleScale).width,
            BitmapFont.size(of: subtitle ?? "", scale: 1).width)
        return (
            max(gridWidth, titleWidth, 1) + 2 * margin,
            ChartStyle.headerHeight + rows.count * (imageRows * scale + gap) - gap + margin
        )
    }

    static func labelColumnWidth(_ rows: [ImageRow]) -> Int {
        let widest = rows.map { BitmapFont.size(of: $0.label, scale: 1).width }.max() ?? 0
        return widest == 0 ? 0 : widest + 12
    }

    /// Where image `column` of row `row` sits (the grid is centred when the title is wider).
    public static func tileOrigin(
        row: Int, column: Int, rows: [ImageRow], imageRows: Int, imageCols: Int, scale: Int,
        title: String, subtitle: String? = nil
    ) -> (x: Int, y: Int) {
        let columns = rows.map(\.images.count).max() ?? 0
        let gridWidth = labelColumnWidth(rows) + columns * (imageCols * scale + gap) - gap
        let width = size(
            rows: rows, imageRows: imageRows, imageCols: imageCols, scale: scale, title: title, subtitle: subtitle
        ).width
        let left = max(margin, (width - gridWidth) / 2)
        return (
            left + labelColumnWidth(rows) + column * (imageCols * scale + gap),
            ChartStyle.headerHeight + row * (imageRows * scale + gap)
        )
    }

    public static func draw(
        rows: [ImageRow], imageRows: Int, imageCols: Int, scale: Int, title: String,
        subtitle: String? = nil
    ) -> Canvas {
        let (w, h) = size(
            rows: rows, imageRows: imageRows, imageCols: imageCols, scale: scale, title: title, subtitle: subtitle)
        var canvas = Canvas(width: w, height: h)
        canvas.drawTitle(title, subtitle: subtitle)
        for (r, row) in rows.enumerated() {
            let first = tileOrigin(
                row: r, column: 0, rows: rows, imageRows: imageRows, imageCols: imageCols, scale: scale, title: title,
                subtitle: subtitle)
            if !row.label.isEmpty {
                canvas.drawText(
                    row.label, x: first.x - 12, y: first.y + imageRows * scale / 2, scale: 1, anchor: .centerRight)
            }
            for (c, image) in row.images.enumerated() {
                let o = tileOrigin(
                    row: r, column: c, rows: rows, imageRows: imageRows, imageCols: imageCols, scale: scale,
                    title: title,
                    subtitle: subtitle)
                canvas.blitGray(image, imageWidth: imageCols, imageHeight: imageRows, x: o.x, y: o.y, scale: scale)
            }
        }
        return canvas
    }
}
