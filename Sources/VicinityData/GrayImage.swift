/// An 8-bit greyscale image, rows top to bottom, `pixels[y * width + x]`.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height,
            "GrayImage \(width)×\(height) needs \(width * height) pixels, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Reads a PNG or PGM file, chosen by content (PNG signature or `P2`/`P5`),
/// not by extension, so a misnamed file still decodes.
public func readGrayImage(_ path: String) throws -> GrayImage {
    let bytes = try readRawFileBytes(path)
    if bytes.count >= 2 && bytes[0] == UInt8(ascii: "P")
        && (bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2"))
    {
        return try decodePGM(bytes, path: path)
    }
    return try decodePNG(bytes, path: path)
}
