import CTurboJPEG

/// Decodes JPEG bytes through libjpeg-turbo to grey (for grey files) or RGB, with the EXIF
/// orientation applied. `atLeast` (width, height as seen, after orientation) lets the decoder
/// shrink by 1/2, 1/4 or 1/8 in the inverse DCT — the largest of these that keeps both sides at
/// least that big — which is several times faster than decoding in full and shrinking after.
/// Accurate (islow) IDCT and smooth upsampling, libjpeg's defaults. CMYK files are refused.
public func decodeJPEG(_ bytes: [UInt8], path: String, atLeast: (width: Int, height: Int)? = nil) throws -> Bitmap {
    guard let handle = tjInitDecompress() else {
        throw DataError.badImage(path: path, detail: "libjpeg-turbo could not start")
    }
    defer { tjDestroy(handle) }
    return try bytes.withUnsafeBufferPointer { buf -> Bitmap in
        guard let base = buf.baseAddress, buf.count >= 4, buf[0] == 0xFF, buf[1] == 0xD8 else {
            throw DataError.malformed(path: path, detail: "not a JPEG file")
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
        guard tjDecompressHeader3(handle, base, UInt(buf.count), &width, &height, &subsampling, &colourspace) == 0
        else {
            throw DataError.badImage(path: path, detail: jpegMessage(handle))
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= 1 << 28 else {
            throw DataError.badImage(path: path, detail: "JPEG of \(width)×\(height) is too large")
        }
        let cs = Int(colourspace)
        if cs == Int(TJCS_CMYK.rawValue) || cs == Int(TJCS_YCCK.rawValue) {
            throw DataError.unsupported(path: path, detail: "CMYK JPEG (convert it to RGB)")
        }
        let grey = cs == Int(TJCS_GRAY.rawValue)
        let orientation = jpegOrientation(buf)
        var denominator = 1
        if var need = atLeast {
            if Bitmap.orientationSwapsSides(orientation) { need = (need.height, need.width) }
            for d in [8, 4, 2] {
                let (sw, sh) = ((Int(width) + d - 1) / d, (Int(height) + d - 1) / d)
                if sw >= max(need.width, 1) && sh >= max(need.height, 1) { denominator = d; break }
            }
        }
        let w = (Int(width) + denominator - 1) / denominator, h = (Int(height) + denominator - 1) / denominator
        let channels = grey ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let status = pixels.withUnsafeMutableBufferPointer { out in
            tjDecompress2(
                handle, base, UInt(buf.count), out.baseAddress, Int32(w), Int32(w * channels), Int32(h),
                Int32(grey ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), 0)
        }
        // A warning (a truncated file, say) also returns -1: the picture is incomplete, so it is refused too.
        guard status == 0 else { throw DataError.badImage(path: path, detail: jpegMessage(handle)) }
        return Bitmap(width: w, height: h, channels: channels, pixels: pixels).oriented(orientation)
    }
}

/// libjpeg-turbo's message for the last error on `handle`.
private func jpegMessage(_ handle: tjhandle) -> String {
    guard let text = tjGetErrorStr2(handle) else { return "libjpeg-turbo error" }
    let s = String(cString: text)
    return s.isEmpty ? "libjpeg-turbo error" : s
}
