import CPNG

/// Decodes PNG bytes to a grey or RGB bitmap, as the file holds it: grey and grey+alpha files
/// give 1 channel, RGB, RGBA and palette files 3. Transparency (an alpha channel, or a palette's
/// or grey file's tRNS) is composited onto black in the stored values: v·a/255, rounded. 16-bit
/// files are reduced to 8 bits as stored (v/257, rounded; with alpha, v·a/65535 first); interlaced
/// files are handled by libpng.
public func decodePNGBitmap(_ bytes: [UInt8], path: String) throws -> Bitmap {
    guard bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
        throw DataError.notPNG(path: path)
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard began != 0 else { throw DataError.badImage(path: path, detail: pngText(&image)) }
    let width = Int(image.width), height = Int(image.height)
    guard width * height <= 1 << 28 else {
        throw DataError.badImage(path: path, detail: "PNG of \(width)×\(height) is too large")
    }
    let colour = image.format & 0x02 != 0  // PNG_FORMAT_FLAG_COLOR, palette files included
    let alpha = image.format & 0x01 != 0
    let channels = colour ? 3 : 1
    if image.format & 0x04 != 0 { return try finishSixteenBit(&image, path: path, channels: channels, alpha: alpha) }
    let stride = channels + (alpha ? 1 : 0)
    image.format = (colour ? 0x02 : 0) | (alpha ? 0x01 : 0)
    var raw = [UInt8](repeating: 0, count: width * height * stride)
    let ok = raw.withUnsafeMutableBytes {
        png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * stride), nil)
    }
    guard ok != 0 else { throw DataError.badImage(path: path, detail: pngText(&image)) }
    guard alpha else { return Bitmap(width: width, height: height, channels: channels, pixels: raw) }
    var out = [UInt8](repeating: 0, count: width * height * channels)
    raw.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<(width * height) {
                let a = UInt32(src[i * stride + channels])
                for c in 0..<channels { dst[i * channels + c] = UInt8((UInt32(src[i * stride + c]) * a + 127) / 255) }
            }
        }
    }
    return Bitmap(width: width, height: height, channels: channels, pixels: out)
}

/// A 16-bit file, read in libpng's "linear" 16-bit form: the stored values unchanged, multiplied
/// by alpha when there is alpha (so composited onto black); then v/257, rounded.
private func finishSixteenBit(_ image: inout png_image, path: String, channels: Int, alpha: Bool) throws -> Bitmap {
    let width = Int(image.width), height = Int(image.height)
    let stride = channels + (alpha ? 1 : 0)
    image.format = UInt32(0x04 | (channels == 3 ? 0x02 : 0) | (alpha ? 0x01 : 0))  // LINEAR [| COLOR] [| ALPHA]
    var raw = [UInt16](repeating: 0, count: width * height * stride)
    let ok = raw.withUnsafeMutableBytes {
        png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * stride), nil)
    }
    guard ok != 0 else { throw DataError.badImage(path: path, detail: pngText(&image)) }
    var out = [UInt8](repeating: 0, count: width * height * channels)
    for i in 0..<(width * height) {
        for c in 0..<channels { out[i * channels + c] = UInt8((UInt32(raw[i * stride + c]) * 255 + 32767) / 65535) }
    }
    return Bitmap(width: width, height: height, channels: channels, pixels: out)
}

private func pngText(_ image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    return text.isEmpty ? "libpng error" : text
}
