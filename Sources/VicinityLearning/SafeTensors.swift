import Foundation
import VicinityMath

/// Element types the safetensors reader understands. Every type is converted to
/// `Float` on read; the writer always emits `F32`.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f64 = "F64"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i8 = "I8"
    case u8 = "U8"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .i8, .u8: return 1
        }
    }

    /// Whether values of this type can be NaN or infinite (before conversion).
    var isFloatingPoint: Bool {
        switch self {
        case .f32, .f64, .f16, .bf16: return true
        case .i64, .i32, .i8, .u8: return false
        }
    }
}

/// A dense tensor of `Float` values in row-major order.
public struct Tensor: Sendable, Equatable {
    /// Dimensions, outermost first; `[]` is a scalar, `[n]` a vector, `[rows, cols]` a matrix.
    public var shape: [Int]
    /// Row-major values; `values.count` equals the product of `shape`.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shapeText(shape)) has a negative dimension")
        precondition(
            values.count == shape.reduce(1, *),
            "Tensor of shape \(shapeText(shape)) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A rank-2 tensor holding the matrix's values.
    public init(_ matrix: Matrix) {
        self.shape = [matrix.rows, matrix.cols]
        self.values = matrix.storage
    }

    /// A rank-1 tensor (e.g. a bias vector).
    public init(vector: [Float]) {
        self.shape = [vector.count]
        self.values = vector
    }

    public var rank: Int { shape.count }
    /// Number of elements: the product of `shape`.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The values as a matrix when the tensor has rank 2, else `nil`.
    public var matrix: Matrix? {
        guard shape.count == 2, values.count == shape[0] * shape[1] else { return nil }
        return Matrix(rows: shape[0], cols: shape[1], storage: values)
    }

    /// The values when the tensor has rank 1, else `nil`.
    public var vector: [Float]? {
        shape.count == 1 ? values : nil
    }
}

/// The safetensors container: an 8-byte little-endian header length `N`, `N`
/// bytes of UTF-8 JSON header, then the raw little-endian tensor data.
///
/// The header maps `"__metadata__"` to an object of string values and every
/// tensor name to `{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}`,
/// offsets counted from the start of the data section.
public enum SafeTensors {
    public static let metadataKey = "__metadata__"

    /// A decoded container.
    public struct Contents: Sendable {
        public var metadata: [String: String]
        public var tensors: [String: Tensor]
        /// The dtype each tensor was stored as.
        public var dtypes: [String: SafeTensorsDType]
    }

    // MARK: Encoding

    /// Serializes tensors as F32, sorted by name and laid out contiguously, with
    /// the header padded with spaces to a multiple of 8 bytes.
    ///
    /// - Parameter source: the file name used in error messages.
    public static func encode(
        metadata: [String: String], tensors: [String: Tensor],
        source: String
    ) throws -> Data {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        entries.reserveCapacity(names.count + 1)
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
            entries.append(jsonString(metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            guard !name.isEmpty, name != metadataKey else {
                throw ModelFileError(path: source, kind: .invalidTensorName(name: name))
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }),
                let count = elementCount(tensor.shape), count == tensor.values.count
            else {
                throw ModelFileError(
                    path: source,
                    kind: .valueCountMismatch(
                        tensor: name, shape: tensor.shape, valueCount: tensor.values.count))
            }
            if let bad = firstNonFinite(tensor.values) {
                throw ModelFileError(
                    path: source,
                    kind: .nonFiniteValue(
                        tensor: name, index: bad, value: tensor.values[bad]))
            }
            let end = offset + count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(
                jsonString(name) + ":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            let values = tensors[name]!.values
            #if _endian(big)
                let swapped = values.map { $0.bitPattern.littleEndian }
                swapped.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
                values.withUnsafeBytes { out.append(contentsOf: $0) }
            #endif
        }
        return out
    }

    // MARK: Helpers

    /// Product of the dimensions, or `nil` on overflow.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dim in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Index of the first NaN or infinite value.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { buffer in
            // Exponent bits all ones ⇔ NaN or ±infinity.
            buffer.withMemoryRebound(to: UInt32.self) { bits in
                for i in bits.indices where bits[i] & 0x7F80_0000 == 0x7F80_0000 { return i }
                return nil
            }
        }
    }

    /// Converts `count` little-endian elements of `dtype` to `Float`.
    static func convert(_ bytes: UnsafeRawBufferPointer, dtype: SafeTensorsDType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                #if _endian(little)
                    if count > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes) }
                #else
                    for i in 0..<count {
                        out[i] = Float(
                            bitPattern: UInt32(
                                littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                #endif
            case .f64:
                for i in 0..<count {
                    let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    out[i] = Float(Double(bitPattern: bits))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .f16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = halfToFloat(bits)
                }
            case .i64:
                for i in 0..<count {
                    out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                }
            case .i32:
                for i in 0..<count {
                    out[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                }
            case .i8:
                for i in 0..<count { out[i] = Float(bytes.load(fromByteOffset: i, as: Int8.self)) }
            case .u8:
                for i in 0..<count { out[i] = Float(bytes[i]) }
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 → binary32 (exact).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }

    /// A JSON string literal for `s`.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
