import Foundation
import VicinityMath

/// Reading: the header parsed and every tensor checked against it before anything is trusted.
extension SafeTensors {
    /// Parses and validates a whole container held in memory.
    ///
    /// Refuses truncated or inconsistent files, unsupported dtypes, data sections
    /// not covered exactly by the tensors and NaN/infinite values.
    /// - Parameter source: the file name used in error messages.
    public static func decode(_ data: Data, source: String) throws -> Contents {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Contents in
            try decode(raw, source: source)
        }
    }

    private struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    static func decode(_ raw: UnsafeRawBufferPointer, source: String) throws -> Contents {
        func fail(_ kind: ModelFileError.Kind) -> ModelFileError { ModelFileError(path: source, kind: kind) }

        let total = raw.count
        guard total >= 8 else { throw fail(.truncated(byteCount: total)) }
        let headerLength = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(total - 8) else {
            throw fail(.headerLengthExceedsFile(headerLength: headerLength, fileSize: total))
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = total - dataStart
        let header = try parseHeader(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]), fail: fail)

        // Metadata.
        var metadata: [String: String] = [:]
        if let meta = header[metadataKey] {
            guard case .object(let fields) = meta else { throw fail(.metadataNotObject) }
            for key in fields.keys.sorted() {
                guard case .string(let value) = fields[key]! else { throw fail(.metadataValueNotString(key: key)) }
                metadata[key] = value
            }
        }

        // Tensor entries, checked in name order so errors are deterministic.
        var entries: [Entry] = []
        for name in header.keys.sorted() where name != metadataKey {
            entries.append(try parseEntry(name: name, header[name]!, dataLength: dataLength, fail: fail))
        }

        // The data section must be tiled exactly: no overlaps, no gaps, no tail.
        let byOffset = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var cursorOwner = ""
        for entry in byOffset {
            if entry.begin < cursor { throw fail(.overlappingTensors(first: cursorOwner, second: entry.name)) }
            if entry.begin > cursor {
                throw fail(.uncoveredData(begin: cursor, end: entry.begin, dataLength: dataLength))
            }
            if entry.end > cursor || cursorOwner.isEmpty {
                cursor = entry.end
                cursorOwner = entry.name
            }
        }
        if cursor != dataLength { throw fail(.uncoveredData(begin: cursor, end: dataLength, dataLength: dataLength)) }

        // Values.
        var tensors: [String: Tensor] = [:]
        var dtypes: [String: SafeTensorsDType] = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
            let values = convert(bytes, dtype: entry.dtype, count: entry.count)
            if let bad = firstNonFinite(values) {
                throw fail(.nonFiniteValue(tensor: entry.name, index: bad, value: values[bad]))
            }
            tensors[entry.name] = Tensor(shape: entry.shape, values: values)
            dtypes[entry.name] = entry.dtype
        }
        return Contents(metadata: metadata, tensors: tensors, dtypes: dtypes)
    }

    private static func parseHeader(
        _ bytes: UnsafeRawBufferPointer,
        fail: (ModelFileError.Kind) -> ModelFileError
    ) throws -> [String: JSONValue] {
        let data = Data(bytes)
        guard String(data: data, encoding: .utf8) != nil else { throw fail(.headerNotUTF8) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            var reason = context.debugDescription
            if let underlying = context.underlyingError { reason += ": \(underlying)" }
            throw fail(.headerNotJSON(reason: reason))
        } catch {
            throw fail(.headerNotJSON(reason: "\(error)"))
        }
        guard case .object(let object) = value else { throw fail(.headerNotObject) }
        return object
    }

    private static func parseEntry(
        name: String, _ value: JSONValue, dataLength: Int,
        fail: (ModelFileError.Kind) -> ModelFileError
    ) throws -> Entry {
        guard case .object(let fields) = value else { throw fail(.tensorEntryNotObject(tensor: name)) }
        for field in ["dtype", "shape", "data_offsets"] where fields[field] == nil {
            throw fail(.missingField(tensor: name, field: field))
        }
        guard case .string(let dtypeName) = fields["dtype"]! else {
            throw fail(.invalidField(tensor: name, field: "dtype", reason: "not a string"))
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw fail(.unsupportedDType(tensor: name, dtype: dtypeName))
        }
        guard let shape = fields["shape"]!.nonNegativeIntegers else {
            throw fail(.invalidField(tensor: name, field: "shape", reason: "not an array of non-negative integers"))
        }
        guard let offsets = fields["data_offsets"]!.nonNegativeIntegers, offsets.count == 2,
            offsets[0] <= offsets[1]
        else {
            throw fail(
                .invalidField(
                    tensor: name, field: "data_offsets",
                    reason: "not a pair [begin, end] of non-negative integers with begin <= end"))
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard end <= dataLength else {
            throw fail(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataLength: dataLength))
        }
        guard let count = elementCount(shape) else {
            throw fail(.invalidField(tensor: name, field: "shape", reason: "element count overflows"))
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expected == end - begin else {
            throw fail(
                .sizeMismatch(
                    tensor: name, shape: shape, dtype: dtype.rawValue,
                    expectedBytes: overflow ? Int.max : expected, actualBytes: end - begin))
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }
}

/// A parsed JSON value, enough to validate a safetensors header exactly.
enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The elements when this is an array of non-negative integers.
    var nonNegativeIntegers: [Int]? {
        guard case .array(let items) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .integer(let i) = item, i >= 0 else { return nil }
            out.append(i)
        }
        return out
    }
}
