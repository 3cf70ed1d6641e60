import CPNG

// libpng's simplified API. The PNG_FORMAT_* values are spelled out here
// because the compound ones are macro expressions Swift may not import.
private let formatGray: UInt32 = 0
private let formatGA: UInt32 = 0x01  // PNG_FORMAT_FLAG_ALPHA
private let formatRGB: UInt32 = 0x02  // PNG_FORMAT_FLAG_COLOR
private let formatRGBA: UInt32 = 0x03  // COLOR | ALPHA
private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Reads a PNG file as 8-bit grey.
public func readPNG(_ path: String) throws -> GrayImage {
    try decodePNG(try readRawFileBytes(path), path: path)
}

/// Decodes PNG bytes to 8-bit grey (`path` is only for messages).
///
/// Colour images are converted by libpng (luminance, computed in linear
/// light, so a pure-grey RGB pixel comes back unchanged); an alpha channel
/// is composited onto black, matching the dark background of MNIST-style
/// images. 16-bit images are reduced to 8 bits.
public func decodePNG(_ bytes: [UInt8], path: String) throws -> GrayImage {
    guard bytes.count >= 8, Array(bytes[0..<8]) == pngSignature else {
        throw DataError.notPNG(path: path)
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }  // safe after libpng has freed it on error

    let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard began != 0 else { throw DataError.badImage(path: path, detail: pngMessage(&image)) }

    let width = Int(image.width), height = Int(image.height)
    let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
    guard !overflow, pixelCount <= 1 << 31 else {
        throw DataError.badImage(path: path, detail: "image of \(width)×\(height) is too large")
    }
    image.format = formatGray
    var black = png_color(red: 0, green: 0, blue: 0)
    var failed = false
    let pixels = [UInt8](unsafeUninitializedCapacity: pixelCount) { buf, initialized in
        // Zero first: libpng composites onto the buffer contents in some paths.
        if pixelCount > 0 { buf.baseAddress!.initialize(repeating: 0, count: pixelCount) }
        initialized = pixelCount
        failed = png_image_finish_read(&image, &black, buf.baseAddress, Int32(width), nil) == 0
    }
    if failed { throw DataError.badImage(path: path, detail: pngMessage(&image)) }
    return GrayImage(width: width, height: height, pixels: pixels)
}

/// Writes 8-bit pixels as PNG. `channels` is 1 (grey), 3 (RGB) or 4 (RGBA);
/// `pixels` is row-major, `width * height * channels` bytes.
public func writePNG(path: String, width: Int, height: Int, pixels: [UInt8], channels: Int) throws {
    let format: UInt32
    switch channels {
    case 1: format = formatGray
    case 2: format = formatGA
    case 3: format = formatRGB
    case 4: format = formatRGBA
    default: throw DataError.invalidArgument(path: path, detail: "PNG needs 1, 2, 3 or 4 channels, got \(channels)")
    }
    guard width > 0, height > 0, width <= Int(Int32.max) / 4, height <= Int(Int32.max) else {
        throw DataError.invalidArgument(path: path, detail: "cannot write a \(width)×\(height) PNG")
    }
    guard pixels.count == width * height * channels else {
        throw DataError.invalidArgument(
            path: path,
            detail: "\(width)×\(height)×\(channels) PNG needs \(width * height * channels) bytes, got \(pixels.count)")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    defer { png_image_free(&image) }
    let ok = pixels.withUnsafeBytes {
        png_image_write_to_file(&image, path, 0, $0.baseAddress, Int32(width * channels), nil)
    }
    if ok == 0 { throw DataError.cannotWrite(path: path, reason: pngMessage(&image)) }
}

/// Convenience for a greyscale image.
public func writePNG(path: String, image: GrayImage) throws {
    try writePNG(path: path, width: image.width, height: image.height, pixels: image.pixels, channels: 1)
}

/// libpng's NUL-terminated `message` field (a fixed-size C array, imported as a tuple).
private func pngMessage(_ image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { raw -> String in
        let bytes = raw.prefix(while: { $0 != 0 })
        return String(decoding: bytes, as: UTF8.self)
    }
    return text.isEmpty ? "libpng error" : text
}
