import Foundation
import VicinityMath

/// A numpy `.npy` array (format versions 1–3): its element type, shape, and the raw data.
/// Only C order (row-major) and little-endian or byte-sized types are read.
public struct NPYArray: Sendable {
    public enum Kind: String, Sendable {
        case float32 = "<f4", float64 = "<f8", int8 = "|i1", uint8 = "|u1", int16 = "<i2",
            uint16 = "<u2", int32 = "<i4", uint32 = "<u4", int64 = "<i8", uint64 = "<u8", bool = "|b1"
    }
    public let kind: Kind
    public let shape: [Int]
    /// The elements' bytes, little-endian, row-major.
    public let data: [UInt8]

    public var count: Int { shape.reduce(1, *) }
    var width: Int { Int(kind.rawValue.dropFirst(2))! }

    /// Element i as a Double (exact for every integer type up to 2⁵³ and for both floats).
    public func double(_ i: Int) -> Double {
        data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + i * width
            switch kind {
            case .float32: return Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))))
            case .float64: return Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
            case .int8: return Double(p.load(as: Int8.self))
            case .uint8, .bool: return Double(p.load(as: UInt8.self))
            case .int16: return Double(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
            case .uint16: return Double(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
            case .int32: return Double(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
            case .uint32: return Double(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            case .int64: return Double(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
            case .uint64: return Double(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
            }
        }
    }

    /// A float32 or float64 array of shape (N, D) as an N×D Float matrix (float64 rounded to nearest).
    public func floatMatrix(path: String) throws -> Matrix {
        guard shape.count == 2 else {
            throw DataError.malformed(path: path, detail: "expected a 2-D array (N, D), got shape \(shape)")
        }
        guard kind == .float32 || kind == .float64 else {
            throw DataError.unsupported(
                path: path, detail: "vectors of dtype \(kind.rawValue) (float32 or float64 are read)")
        }
        if kind == .float32 {
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyBytes(from: data) }
            return Matrix(rows: shape[0], cols: shape[1], storage: values)
        }
        let values = (0..<count).map { Float(double($0)) }
        if let i = values.indices.first(where: { !values[$0].isFinite && double($0).isFinite }) {
            throw DataError.malformed(
                path: path, detail: "value \(double(i)) (row \(i / shape[1])) is beyond float32's range")
        }
        return Matrix(rows: shape[0], cols: shape[1], storage: values)
    }
}

/// Reads a `.npy` file, naming what is wrong when it is not one Vicinity reads.
public func readNPY(_ path: String) throws -> NPYArray {
    let bytes = try readRawFileBytes(path)
    let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
        throw DataError.malformed(path: path, detail: "not a .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let (lengthBytes, headerStart): (Int, Int) = major == 1 ? (2, 10) : (4, 12)
    guard major >= 1 && major <= 3, bytes.count >= headerStart else {
        throw DataError.unsupported(path: path, detail: ".npy format version \(major)")
    }
    var headerLength = 0
    for k in 0..<lengthBytes { headerLength |= Int(bytes[8 + k]) << (8 * k) }
    guard headerStart + headerLength <= bytes.count else {
        throw DataError.truncated(path: path, detail: "header runs past the end")
    }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    func field(_ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }
    let kind = try npyKind(field("descr"), header: header, path: path)
    guard let fortran = field("fortran_order") else {
        throw DataError.malformed(path: path, detail: "header has no fortran_order")
    }
    if fortran.hasPrefix("True") {
        throw DataError.unsupported(path: path, detail: "Fortran-order array (save it with np.ascontiguousarray)")
    }
    let shape = try npyShape(field("shape"), path: path)
    let width = Int(kind.rawValue.dropFirst(2))!
    let dataStart = headerStart + headerLength
    let need = shape.reduce(1, *) * width
    guard bytes.count - dataStart >= need else {
        throw DataError.truncated(
            path: path, detail: "shape \(shape) needs \(need) bytes of data, file has \(bytes.count - dataStart)")
    }
    return NPYArray(kind: kind, shape: shape, data: Array(bytes[dataStart..<(dataStart + need)]))
}

/// The dtype a header's `descr` names (one-byte types in either byte-order spelling).
private func npyKind(_ descrField: String?, header: String, path: String) throws -> NPYArray.Kind {
    guard let descrField, let quote = descrField.first, quote == "'" || quote == "\"",
        let end = descrField.dropFirst().firstIndex(of: quote)
    else {
        throw DataError.malformed(path: path, detail: "header has no descr: \(header)")
    }
    var descr = String(descrField[descrField.index(after: descrField.startIndex)..<end])
    if descr == "<u1" || descr == "|u1" {
        descr = "|u1"
    } else if descr == "<i1" {
        descr = "|i1"
    } else if descr == "<b1" {
        descr = "|b1"
    }
    guard let kind = NPYArray.Kind(rawValue: descr) else {
        throw DataError.unsupported(path: path, detail: "dtype \(descr) (little-endian floats and integers are read)")
    }
    return kind
}

/// The shape tuple of a header's `shape` field.
private func npyShape(_ shapeField: String?, path: String) throws -> [Int] {
    guard let shapeField, let open = shapeField.firstIndex(of: "("),
        let close = shapeField.firstIndex(of: ")")
    else {
        throw DataError.malformed(path: path, detail: "header has no shape")
    }
    let dims = shapeField[shapeField.index(after: open)..<close].split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
    }
    .filter { !$0.isEmpty }
    return try dims.map { text -> Int in
        guard let n = Int(text), n >= 0 else {
            throw DataError.malformed(path: path, detail: "bad shape \(shapeField)")
        }
        return n
    }
}

/// Writes a little-endian, C-order `.npy` (format 1.0) of float32 (N, D) or uint8 (N, W) rows.
public func writeNPY(path: String, kind: NPYArray.Kind, shape: [Int], data: [UInt8]) throws {
    var header =
        "{'descr': '\(kind.rawValue)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var out: [UInt8] =
        [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    out += Array(header.utf8)
    out += data
    try writeRawFileBytes(path, out)
}

public func writeNPY(path: String, _ m: Matrix) throws {
    let data = m.storage.withUnsafeBytes { Array($0) }
    try writeNPY(path: path, kind: .float32, shape: [m.rows, m.cols], data: data)
}

extension NPYArray {
    /// Training data from a .npy: uint8 images (N, D), (N, H, W) or (N, H, W, C) with C 1 or 3, scaled
    /// by 1/255 as IDX bytes are; float32/float64 rows (N, D) taken as they are.
    public func features(path: String) throws -> (matrix: Matrix, geometry: ImageGeometry) {
        guard shape.count >= 2, shape[0] > 0 else {
            throw DataError.malformed(
                path: path, detail: "expected (N, D) or (N, H, W[, C]) with N ≥ 1, got shape \(shape)")
        }
        if kind == .uint8 {
            let channels = shape.count == 4 ? shape[3] : 1
            guard shape.count <= 4, channels == 1 || channels == 3 else {
                throw DataError.unsupported(
                    path: path, detail: "uint8 images of shape \(shape) (N, D), (N, H, W) or (N, H, W, 1|3)")
            }
            let (h, w) = shape.count == 2 ? guessedShape(shape[1]) : (shape[1], shape[2])
            let values = data.map { Float($0) / 255 }
            return (
                Matrix(rows: shape[0], cols: count / shape[0], storage: values),
                ImageGeometry(height: h, width: w, channels: channels)
            )
        }
        let m = try floatMatrix(path: path)
        let (h, w) = guessedShape(m.cols)
        return (m, ImageGeometry(height: h, width: w, channels: 1))
    }

    /// An integer array of shape (N,) or (N, 1) as labels in −1…2³¹−1.
    public func labels(path: String) throws -> [Int] {
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1), ![.float32, .float64].contains(kind) else {
            throw DataError.malformed(
                path: path, detail: "labels must be a 1-D integer array, got dtype \(kind.rawValue) and shape \(shape)")
        }
        return try (0..<count).map { i in
            let v = double(i)
            guard v >= -1 && v <= Double(Int32.max) else {
                throw DataError.malformed(path: path, detail: "label \(v) of row \(i) (−1…2³¹−1 allowed)")
            }
            return Int(v)
        }
    }
}
