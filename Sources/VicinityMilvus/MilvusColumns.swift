import Foundation

/// Rows as Milvus takes and gives them: one `FieldData` column per field.
enum Column {
    static func strings(_ name: String, _ values: [String]) -> FieldData {
        .with {
            ($0.type, $0.fieldName) = (.varChar, name)
            $0.scalars.stringData.data = values
        }
    }

    static func longs(_ name: String, _ values: [Int]) -> FieldData {
        .with {
            ($0.type, $0.fieldName) = (.int64, name)
            $0.scalars.longData.data = values.map(Int64.init)
        }
    }

    static func floatVectors(_ name: String, dims: Int, _ values: [Float]) -> FieldData {
        .with {
            ($0.type, $0.fieldName) = (.floatVector, name)
            $0.vectors.dim = Int64(dims)
            $0.vectors.floatVector.data = values
        }
    }

    /// Packed bits, `bytes` per row; Milvus counts a binary vector's dimension in bits.
    static func binaryVectors(_ name: String, bytes: Int, _ values: [UInt8]) -> FieldData {
        .with {
            ($0.type, $0.fieldName) = (.binaryVector, name)
            $0.vectors.dim = Int64(bytes * 8)
            $0.vectors.binaryVector = Data(values)
        }
    }
}

/// Columns of a query or search reply, read by field name; a missing field reads as empty.
struct Columns: Sendable {
    var fields: [FieldData]

    func field(_ name: String) -> FieldData? { fields.first { $0.fieldName == name } }
    func strings(_ name: String) -> [String] { field(name)?.scalars.stringData.data ?? [] }
    func longs(_ name: String) -> [Int] { (field(name)?.scalars.longData.data ?? []).map { Int($0) } }
    func floats(_ name: String) -> [Float] { field(name)?.vectors.floatVector.data ?? [] }
    func bytes(_ name: String) -> [UInt8] { field(name).map { [UInt8]($0.vectors.binaryVector) } ?? [] }
}

/// A string literal of Milvus's expression language (Go's quoting: backslash and quote escaped).
func milvusLiteral(_ text: String) -> String {
    var out = "\""
    for c in text.unicodeScalars {
        switch c {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

/// Little-endian float32 bytes: one query vector of a search's placeholder group.
func littleEndianBytes(_ vector: [Float]) -> Data {
    var data = Data(capacity: vector.count * 4)
    for v in vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    return data
}
