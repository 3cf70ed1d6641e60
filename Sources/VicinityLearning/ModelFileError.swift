import Foundation

/// Everything that can go wrong reading, writing or querying a model file.
///
/// `description` always starts with the file the problem concerns (or
/// `<in-memory model>` for a model that was never read from or written to disk),
/// then says what is wrong and, where there is one, what to do about it.
public struct ModelFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The path of the file concerned, or `ModelFile.inMemorySource`.
    public let path: String
    /// What went wrong.
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        // Input/output.
        case unreadable(reason: String)
        case unwritable(reason: String)

        // Container layout.
        case truncated(byteCount: Int)
        case headerLengthExceedsFile(headerLength: UInt64, fileSize: Int)
        case headerNotUTF8
        case headerNotJSON(reason: String)
        case headerNotObject
        case metadataNotObject
        case metadataValueNotString(key: String)

        // Tensor entries.
        case tensorEntryNotObject(tensor: String)
        case missingField(tensor: String, field: String)
        case invalidField(tensor: String, field: String, reason: String)
        case unsupportedDType(tensor: String, dtype: String)
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataLength: Int)
        case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
        case overlappingTensors(first: String, second: String)
        case uncoveredData(begin: Int, end: Int, dataLength: Int)
        case nonFiniteValue(tensor: String, index: Int, value: Float)

        // Vicinity format metadata.
        case missingFormat
        case unsupportedFormat(found: String)
        case missingFormatVersion
        case unsupportedFormatVersion(found: String)

        // Writing.
        case invalidTensorName(name: String)
        case valueCountMismatch(tensor: String, shape: [Int], valueCount: Int)
        case reservedMetadataKey(key: String)

        // Queries.
        case missingTensor(name: String, available: [String])
        case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
        case missingMetadata(key: String)
        case invalidMetadata(key: String, reason: String)
    }

    public var description: String { "\(path): \(message)" }

    /// The message without the file name.
    public var message: String {
        switch kind {
        case .unreadable(let reason):
            return "cannot read model file: \(reason)"
        case .unwritable(let reason):
            return "cannot write model file: \(reason)"
        case .truncated(let n):
            return "file is \(n) byte\(n == 1 ? "" : "s") long, shorter than the 8-byte header length field; "
                + "it is truncated or not a model file"
        case .headerLengthExceedsFile(let length, let size):
            return "header length field says \(length) bytes but only \(max(size - 8, 0)) bytes follow it "
                + "(file is \(size) bytes); the file is truncated or not a model file"
        case .headerNotUTF8:
            return "header is not valid UTF-8; the file is corrupt or not a model file"
        case .headerNotJSON(let reason):
            return "header is not valid JSON (\(reason)); the file is corrupt or not a model file"
        case .headerNotObject:
            return "header JSON is not an object; expected {\"__metadata__\": {...}, \"<tensor>\": {...}, ...}"
        case .metadataNotObject:
            return "\"__metadata__\" is not an object of string values"
        case .metadataValueNotString(let key):
            return "metadata value for key \"\(key)\" is not a string (model files store every metadata value "
                + "as a string; structured values are JSON-encoded strings)"
        case .tensorEntryNotObject(let tensor):
            return "entry for tensor \"\(tensor)\" is not an object with dtype, shape and data_offsets"
        case .missingField(let tensor, let field):
            return
                "entry for tensor \"\(tensor)\" has no \"\(field)\" field (each tensor needs dtype, shape and data_offsets)"
        case .invalidField(let tensor, let field, let reason):
            return "field \"\(field)\" of tensor \"\(tensor)\" is invalid: \(reason)"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor \"\(tensor)\" has unsupported dtype \"\(dtype)\" (supported: "
                + SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .offsetsOutOfRange(let tensor, let begin, let end, let length):
            return "data_offsets [\(begin), \(end)] of tensor \"\(tensor)\" run past the end of the "
                + "\(length)-byte data section; the file is truncated or its header is corrupt"
        case .sizeMismatch(let tensor, let shape, let dtype, let expected, let actual):
            return "tensor \"\(tensor)\" has shape \(shapeText(shape)) of \(dtype), which needs \(expected) bytes, "
                + "but its data_offsets span \(actual) bytes"
        case .overlappingTensors(let first, let second):
            return "data of tensors \"\(first)\" and \"\(second)\" overlap"
        case .uncoveredData(let begin, let end, let length):
            return "bytes \(begin)..<\(end) of the \(length)-byte data section belong to no tensor; "
                + "the data section must be covered exactly by the tensors"
        case .nonFiniteValue(let tensor, let index, let value):
            return "tensor \"\(tensor)\" holds a non-finite value (\(value)) at flat index \(index); "
                + "refusing a model with NaN or infinite parameters"
        case .missingFormat:
            return "metadata has no \"\(ModelFile.formatKey)\" key, so this is not a Vicinity model file "
                + "(hint: a plain safetensors file can be read with SafeTensors.decode)"
        case .unsupportedFormat(let found):
            return "metadata \"\(ModelFile.formatKey)\" is \"\(found)\", expected \"\(ModelFile.formatName)\" "
                + "(hint: this file was not written by Vicinity)"
        case .missingFormatVersion:
            return "metadata has no \"\(ModelFile.formatVersionKey)\" key "
                + "(hint: expected \"\(ModelFile.formatVersion)\"; the file was not written by this version of Vicinity)"
        case .unsupportedFormatVersion(let found):
            return "unsupported \(ModelFile.formatKey) version \"\(found)\", this build reads version "
                + "\"\(ModelFile.formatVersion)\" (hint: the file was written by a different Vicinity version; "
                + "retrain or convert it)"
        case .invalidTensorName(let name):
            return "invalid tensor name \"\(name)\" (names must be non-empty and not \"\(SafeTensors.metadataKey)\")"
        case .valueCountMismatch(let tensor, let shape, let count):
            return "tensor \"\(tensor)\" has shape \(shapeText(shape)) but \(count) value\(count == 1 ? "" : "s")"
        case .reservedMetadataKey(let key):
            return "metadata key \"\(key)\" is reserved for the model file format"
        case .missingTensor(let name, let available):
            let list = available.isEmpty ? "none" : available.map { "\"\($0)\"" }.joined(separator: ", ")
            return "no tensor named \"\(name)\" (tensors present: \(list))"
        case .shapeMismatch(let tensor, let expected, let actual):
            return "tensor \"\(tensor)\" has shape \(shapeText(actual)), expected \(shapeText(expected))"
        case .missingMetadata(let key):
            return "metadata has no key \"\(key)\""
        case .invalidMetadata(let key, let reason):
            return "metadata value for key \"\(key)\" is invalid: \(reason)"
        }
    }
}

/// `[2, 3]` rendered as `[2, 3]`; a scalar as `[]`.
func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
