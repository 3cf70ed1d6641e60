/// An 8-bit image with 1 (grey) or 3 (RGB) interleaved channels, rows top to bottom:
/// channel c of pixel (x, y) is `pixels[(y * width + x) * channels + c]`.
public struct Bitmap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "Bitmap: \(channels) channels (1 or 3 allowed)")
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * channels,
            "Bitmap \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(_ grey: GrayImage) {
        self.init(width: grey.width, height: grey.height, channels: 1, pixels: grey.pixels)
    }

    /// The same picture with `count` channels: RGB → grey by ITU-R 601 luma with the integer weights
    /// Pillow's `convert("L")` uses ((19595·R + 38470·G + 7471·B + 2¹⁵) >> 16); grey → RGB repeats it.
    public func withChannels(_ count: Int) -> Bitmap {
        precondition(count == 1 || count == 3, "Bitmap: \(count) channels (1 or 3 allowed)")
        if count == channels { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if count == 1 {
                    for i in 0..<n {
                        let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                        dst[i] = UInt8((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16)
                    }
                } else {
                    for i in 0..<n { dst[3 * i] = src[i]; dst[3 * i + 1] = src[i]; dst[3 * i + 2] = src[i] }
                }
            }
        }
        return Bitmap(width: width, height: height, channels: count, pixels: out)
    }

    /// The rectangle x ..< x+w, y ..< y+h (which must lie inside).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Bitmap {
        precondition(
            x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height, "crop outside the image")
        if x == 0 && y == 0 && w == width && h == height { return self }
        var out = [UInt8](); out.reserveCapacity(w * h * channels)
        for row in y..<(y + h) {
            let start = (row * width + x) * channels
            out.append(contentsOf: pixels[start..<start + w * channels])
        }
        return Bitmap(width: w, height: h, channels: channels, pixels: out)
    }
}
