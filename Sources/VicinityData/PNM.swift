/// Decodes PGM (P5 binary, P2 ASCII) to grey and PPM (P6 binary, P3 ASCII) to RGB. maxval may be
/// 1…65535 (two big-endian bytes a sample above 255); samples are rescaled to 0…255, rounded.
/// PBM bitmaps (P1, P4) are refused by name.
public func decodePNM(_ bytes: [UInt8], path: String) throws -> Bitmap {
    guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else {
        throw DataError.malformed(path: path, detail: "not a PGM/PPM file (expected P2, P3, P5 or P6 at the start)")
    }
    let kind = bytes[1]
    if kind == UInt8(ascii: "1") || kind == UInt8(ascii: "4") {
        throw DataError.unsupported(path: path, detail: "PBM bitmap (P1/P4)")
    }
    if kind == UInt8(ascii: "7") { throw DataError.unsupported(path: path, detail: "PAM (P7)") }
    guard [UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "5"), UInt8(ascii: "6")].contains(kind) else {
        throw DataError.malformed(path: path, detail: "not a PGM/PPM file (expected P2, P3, P5 or P6 at the start)")
    }
    let channels = kind == UInt8(ascii: "3") || kind == UInt8(ascii: "6") ? 3 : 1
    let binary = kind == UInt8(ascii: "5") || kind == UInt8(ascii: "6")
    var scanner = PGMScanner(bytes: bytes, pos: 2, path: path)
    let width = try scanner.number("width"), height = try scanner.number("height"),
        maxval = try scanner.number("maxval")
    guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else {
        throw DataError.malformed(path: path, detail: "bad image size \(width)×\(height)")
    }
    guard maxval >= 1 && maxval <= 65535 else {
        throw DataError.malformed(path: path, detail: "maxval \(maxval) (1…65535 allowed)")
    }
    let n = width * height * channels
    var samples = [Int](repeating: 0, count: n)
    if binary {
        let size = maxval > 255 ? 2 : 1
        let start = scanner.pos + 1
        guard start + n * size <= bytes.count else {
            throw DataError.truncated(
                path: path,
                detail:
                    "header says \(width)×\(height)×\(channels) samples of \(size) byte(s), file has \(max(0, bytes.count - start)) bytes"
            )
        }
        for i in 0..<n {
            samples[i] =
                size == 1 ? Int(bytes[start + i]) : Int(bytes[start + 2 * i]) << 8 | Int(bytes[start + 2 * i + 1])
        }
    } else {
        for i in 0..<n {
            guard let v = try scanner.optionalNumber() else {
                throw DataError.truncated(path: path, detail: "header says \(n) samples, file has \(i)")
            }
            samples[i] = v
        }
    }
    if let bad = samples.first(where: { $0 > maxval }) {
        throw DataError.malformed(path: path, detail: "sample value \(bad) exceeds maxval \(maxval)")
    }
    let pixels = maxval == 255 ? samples.map { UInt8($0) } : samples.map { UInt8(($0 * 255 + maxval / 2) / maxval) }
    return Bitmap(width: width, height: height, channels: channels, pixels: pixels)
}
