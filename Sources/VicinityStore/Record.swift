import Foundation

/// The binary encoding of one `items` value (all integers little-endian,
/// no alignment assumed when reading):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | version, `ItemRecord.version` (1) |
/// | 1 | 1 | flags, 0 (reserved) |
/// | 2 | 2 | D: float code length (UInt16) |
/// | 4 | 2 | W: packed-bit words (UInt16; 0 when the store keeps no bits) |
/// | 6 | 2 | S: source length in bytes (UInt16) |
/// | 8 | 4 | row: the item's dense row number (UInt32) |
/// | 12 | 4 | label (Int32, -1 = unknown) |
/// | 16 | 4·D | code, Float32 |
/// | 16+4D | 8·W | bits, UInt64 words; bit i of the code is bit i%64 of word i/64 |
/// | 16+4D+8W | S | source, UTF-8 (where the item came from, free text) |
///
/// Keeping the row in the record makes id → row a single lookup and lets a
/// full load place every record at its row in one cursor pass over `items`.
enum ItemRecord {
    static let version: UInt8 = 1
    static let headerSize = 16
    static let rowOffset = 8

    static func size(dims: Int, words: Int, sourceBytes: Int) -> Int {
        headerSize + 4 * dims + 8 * words + sourceBytes
    }

    /// Writes a record into `out`, which must have exactly `size(...)` bytes.
    static func encode(
        into out: UnsafeMutableRawBufferPointer, row: UInt32, label: Int32,
        code: UnsafeBufferPointer<Float>, bits: UnsafeBufferPointer<UInt64>, source: [UInt8]
    ) {
        precondition(out.count == size(dims: code.count, words: bits.count, sourceBytes: source.count))
        out.storeBytes(of: version, toByteOffset: 0, as: UInt8.self)
        out.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: UInt16(code.count).littleEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: UInt16(bits.count).littleEndian, toByteOffset: 4, as: UInt16.self)
        out.storeBytes(of: UInt16(source.count).littleEndian, toByteOffset: 6, as: UInt16.self)
        out.storeBytes(of: row.littleEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: label.littleEndian, toByteOffset: 12, as: Int32.self)
        var o = headerSize
        for f in code { out.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: o, as: UInt32.self); o += 4 }
        for w in bits { out.storeBytes(of: w.littleEndian, toByteOffset: o, as: UInt64.self); o += 8 }
        if !source.isEmpty {
            source.withUnsafeBytes {
                out.baseAddress!.advanced(by: o).copyMemory(from: $0.baseAddress!, byteCount: source.count)
            }
        }
    }

    static func encode(row: UInt32, label: Int32, code: [Float], bits: [UInt64], source: String) -> [UInt8] {
        let src = Array(source.utf8)
        var out = [UInt8](repeating: 0, count: size(dims: code.count, words: bits.count, sourceBytes: src.count))
        out.withUnsafeMutableBytes { o in
            code.withUnsafeBufferPointer { c in
                bits.withUnsafeBufferPointer { b in
                    encode(into: o, row: row, label: label, code: c, bits: b, source: src)
                }
            }
        }
        return out
    }

    /// The fixed-size header fields, validated against the value's length.
    struct Header {
        var dims: Int, words: Int, sourceBytes: Int, row: UInt32, label: Int32
    }

    static func header(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerSize, bytes[0] == version else { return nil }
        let d = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let w = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        let s = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)))
        guard bytes.count == size(dims: d, words: w, sourceBytes: s) else { return nil }
        return Header(
            dims: d, words: w, sourceBytes: s,
            row: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            label: Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: Int32.self)))
    }

    /// Copies the code into `out` (D floats).
    static func copyCode(_ bytes: UnsafeRawBufferPointer, _ h: Header, into out: UnsafeMutablePointer<Float>) {
        #if _endian(little)
            UnsafeMutableRawPointer(out).copyMemory(
                from: bytes.baseAddress!.advanced(by: headerSize), byteCount: 4 * h.dims)
        #else
            for j in 0..<h.dims {
                out[j] = Float(
                    bitPattern: UInt32(
                        littleEndian: bytes.loadUnaligned(fromByteOffset: headerSize + 4 * j, as: UInt32.self)))
            }
        #endif
    }

    static func bitWord(_ bytes: UnsafeRawBufferPointer, _ h: Header, _ i: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: headerSize + 4 * h.dims + 8 * i, as: UInt64.self))
    }

    static func source(_ bytes: UnsafeRawBufferPointer, _ h: Header) -> String {
        let start = headerSize + 4 * h.dims + 8 * h.words
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + h.sourceBytes]), as: UTF8.self)
    }
}
