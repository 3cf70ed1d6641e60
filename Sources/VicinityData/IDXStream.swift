import CZlib
import Foundation
import VicinityMath

/// Reads the rows of an unsigned-byte IDX file (N×rows×cols images or N×D rows, gzip-compressed
/// or not) a chunk at a time, as floats in [0, 1] (divided by 255 as `readIDXImages` does), so a
/// file of any size is embedded in bounded memory. zlib's `gzread` reads plain files as they are;
/// a file that ends early or runs on past its header's count is an error naming both counts.
public final class IDXStream {
    public let path: String
    /// Rows the header announces, and the image shape of each.
    public let count: Int
    public let imageRows: Int
    public let imageCols: Int
    public var dims: Int { imageRows * imageCols }
    /// Rows handed out so far.
    public private(set) var position = 0
    private let file: gzFile

    /// Opens the file and reads its header; nil when it is not unsigned-byte IDX data of 2 or 3
    /// dimensions (the whole-file readers then give their own messages).
    public init?(_ path: String) throws {
        guard let file = gzopen(path, "rb") else {
            throw DataError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        func readHeader() -> [Int]? {
            var magic = [UInt8](repeating: 0, count: 4)
            guard gzread(file, &magic, 4) == 4, magic[0] == 0, magic[1] == 0, magic[2] == 0x08,
                magic[3] == 2 || magic[3] == 3
            else { return nil }
            var sizes = [UInt8](repeating: 0, count: 4 * Int(magic[3]))
            guard gzread(file, &sizes, UInt32(sizes.count)) == Int32(sizes.count) else { return nil }
            return (0..<Int(magic[3])).map { d in sizes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) } }
        }
        guard let shape = readHeader() else {
            gzclose(file)
            return nil
        }
        let rows = shape[0], (r, c) = shape.count == 3 ? (shape[1], shape[2]) : guessedShape(shape[1])
        if let size = try plainFileSize(path), size - 4 - 4 * shape.count != rows * r * c {
            gzclose(file)
            throw DataError.truncated(
                path: path,
                detail:
                    "header says \(rows) rows of \(r * c) bytes = \(rows * r * c) bytes of data, file has \(size - 4 - 4 * shape.count)"
            )
        }
        self.path = path
        self.file = file
        (count, imageRows, imageCols) = (rows, r, c)
    }

    deinit { gzclose(file) }

    /// The next `limit` rows (fewer at the end) as an n×D matrix; nil once all were read.
    public func next(_ limit: Int) throws -> Matrix? {
        let n = min(limit, count - position)
        guard n > 0 else {
            var extra: UInt8 = 0
            if gzread(file, &extra, 1) == 1 {
                throw DataError.malformed(path: path, detail: "more data than the header's \(count) rows")
            }
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: n * dims)
        let got = bytes.withUnsafeMutableBytes { Int(gzread(file, $0.baseAddress, UInt32($0.count))) }
        guard got == bytes.count else {
            var code: Int32 = 0
            let reason = got < 0 ? String(cString: gzerror(file, &code)) : "the data ends early"
            let rows = position + max(0, got) / dims
            throw DataError.truncated(
                path: path, detail: "\(reason): header says \(count) rows of \(dims) bytes, the file holds \(rows)")
        }
        position += n
        return Matrix(rows: n, cols: dims, storage: bytesToUnitFloats(bytes, from: 0, count: bytes.count))
    }
}

/// A file's size when it is not gzip-compressed (nil when it is: only the stream knows its length).
private func plainFileSize(_ path: String) throws -> Int? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    let head = try handle.read(upToCount: 2) ?? Data()
    if head.count == 2 && head[0] == 0x1f && head[1] == 0x8b { return nil }
    return Int(try handle.seekToEnd())
}
