/// The EXIF orientation (1…8) of a JPEG file's APP1 segment; 1 (as stored) when there is none
/// or it cannot be read. Only the markers before the first scan are looked at.
func jpegOrientation(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var p = 2
    while p + 4 <= bytes.count, bytes[p] == 0xFF {
        let marker = bytes[p + 1]
        if marker == 0xDA || marker == 0xD9 { break }  // start of scan / end of image
        if marker == 0xFF { p += 1; continue }  // fill byte
        let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
        guard length >= 2, p + 2 + length <= bytes.count else { break }
        if marker == 0xE1, length >= 16, Array(bytes[(p + 4)..<(p + 10)]) == Array("Exif\0\0".utf8) {
            return tiffOrientation(UnsafeBufferPointer(rebasing: bytes[(p + 10)..<(p + 2 + length)])) ?? 1
        }
        p += 2 + length
    }
    return 1
}

/// Tag 0x0112 of the first IFD of a TIFF header.
private func tiffOrientation(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
    guard t.count >= 8 else { return nil }
    let little: Bool
    switch (t[0], t[1]) {
    case (0x49, 0x49): little = true
    case (0x4D, 0x4D): little = false
    default: return nil
    }
    func u16(_ i: Int) -> Int? {
        guard i >= 0, i + 2 <= t.count else { return nil }
        return little ? Int(t[i]) | Int(t[i + 1]) << 8 : Int(t[i]) << 8 | Int(t[i + 1])
    }
    func u32(_ i: Int) -> Int? {
        guard let a = u16(i), let b = u16(i + 2) else { return nil }
        return little ? a | b << 16 : a << 16 | b
    }
    guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
    for e in 0..<entries {
        let at = ifd + 2 + 12 * e
        guard let tag = u16(at) else { return nil }
        if tag == 0x0112 {
            guard u16(at + 2) == 3, let value = u16(at + 8), (1...8).contains(value) else { return nil }
            return value
        }
    }
    return nil
}

extension Bitmap {
    /// Whether an EXIF orientation swaps width and height (5–8 turn the picture a quarter).
    static func orientationSwapsSides(_ orientation: Int) -> Bool { orientation >= 5 && orientation <= 8 }

    /// The picture as it is meant to be seen, for a stored picture of EXIF orientation 1…8
    /// (2 mirrored, 3 turned half, 4 flipped, 5 transposed, 6 turned a quarter clockwise to view,
    /// 7 transversed, 8 a quarter anticlockwise).
    func oriented(_ orientation: Int) -> Bitmap {
        guard orientation >= 2 && orientation <= 8 else { return self }
        let (w, h, c) = (width, height, channels)
        let swap = Self.orientationSwapsSides(orientation)
        let (ow, oh) = swap ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy): (Int, Int)
                        switch orientation {
                        case 2: (sx, sy) = (w - 1 - x, y)
                        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case 4: (sx, sy) = (x, h - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, h - 1 - x)
                        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                        default: (sx, sy) = (w - 1 - y, x)
                        }
                        let s = (sy * w + sx) * c, d = (y * ow + x) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return Bitmap(width: ow, height: oh, channels: c, pixels: out)
    }
}
