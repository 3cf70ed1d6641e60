import VicinityData

/// An 8-bit RGB colour.
public struct RGB: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// From 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public init(gray: UInt8) { self.init(gray, gray, gray) }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let gridGray = RGB(225, 225, 225)
    public static let textGray = RGB(60, 60, 60)

    /// `self` mixed with `other`: t = 0 gives self, t = 1 gives other.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        let t = min(max(t, 0), 1)
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - t) + Double(b) * t).rounded()) }
        return RGB(m(r, other.r), m(g, other.g), m(b, other.b))
    }

    public var description: String { "RGB(\(r), \(g), \(b))" }
}

/// A rectangle of pixels: x, y of the top-left corner, width and height.
public struct PixelRect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

/// An RGB8 raster, row-major, origin at the top-left. Drawing clips to the
/// canvas (and to `clip` when set), so callers never check bounds.
public struct Canvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width × height × 3 bytes: R, G, B per pixel.
    public private(set) var pixels: [UInt8]
    /// When set, drawing outside it is discarded.
    public var clip: PixelRect?

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0, "Canvas needs a positive size, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(background)
    }

    public subscript(x: Int, y: Int) -> RGB {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Whether a pixel may be drawn.
    @inline(__always) func drawable(_ x: Int, _ y: Int) -> Bool {
        guard x >= 0 && x < width && y >= 0 && y < height else { return false }
        if let clip, !clip.contains(x, y) { return false }
        return true
    }

    public mutating func setPixel(_ x: Int, _ y: Int, _ color: RGB) {
        guard drawable(x, y) else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Paints `color` over the pixel with opacity `alpha` in [0, 1].
    public mutating func blendPixel(_ x: Int, _ y: Int, _ color: RGB, alpha: Double) {
        guard alpha > 0, drawable(x, y) else { return }
        if alpha >= 1 { return setPixel(x, y, color) }
        let i = (y * width + x) * 3
        let old = RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        let c = old.mixed(with: color, alpha)
        pixels[i] = c.r
        pixels[i + 1] = c.g
        pixels[i + 2] = c.b
    }

    public mutating func fill(_ color: RGB) {
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = color.r
            pixels[i + 1] = color.g
            pixels[i + 2] = color.b
        }
    }

    public mutating func fillRect(_ rect: PixelRect, _ color: RGB) {
        for y in max(rect.y, 0)..<max(min(rect.maxY, height), max(rect.y, 0)) {
            for x in max(rect.x, 0)..<max(min(rect.maxX, width), max(rect.x, 0)) { setPixel(x, y, color) }
        }
    }

    /// A one-pixel (or `thickness`) outline just inside `rect`.
    public mutating func strokeRect(_ rect: PixelRect, _ color: RGB, thickness: Int = 1) {
        let t = max(1, thickness)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), color)
        fillRect(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), color)
    }

    /// A disc centred at (cx, cy) in pixel coordinates (pixel centres sit at +0.5), anti-aliased at its edge.
    public mutating func fillDisc(cx: Double, cy: Double, radius: Double, _ color: RGB) {
        let x0 = Int((cx - radius - 1).rounded(.down)), x1 = Int((cx + radius + 1).rounded(.up))
        let y0 = Int((cy - radius - 1).rounded(.down)), y1 = Int((cy + radius + 1).rounded(.up))
        for y in max(y0, 0)...max(min(y1, height - 1), max(y0, 0)) {
            for x in max(x0, 0)...max(min(x1, width - 1), max(x0, 0)) {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                let coverage = radius + 0.5 - (dx * dx + dy * dy).squareRoot()
                blendPixel(x, y, color, alpha: coverage)
            }
        }
    }

    /// A straight line from (x0, y0) to (x1, y1) of the given thickness, with round ends and
    /// anti-aliased edges: every pixel whose centre lies within thickness/2 of the segment is painted.
    public mutating func drawLine(x0: Double, y0: Double, x1: Double, y1: Double, thickness: Double = 1, _ color: RGB) {
        let half = max(thickness, 0.5) / 2
        let minX = Int((min(x0, x1) - half - 1).rounded(.down)), maxX = Int((max(x0, x1) + half + 1).rounded(.up))
        let minY = Int((min(y0, y1) - half - 1).rounded(.down)), maxY = Int((max(y0, y1) + half + 1).rounded(.up))
        let lo = (x: max(minX, 0), y: max(minY, 0)), hi = (x: min(maxX, width - 1), y: min(maxY, height - 1))
        guard lo.x <= hi.x, lo.y <= hi.y else { return }
        let dx = x1 - x0, dy = y1 - y0
        let length2 = dx * dx + dy * dy
        for y in lo.y...hi.y {
            for x in lo.x...hi.x {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                var t = length2 == 0 ? 0 : ((px - x0) * dx + (py - y0) * dy) / length2
                t = min(max(t, 0), 1)
                let ex = px - (x0 + t * dx), ey = py - (y0 + t * dy)
                blendPixel(x, y, color, alpha: half + 0.5 - (ex * ex + ey * ey).squareRoot())
            }
        }
    }

    /// Draws a grey image (`pixels` row-major, `imageWidth` × `imageHeight`) with its top-left corner at (x, y),
    /// each source pixel as a `scale`×`scale` block.
    public mutating func blitGray(_ gray: [UInt8], imageWidth: Int, imageHeight: Int, x: Int, y: Int, scale: Int = 1) {
        precondition(
            gray.count == imageWidth * imageHeight, "blitGray: \(gray.count) pixels for \(imageWidth)×\(imageHeight)")
        let s = max(1, scale)
        for row in 0..<imageHeight {
            for col in 0..<imageWidth {
                let c = RGB(gray: gray[row * imageWidth + col])
                for dy in 0..<s { for dx in 0..<s { setPixel(x + col * s + dx, y + row * s + dy, c) } }
            }
        }
    }

    /// Copies another canvas in with its top-left corner at (x, y).
    public mutating func blit(_ other: Canvas, x: Int, y: Int) {
        for row in 0..<other.height { for col in 0..<other.width { setPixel(x + col, y + row, other[col, row]) } }
    }

    /// How many pixels have exactly this colour.
    public func count(of color: RGB) -> Int {
        var n = 0
        for i in stride(from: 0, to: pixels.count, by: 3)
        where pixels[i] == color.r && pixels[i + 1] == color.g && pixels[i + 2] == color.b { n += 1 }
        return n
    }

    /// The distinct colours on the canvas (for tests and checks).
    public var distinctColors: Set<RGB> {
        var set = Set<RGB>()
        for i in stride(from: 0, to: pixels.count, by: 3) { set.insert(RGB(pixels[i], pixels[i + 1], pixels[i + 2])) }
        return set
    }

    /// Writes the canvas as an 8-bit RGB PNG.
    public func save(to path: String) throws {
        try writePNG(path: path, width: width, height: height, pixels: pixels, channels: 3)
    }
}

/// Floats in [0, 1] (clamped) to grey bytes.
public func grayBytes(_ values: some Collection<Float>) -> [UInt8] {
    values.map { v in v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded()) }
}

/// Floats to grey bytes stretched so their own minimum is black and maximum white.
public func grayBytesMinMax(_ values: [Float]) -> [UInt8] {
    guard let lo = values.min(), let hi = values.max(), hi > lo else {
        return [UInt8](repeating: 128, count: values.count)
    }
    return values.map { UInt8(((($0 - lo) / (hi - lo)) * 255).rounded()) }
}
