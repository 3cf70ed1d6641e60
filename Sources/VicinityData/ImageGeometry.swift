/// The input a model takes: height × width pixels of 1 (grey) or 3 (RGB) channels, row-major
/// with channels interleaved (`(y·width + x)·channels + c`), values / 255.
public struct ImageGeometry: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int = 1) {
        precondition(
            height >= 1 && width >= 1 && (channels == 1 || channels == 3), "geometry \(height)×\(width)×\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// `32x32` (height × width), as `--size` takes it.
    public static func parseSize(_ text: String) -> (height: Int, width: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h >= 1, w >= 1, h <= 4096, w <= 4096
        else { return nil }
        return (h, w)
    }

    public var dims: Int { height * width * channels }
    public var description: String { "\(height)×\(width)×\(channels)" }
}

/// How an image of another aspect ratio is brought to a geometry's.
public enum ImageFit: String, Sendable, CaseIterable, Codable {
    /// Cut the centre of the aspect wanted out of the image, then resize it.
    case crop
    /// Resize the whole image to fit inside, centred on black.
    case pad
    /// Resize to the size wanted, whatever the aspect.
    case stretch
}

extension Bitmap {
    /// This image as `geometry` wants it: channels converted (RGB → grey by luma, grey → RGB by
    /// repeating), then `fit` to the aspect and resized (area averaging to shrink, bilinear to grow).
    public func fitted(to geometry: ImageGeometry, fit: ImageFit) -> Bitmap {
        var image = channels > geometry.channels ? withChannels(geometry.channels) : self
        let (W, H) = (geometry.width, geometry.height)
        switch fit {
        case .stretch:
            image = image.resized(width: W, height: H)
        case .crop:
            if image.width * H > W * image.height {  // wider than wanted: keep the full height
                let cw = max(1, min(image.width, (image.height * W + H / 2) / H))
                image = image.cropped(x: (image.width - cw) / 2, y: 0, width: cw, height: image.height)
            } else {
                let ch = max(1, min(image.height, (image.width * H + W / 2) / W))
                image = image.cropped(x: 0, y: (image.height - ch) / 2, width: image.width, height: ch)
            }
            image = image.resized(width: W, height: H)
        case .pad:
            let (w, h) = Self.padSize(width: image.width, height: image.height, into: geometry)
            let inner = image.resized(width: w, height: h)
            var canvas = [UInt8](repeating: 0, count: W * H * inner.channels)
            let (x0, y0, c) = ((W - w) / 2, (H - h) / 2, inner.channels)
            for y in 0..<h {
                canvas.replaceSubrange(
                    ((y0 + y) * W + x0) * c..<((y0 + y) * W + x0 + w) * c,
                    with: inner.pixels[(y * w * c)..<((y + 1) * w * c)])
            }
            image = Bitmap(width: W, height: H, channels: c, pixels: canvas)
        }
        return image.channels < geometry.channels ? image.withChannels(geometry.channels) : image
    }

    /// The size a `width`×`height` image takes inside `geometry` when padded (aspect kept).
    static func padSize(width: Int, height: Int, into geometry: ImageGeometry) -> (Int, Int) {
        let (W, H) = (geometry.width, geometry.height)
        if width * H > W * height { return (W, max(1, min(H, (height * W + width / 2) / width))) }
        return (max(1, min(W, (width * H + height / 2) / height)), H)
    }

    /// The smallest size (width, height) a decoder may shrink a `width`×`height` image to before
    /// `fitted(to:fit:)` without losing detail: the fitted picture's size in source proportions.
    static func neededSize(width: Int, height: Int, for geometry: ImageGeometry, fit: ImageFit) -> (
        width: Int, height: Int
    ) {
        switch fit {
        case .stretch, .crop: return (geometry.width, geometry.height)
        case .pad: return padSize(width: width, height: height, into: geometry)
        }
    }
}

/// Reads an image file — JPEG, PNG, PGM or PPM, told apart by content, not by name — as a bitmap
/// with its own channels and size, or, with `geometry`, brought to that geometry by `fit`. Other
/// formats (GIF, BMP, TIFF, WebP, …) are refused by name.
public func readBitmap(_ path: String, geometry: ImageGeometry? = nil, fit: ImageFit = .crop) throws -> Bitmap {
    try decodeBitmap(try readRawFileBytes(path), path: path, geometry: geometry, fit: fit)
}

public func decodeBitmap(_ bytes: [UInt8], path: String, geometry: ImageGeometry? = nil, fit: ImageFit = .crop) throws
    -> Bitmap
{
    func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && Array(bytes[0..<prefix.count]) == prefix }
    let image: Bitmap
    if starts([0xFF, 0xD8, 0xFF]) {
        var hint: (width: Int, height: Int)?
        if let geometry, let size = jpegSize(bytes) {
            hint = Bitmap.neededSize(width: size.width, height: size.height, for: geometry, fit: fit)
        }
        image = try decodeJPEG(bytes, path: path, atLeast: hint)
    } else if starts([0x89, 0x50, 0x4E, 0x47]) {
        image = try decodePNGBitmap(bytes, path: path)
    } else if starts([UInt8(ascii: "P")]), bytes.count >= 2, (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(bytes[1])
    {
        image = try decodePNM(bytes, path: path)
    } else {
        let named: [(prefix: [UInt8], name: String)] = [
            (Array("GIF8".utf8), "GIF"), (Array("BM".utf8), "BMP"), ([0x49, 0x49, 0x2A, 0x00], "TIFF"),
            ([0x4D, 0x4D, 0x00, 0x2A], "TIFF"), (Array("RIFF".utf8), "RIFF (WebP?)"),
            ([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50], "JPEG 2000"),
        ]
        if let known = named.first(where: { starts($0.prefix) }) {
            throw DataError.unsupported(path: path, detail: "\(known.name) image (JPEG, PNG, PGM and PPM are read)")
        }
        throw DataError.malformed(path: path, detail: "not an image file Vicinity reads (JPEG, PNG, PGM, PPM)")
    }
    guard let geometry else { return image }
    return image.fitted(to: geometry, fit: fit)
}

/// A JPEG's stored size as seen (EXIF orientation applied), from its frame header; nil when not found.
func jpegSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    bytes.withUnsafeBufferPointer { b -> (Int, Int)? in
        var p = 2
        while p + 9 < b.count, b[p] == 0xFF {
            let marker = b[p + 1]
            if marker == 0xFF { p += 1; continue }
            let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
            // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                let h = Int(b[p + 5]) << 8 | Int(b[p + 6]), w = Int(b[p + 7]) << 8 | Int(b[p + 8])
                return Bitmap.orientationSwapsSides(jpegOrientation(b)) ? (h, w) : (w, h)
            }
            if marker == 0xDA || length < 2 { return nil }
            p += 2 + length
        }
        return nil
    }
}
