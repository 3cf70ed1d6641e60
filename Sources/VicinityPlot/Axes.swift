import Foundation

/// Tick positions for a data range: multiples of 1, 2 or 5 × 10^k, about `target` of them.
public func niceTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> (ticks: [Double], step: Double) {
    guard lo.isFinite, hi.isFinite, hi > lo else { return ([lo], 1) }
    let raw = (hi - lo) / Double(max(target, 1))
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
    // Multiples of the step, not a running sum, so 5 × 0.2 is exactly 1.
    var ticks: [Double] = []
    var k = (lo / step - 1e-9).rounded(.up)
    while k * step <= hi + step * 1e-9 {
        ticks.append(k == 0 ? 0 : k * step)
        k += 1
    }
    return (ticks, step)
}

/// A tick label with as many decimals as the step needs.
public func tickLabel(_ value: Double, step: Double) -> String {
    let decimals = max(0, Int((-log10(step)).rounded(.up)))
    return String(format: "%.\(min(decimals, 6))f", value)
}

/// A data range widened to whole tick steps (and to ±1 around a single value).
public func niceRange(_ lo: Double, _ hi: Double, target: Int = 6) -> ClosedRange<Double> {
    guard lo.isFinite, hi.isFinite else { return 0...1 }
    if hi <= lo { return (lo - 1)...(lo + 1) }
    let step = niceTicks(lo, hi, target: target).step
    return ((lo / step).rounded(.down) * step)...((hi / step).rounded(.up) * step)
}

/// A plotting frame on a canvas and the data ranges it shows: maps data to pixels.
public struct Axes: Sendable {
    public var frame: PixelRect
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    /// Ticks of the x axis at these values with these labels, instead of evenly stepped numbers
    /// (e.g. a log axis drawn in log units and labelled in the original ones).
    public var xTicks: [(value: Double, label: String)]?

    public init(
        frame: PixelRect, x: ClosedRange<Double>, y: ClosedRange<Double>,
        xTicks: [(value: Double, label: String)]? = nil
    ) {
        self.frame = frame
        self.xTicks = xTicks
        self.x = x.upperBound > x.lowerBound ? x : (x.lowerBound - 1)...(x.lowerBound + 1)
        self.y = y.upperBound > y.lowerBound ? y : (y.lowerBound - 1)...(y.lowerBound + 1)
    }

    /// Horizontal pixel coordinate of data x (left edge of the frame is x.lowerBound).
    public func px(_ v: Double) -> Double {
        Double(frame.x) + (v - x.lowerBound) / (x.upperBound - x.lowerBound) * Double(frame.width)
    }

    /// Vertical pixel coordinate of data y (y grows upwards).
    public func py(_ v: Double) -> Double {
        Double(frame.maxY) - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * Double(frame.height)
    }

    /// Light grid lines, the frame, ticks with numeric labels, and axis titles.
    public func draw(on canvas: inout Canvas, xLabel: String, yLabel: String, grid: Bool = true) {
        let (stepped, xs) = niceTicks(x.lowerBound, x.upperBound)
        let xt = xTicks?.map(\.value) ?? stepped
        let xLabels = xTicks?.map(\.label) ?? stepped.map { tickLabel($0, step: xs) }
        let (yt, ys) = niceTicks(y.lowerBound, y.upperBound)
        if grid {
            for t in xt {
                let p = Int(px(t).rounded(.down))
                canvas.fillRect(PixelRect(x: p, y: frame.y, width: 1, height: frame.height), .gridGray)
            }
            for t in yt {
                let p = Int(py(t).rounded(.down))
                canvas.fillRect(PixelRect(x: frame.x, y: p, width: frame.width, height: 1), .gridGray)
            }
        }
        canvas.strokeRect(
            PixelRect(x: frame.x - 1, y: frame.y - 1, width: frame.width + 2, height: frame.height + 2), .black)
        for (t, label) in zip(xt, xLabels) {
            let p = Int(px(t).rounded(.down))
            canvas.fillRect(PixelRect(x: p, y: frame.maxY + 1, width: 1, height: 6), .black)
            canvas.drawText(label, x: p, y: frame.maxY + 10, scale: 1, color: .textGray, anchor: .topCenter)
        }
        for t in yt {
            let p = Int(py(t).rounded(.down))
            canvas.fillRect(PixelRect(x: frame.x - 7, y: p, width: 6, height: 1), .black)
            canvas.drawText(
                tickLabel(t, step: ys), x: frame.x - 10, y: p, scale: 1, color: .textGray, anchor: .centerRight)
        }
        if !xLabel.isEmpty {
            canvas.drawText(xLabel, x: frame.x + frame.width / 2, y: frame.maxY + 24, scale: 2, anchor: .topCenter)
        }
        if !yLabel.isEmpty {
            let widest = yt.map { BitmapFont.size(of: tickLabel($0, step: ys)).width }.max() ?? 0
            canvas.drawVerticalText(yLabel, cx: frame.x - 10 - widest - 14, cy: frame.y + frame.height / 2, scale: 2)
        }
    }
}
