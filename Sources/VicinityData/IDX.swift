import VicinityMath

/// An n-dimensional array in the IDX format used by (Fashion-)MNIST.
///
/// File layout (all big-endian): two zero bytes, a type code, the number of
/// dimensions n, then n UInt32 sizes, then the elements in row-major order.
public struct IDXArray: Sendable, Equatable {
    public enum ElementType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        public var byteWidth: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }

        public var description: String {
            switch self {
            case .uint8: return "unsigned byte"
            case .int8: return "signed byte"
            case .int16: return "int16"
            case .int32: return "int32"
            case .float32: return "float32"
            case .float64: return "float64"
            }
        }
    }

    /// The elements, already converted to host byte order.
    public enum Elements: Sendable, Equatable {
        case uint8([UInt8])
        case int8([Int8])
        case int16([Int16])
        case int32([Int32])
        case float32([Float])
        case float64([Double])

        public var count: Int {
            switch self {
            case .uint8(let a): return a.count
            case .int8(let a): return a.count
            case .int16(let a): return a.count
            case .int32(let a): return a.count
            case .float32(let a): return a.count
            case .float64(let a): return a.count
            }
        }

        public var type: ElementType {
            switch self {
            case .uint8: return .uint8
            case .int8: return .int8
            case .int16: return .int16
            case .int32: return .int32
            case .float32: return .float32
            case .float64: return .float64
            }
        }
    }

    public let dims: [Int]
    public let elements: Elements

    public var type: ElementType { elements.type }
    public var count: Int { elements.count }

    /// Traps unless the product of `dims` equals the element count.
    public init(dims: [Int], elements: Elements) {
        precondition(!dims.isEmpty && dims.count <= 255, "IDX needs 1…255 dimensions, got \(dims.count)")
        precondition(dims.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) }, "IDX dimensions must fit in UInt32: \(dims)")
        precondition(
            dims.reduce(1, *) == elements.count,
            "IDX dims \(dims) need \(dims.reduce(1, *)) elements, got \(elements.count)")
        self.dims = dims
        self.elements = elements
    }

    /// Every element as Float (no scaling).
    public func floats() -> [Float] {
        switch elements {
        case .uint8(let a): return a.map { Float($0) }
        case .int8(let a): return a.map { Float($0) }
        case .int16(let a): return a.map { Float($0) }
        case .int32(let a): return a.map { Float($0) }
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        }
    }
}

// MARK: - Reading

/// Reads an IDX file, gzip-compressed or not.
public func readIDX(_ path: String) throws -> IDXArray {
    try decodeIDX(try readFileBytes(path), path: path)
}

/// Parsed IDX header: where the data starts and how much of it there must be.
struct IDXHeader {
    var type: IDXArray.ElementType
    var dims: [Int]
    var count: Int
    var dataOffset: Int
}

func idxMagic(_ bytes: [UInt8]) -> UInt32 {
    bytes.count < 4 ? 0 : UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
}

/// Checks magic, type code, dimension count and data length.
func parseIDXHeader(_ bytes: [UInt8], path: String) throws -> IDXHeader {
    guard bytes.count >= 4 else {
        throw DataError.truncated(path: path, detail: "file has \(bytes.count) bytes, too short for an IDX header")
    }
    let magic = idxMagic(bytes)
    guard bytes[0] == 0, bytes[1] == 0, let type = IDXArray.ElementType(rawValue: bytes[2]) else {
        throw DataError.malformed(
            path: path,
            detail:
                "bad magic \(hex32(magic)) (an IDX file starts with 0x0000, a type code 08/09/0B/0C/0D/0E and a dimension count)"
        )
    }
    let ndims = Int(bytes[3])
    guard ndims >= 1 else {
        throw DataError.malformed(path: path, detail: "bad magic \(hex32(magic)): dimension count is 0")
    }
    let headerSize = 4 + 4 * ndims
    guard bytes.count >= headerSize else {
        throw DataError.truncated(
            path: path,
            detail: "header declares \(ndims) dimensions (\(headerSize) header bytes), file has \(bytes.count) bytes")
    }
    var dims: [Int] = []
    var count = 1
    var overflow = false
    for d in 0..<ndims {
        let o = 4 + 4 * d
        let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        dims.append(v)
        let (p, o1) = count.multipliedReportingOverflow(by: v)
        count = p
        overflow = overflow || o1
    }
    let (need, o2) = count.multipliedReportingOverflow(by: type.byteWidth)
    let shape = dims.map(String.init).joined(separator: "×")
    let widthNote = type.byteWidth == 1 ? "" : " × \(type.byteWidth)"
    if overflow || o2 {
        throw DataError.malformed(path: path, detail: "dimensions \(shape) are too large")
    }
    let have = bytes.count - headerSize
    if have < need {
        throw DataError.truncated(
            path: path, detail: "header says \(shape)\(widthNote) = \(need) bytes of data, file has \(have)")
    }
    if have > need {
        throw DataError.malformed(
            path: path,
            detail: "header says \(shape)\(widthNote) = \(need) bytes of data, file has \(have) (\(have - need) extra)")
    }
    return IDXHeader(type: type, dims: dims, count: count, dataOffset: headerSize)
}

/// Decodes IDX bytes already in memory (`path` is only for messages).
public func decodeIDX(_ bytes: [UInt8], path: String) throws -> IDXArray {
    let h = try parseIDXHeader(bytes, path: path)
    let n = h.count
    let elements: IDXArray.Elements = bytes.withUnsafeBytes { raw in
        let src = UnsafeRawBufferPointer(rebasing: raw[h.dataOffset...])
        switch h.type {
        case .uint8:
            return .uint8(Array(src))
        case .int8:
            return .int8(src.map { Int8(bitPattern: $0) })
        case .int16:
            return .int16(decodeBigEndian(src, count: n) { (b: UInt16) in Int16(bitPattern: UInt16(bigEndian: b)) })
        case .int32:
            return .int32(decodeBigEndian(src, count: n) { (b: UInt32) in Int32(bitPattern: UInt32(bigEndian: b)) })
        case .float32:
            return .float32(decodeBigEndian(src, count: n) { (b: UInt32) in Float(bitPattern: UInt32(bigEndian: b)) })
        case .float64:
            return .float64(decodeBigEndian(src, count: n) { (b: UInt64) in Double(bitPattern: UInt64(bigEndian: b)) })
        }
    }
    return IDXArray(dims: h.dims, elements: elements)
}

/// Loads `count` unaligned words and converts each; the tight loop the
/// multi-byte IDX types go through.
@inline(__always)
private func decodeBigEndian<Word, Out>(
    _ src: UnsafeRawBufferPointer, count: Int,
    _ convert: (Word) -> Out
) -> [Out] {
    let width = MemoryLayout<Word>.size
    return [Out](unsafeUninitializedCapacity: count) { dst, initialized in
        guard let base = src.baseAddress else { initialized = 0; return }
        for i in 0..<count {
            dst[i] = convert(base.loadUnaligned(fromByteOffset: i * width, as: Word.self))
        }
        initialized = count
    }
}

// MARK: - Writing

/// Encodes an IDX array into bytes (big-endian, as the format requires).
public func encodeIDX(_ array: IDXArray) -> [UInt8] {
    var out: [UInt8] = [0, 0, array.type.rawValue, UInt8(array.dims.count)]
    out.reserveCapacity(4 + 4 * array.dims.count + array.count * array.type.byteWidth)
    for d in array.dims {
        let v = UInt32(d)
        out += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }
    switch array.elements {
    case .uint8(let a): out += a
    case .int8(let a): a.withUnsafeBytes { out += $0 }
    case .int16(let a): appendBigEndian(&out, a) { UInt16(bitPattern: $0).bigEndian }
    case .int32(let a): appendBigEndian(&out, a) { UInt32(bitPattern: $0).bigEndian }
    case .float32(let a): appendBigEndian(&out, a) { $0.bitPattern.bigEndian }
    case .float64(let a): appendBigEndian(&out, a) { $0.bitPattern.bigEndian }
    }
    return out
}

private func appendBigEndian<In, Word>(_ out: inout [UInt8], _ values: [In], _ convert: (In) -> Word) {
    let swapped = values.map(convert)
    swapped.withUnsafeBytes { out += $0 }
}

/// Writes an IDX file; gzip-compressed when `path` ends in `.gz`.
public func writeIDX(_ array: IDXArray, to path: String) throws {
    try writeFileBytes(path, encodeIDX(array))
}

// MARK: - Images and labels

/// Reads an N×rows×cols unsigned-byte IDX file into an N×(rows·cols) matrix
/// with every pixel divided by 255, so values lie in [0, 1].
public func readIDXImages(_ path: String) throws -> (images: Matrix, rows: Int, cols: Int) {
    try decodeIDXImages(try readFileBytes(path), path: path)
}

func decodeIDXImages(_ bytes: [UInt8], path: String) throws -> (images: Matrix, rows: Int, cols: Int) {
    try requireMagic(bytes, 0x0000_0803, meaning: "unsigned-byte images", path: path)
    let h = try parseIDXHeader(bytes, path: path)
    let (n, rows, cols) = (h.dims[0], h.dims[1], h.dims[2])
    let images = Matrix(
        rows: n, cols: rows * cols, storage: bytesToUnitFloats(bytes, from: h.dataOffset, count: h.count))
    return (images, rows, cols)
}

/// Checks the exact magic first, so a wrong file type is named by what was expected.
private func requireMagic(_ bytes: [UInt8], _ expected: UInt32, meaning: String, path: String) throws {
    let magic = idxMagic(bytes)
    guard magic != expected else { return }
    if bytes.count < 4 {
        throw DataError.truncated(path: path, detail: "file has \(bytes.count) bytes, too short for an IDX header")
    }
    throw DataError.badMagic(path: path, found: magic, expected: expected, meaning: meaning)
}

/// Reads an N unsigned-byte IDX labels file.
public func readIDXLabels(_ path: String) throws -> [Int] {
    try decodeIDXLabels(try readFileBytes(path), path: path)
}

func decodeIDXLabels(_ bytes: [UInt8], path: String) throws -> [Int] {
    try requireMagic(bytes, 0x0000_0801, meaning: "unsigned-byte labels", path: path)
    let h = try parseIDXHeader(bytes, path: path)
    return bytes[h.dataOffset...].map { Int($0) }
}

/// Pixel bytes → Float in [0, 1]. Division (not multiplication by 1/255)
/// so that 255 maps to exactly 1 and k/255 is correctly rounded; the loop
/// vectorises either way.
func bytesToUnitFloats(_ bytes: [UInt8], from offset: Int, count: Int) -> [Float] {
    precondition(offset >= 0 && offset + count <= bytes.count)
    if count == 0 { return [] }
    return [Float](unsafeUninitializedCapacity: count) { dst, initialized in
        bytes.withUnsafeBufferPointer { src in
            let s = src.baseAddress! + offset
            let d = dst.baseAddress!
            for i in 0..<count { d[i] = Float(s[i]) / 255 }
        }
        initialized = count
    }
}
