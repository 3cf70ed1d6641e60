/// Reads a binary (P5) or ASCII (P2) PGM file as 8-bit grey.
public func readPGM(_ path: String) throws -> GrayImage {
    try decodePGM(try readRawFileBytes(path), path: path)
}

/// Decodes PGM bytes (`path` is only for messages).
///
/// maxval may be 1…255; pixels are rescaled to 0…255 (rounded) when it is
/// not 255. `#` comments are allowed anywhere in the header (and between
/// P2 samples). Bytes after the first image are ignored.
public func decodePGM(_ bytes: [UInt8], path: String) throws -> GrayImage {
    guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
        bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2")
    else {
        throw DataError.malformed(path: path, detail: "not a PGM file (expected P5 or P2 at the start)")
    }
    let binary = bytes[1] == UInt8(ascii: "5")
    var scanner = PGMScanner(bytes: bytes, pos: 2, path: path)
    let width = try scanner.number("width")
    let height = try scanner.number("height")
    let maxval = try scanner.number("maxval")
    guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20 else {
        throw DataError.malformed(path: path, detail: "bad PGM size \(width)×\(height)")
    }
    guard maxval >= 1 && maxval <= 255 else {
        throw DataError.malformed(path: path, detail: "PGM maxval \(maxval) is not supported (must be 1…255)")
    }
    let n = width * height
    var pixels: [UInt8]
    if binary {
        // Exactly one whitespace byte separates maxval from the raster.
        let start = scanner.pos + 1
        guard start + n <= bytes.count else {
            throw DataError.truncated(
                path: path,
                detail: "header says \(width)×\(height) = \(n) bytes of pixels, file has \(max(0, bytes.count - start))"
            )
        }
        pixels = Array(bytes[start..<start + n])
        if let bad = pixels.first(where: { Int($0) > maxval }) {
            throw DataError.malformed(path: path, detail: "pixel value \(bad) exceeds maxval \(maxval)")
        }
    } else {
        pixels = []
        pixels.reserveCapacity(n)
        for i in 0..<n {
            guard let v = try scanner.optionalNumber() else {
                throw DataError.truncated(
                    path: path, detail: "header says \(width)×\(height) = \(n) pixels, file has \(i)")
            }
            guard v <= maxval else {
                throw DataError.malformed(path: path, detail: "pixel \(i) value \(v) exceeds maxval \(maxval)")
            }
            pixels.append(UInt8(v))
        }
    }
    if maxval != 255 {
        pixels = pixels.map { UInt8((Int($0) * 255 + maxval / 2) / maxval) }
    }
    return GrayImage(width: width, height: height, pixels: pixels)
}

/// Writes a PGM file: binary P5 by default, ASCII P2 when `ascii` is true.
public func writePGM(path: String, image: GrayImage, ascii: Bool = false) throws {
    var out = Array("\(ascii ? "P2" : "P5")\n\(image.width) \(image.height)\n255\n".utf8)
    if ascii {
        for y in 0..<image.height {
            let row = image.pixels[y * image.width..<(y + 1) * image.width]
            out += Array((row.map(String.init).joined(separator: " ") + "\n").utf8)
        }
    } else {
        out += image.pixels
    }
    try writeRawFileBytes(path, out)
}

/// Whitespace/comment-skipping reader of unsigned decimal numbers.
struct PGMScanner {
    let bytes: [UInt8]
    var pos: Int
    let path: String

    mutating func skipSpaceAndComments() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "#") {
                while pos < bytes.count && bytes[pos] != UInt8(ascii: "\n") && bytes[pos] != UInt8(ascii: "\r") {
                    pos += 1
                }
            } else if c == 0x20 || (c >= 0x09 && c <= 0x0D) {
                pos += 1
            } else {
                return
            }
        }
    }

    /// The next number, or nil at end of file.
    mutating func optionalNumber() throws -> Int? {
        skipSpaceAndComments()
        guard pos < bytes.count else { return nil }
        var v = 0
        let start = pos
        while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
            v = v * 10 + Int(bytes[pos] - UInt8(ascii: "0"))
            if v > 1 << 30 { throw DataError.malformed(path: path, detail: "number too large at byte \(start)") }
            pos += 1
        }
        if pos == start {
            throw DataError.malformed(
                path: path,
                detail: "expected a number at byte \(start), found '\(Character(Unicode.Scalar(bytes[pos])))'")
        }
        return v
    }

    mutating func number(_ what: String) throws -> Int {
        guard let v = try optionalNumber() else {
            throw DataError.truncated(path: path, detail: "PGM header ends before the \(what)")
        }
        return v
    }
}
