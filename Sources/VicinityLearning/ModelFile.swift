import Foundation
import VicinityMath

/// A trained model on disk: named F32 tensors plus string metadata, stored as a
/// safetensors container whose metadata marks it as a Vicinity model
/// (`format` = `vicinity-model`, `format_version` = `1`).
///
/// Structured metadata (architecture, hyperparameters, label names, ...) is stored
/// as JSON-encoded strings; see `setMetadata(_:forKey:)` and `metadata(_:forKey:)`.
public struct ModelFile: Sendable {
    public static let formatKey = "format"
    public static let formatVersionKey = "format_version"
    public static let formatName = "vicinity-model"
    public static let formatVersion = "1"
    /// Used in error messages for a model that has no file yet.
    public static let inMemorySource = "<in-memory model>"

    /// String metadata, always including the format keys.
    public var metadata: [String: String]
    /// Tensors by name; written in sorted name order.
    public var tensors: [String: Tensor]
    /// The path this model was last read from or written to; names the file in errors.
    public var source: String

    public init(metadata: [String: String] = [:], tensors: [String: Tensor] = [:]) {
        var metadata = metadata
        metadata[Self.formatKey] = Self.formatName
        metadata[Self.formatVersionKey] = Self.formatVersion
        self.metadata = metadata
        self.tensors = tensors
        self.source = Self.inMemorySource
    }

    /// Tensor names in the order they are written.
    public var tensorNames: [String] { tensors.keys.sorted() }

    // MARK: Reading and writing

    /// The bytes `write(to:)` stores.
    public func encoded() throws -> Data {
        var metadata = self.metadata
        metadata[Self.formatKey] = Self.formatName
        metadata[Self.formatVersionKey] = Self.formatVersion
        return try SafeTensors.encode(metadata: metadata, tensors: tensors, source: source)
    }

    /// Writes the model atomically: to a temporary file in the same directory,
    /// flushed, then renamed over `path`. Readers never see a partial file.
    public mutating func write(to path: String) throws {
        source = path
        let data = try encoded()
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        func fail(_ reason: String) -> ModelFileError { ModelFileError(path: path, kind: .unwritable(reason: reason)) }

        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw fail("cannot create temporary file \(temporary.path) (does the directory exist and is it writable?)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try handle.write(contentsOf: data)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw fail("cannot rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as ModelFileError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw fail("\(error.localizedDescription)")
        }
    }

    /// Reads and validates a model file. See `SafeTensors.decode` for the checks;
    /// in addition the format metadata must name a supported Vicinity model.
    public static func read(from path: String) throws -> ModelFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw ModelFileError(path: path, kind: .unreadable(reason: reason))
        }
        return try decode(data, source: path)
    }

    /// Decodes a model from bytes; `source` names the file in errors.
    public static func decode(_ data: Data, source: String = inMemorySource) throws -> ModelFile {
        let contents = try SafeTensors.decode(data, source: source)
        func fail(_ kind: ModelFileError.Kind) -> ModelFileError { ModelFileError(path: source, kind: kind) }
        guard let format = contents.metadata[formatKey] else { throw fail(.missingFormat) }
        guard format == formatName else { throw fail(.unsupportedFormat(found: format)) }
        guard let version = contents.metadata[formatVersionKey] else { throw fail(.missingFormatVersion) }
        guard version == formatVersion else { throw fail(.unsupportedFormatVersion(found: version)) }
        var model = ModelFile(metadata: contents.metadata, tensors: contents.tensors)
        model.source = source
        return model
    }

    // MARK: Tensors

    private func fail(_ kind: ModelFileError.Kind) -> ModelFileError { ModelFileError(path: source, kind: kind) }

    /// The tensor called `name`, which must exist and have exactly `shape`.
    public func tensor(_ name: String, shape expected: [Int]) throws -> Tensor {
        let tensor = try tensor(name)
        guard tensor.shape == expected else {
            throw fail(.shapeMismatch(tensor: name, expected: expected, actual: tensor.shape))
        }
        return tensor
    }

    /// The tensor called `name`, which must exist.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw fail(.missingTensor(name: name, available: tensorNames)) }
        return tensor
    }

    /// The rank-2 tensor `name` as a `rows × cols` matrix.
    public func matrix(_ name: String, rows: Int, cols: Int) throws -> Matrix {
        Matrix(rows: rows, cols: cols, storage: try tensor(name, shape: [rows, cols]).values)
    }

    /// The rank-1 tensor `name`, which must hold `count` values (e.g. a bias).
    public func vector(_ name: String, count: Int) throws -> [Float] {
        try tensor(name, shape: [count]).values
    }

    /// Stores `matrix` as a rank-2 tensor.
    public mutating func setMatrix(_ matrix: Matrix, forName name: String) {
        tensors[name] = Tensor(matrix)
    }

    /// Stores `vector` as a rank-1 tensor.
    public mutating func setVector(_ vector: [Float], forName name: String) {
        tensors[name] = Tensor(vector: vector)
    }

    // MARK: Structured metadata

    /// Stores `value` JSON-encoded (sorted keys) under `key`.
    public mutating func setMetadata<T: Encodable>(_ value: T, forKey key: String) throws {
        guard key != Self.formatKey, key != Self.formatVersionKey else {
            throw fail(.reservedMetadataKey(key: key))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            metadata[key] = String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw fail(.invalidMetadata(key: key, reason: "cannot encode \(T.self) as JSON: \(error)"))
        }
    }

    /// Decodes the JSON string under `key` as `T`; `nil` when the key is absent.
    public func metadata<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T? {
        guard let text = metadata[key] else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw fail(
                .invalidMetadata(key: key, reason: "cannot decode \(T.self) from \(text.debugDescription): \(error)"))
        }
    }

    /// Like `metadata(_:forKey:)` but the key must be present.
    public func requireMetadata<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T {
        guard let value = try metadata(type, forKey: key) else { throw fail(.missingMetadata(key: key)) }
        return value
    }

    /// The JSON string under `key` parsed with `JSONSerialization` (fragments
    /// allowed); `nil` when the key is absent.
    public func metadataJSON(_ key: String) throws -> Any? {
        guard let text = metadata[key] else { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw fail(.invalidMetadata(key: key, reason: "not valid JSON: \(text.debugDescription)"))
        }
    }
}
