import Foundation
import VicinityMath

/// Items read from a stream of CSV lines `id,label,p1,…,pD` (pixels 0–255, as `KNN … RAW` takes
/// them), a batch at a time, for pipe-driven embedding (`vicinity embed --images -`). Blank lines
/// are skipped and `\r\n` accepted; a first line whose label field is not a number is a header.
/// Every line must hold `dims` pixels. Errors name the stream and the 1-based line.
public final class CSVStream {
    public let name: String
    public let dims: Int
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var line = 0

    public init(_ handle: FileHandle, name: String = "stdin", dims: Int) {
        self.handle = handle
        self.name = name
        self.dims = dims
    }

    /// Up to `count` items: ids, labels and an n×dims matrix of pixels / 255; nil at the end.
    public func next(_ count: Int) throws -> (ids: [String], labels: [Int], pixels: Matrix)? {
        var ids: [String] = [], labels: [Int] = []
        var values: [Float] = []
        values.reserveCapacity(count * dims)
        while ids.count < count, let text = try readLine() {
            line += 1
            let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            if fields.allSatisfy({ $0.allSatisfy { $0 == " " || $0 == "\t" } }) { continue }
            guard fields.count >= 2 else {
                throw DataError.badCSV(path: name, line: line, column: 1, detail: "expected id,label,pixels…")
            }
            let label = Int(fields[1].trimmingCharacters(in: .whitespaces))
            if label == nil && line == 1 { continue }  // header
            guard let label, label >= -1 else {
                throw DataError.badCSV(
                    path: name, line: line, column: 2, detail: "label '\(fields[1])' is not an integer ≥ −1")
            }
            let id = fields[0].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty, !id.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw DataError.badCSV(
                    path: name, line: line, column: 1, detail: "an id must be non-empty, without spaces")
            }
            guard fields.count == dims + 2 else {
                throw DataError.badCSV(
                    path: name, line: line, column: min(fields.count, dims + 2) + 1,
                    detail: "expected \(dims) pixels after id and label, got \(fields.count - 2)")
            }
            for (j, f) in fields.dropFirst(2).enumerated() {
                guard let v = Int(f.trimmingCharacters(in: .whitespaces)), v >= 0, v <= 255 else {
                    throw DataError.badCSV(
                        path: name, line: line, column: j + 3, detail: "pixel '\(f)' is not an integer in 0…255")
                }
                values.append(Float(v) / 255)
            }
            ids.append(id)
            labels.append(label)
        }
        if ids.isEmpty { return nil }
        return (ids, labels, Matrix(rows: ids.count, cols: dims, storage: values))
    }

    /// The next line without its end, or nil at the end of the stream.
    private func readLine() throws -> String? {
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = nl
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return text
            }
            if finished {
                guard start < buffer.count else { return nil }
                let text = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return text
            }
            if start > 0 { buffer.removeFirst(start); start = 0 }
            let chunk = handle.availableData
            if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
