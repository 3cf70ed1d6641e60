import Foundation

/// Everything that can go wrong while reading or writing data files.
///
/// Every case carries the file (or directory) it is about, and `description`
/// says in one line what is wrong with it, so a CLI can print it as is.
public enum DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or read (missing, permissions, is a directory…).
    case cannotRead(path: String, reason: String)
    /// The file could not be created or written.
    case cannotWrite(path: String, reason: String)
    /// The first four bytes are not the magic number the format requires.
    case badMagic(path: String, found: UInt32, expected: UInt32, meaning: String)
    /// The file ends before the data its header promises.
    case truncated(path: String, detail: String)
    /// A gzip stream that zlib rejects (bad CRC, invalid deflate data, …).
    case corruptGzip(path: String, detail: String)
    /// The file does not start with the PNG signature.
    case notPNG(path: String)
    /// The image decoder rejected the file; for PNG `detail` is libpng's own message.
    case badImage(path: String, detail: String)
    /// A structural problem in an otherwise recognised file (bad header field, inconsistent records…).
    case malformed(path: String, detail: String)
    /// A bad cell in a CSV file; `line` and `column` are 1-based.
    case badCSV(path: String, line: Int, column: Int, detail: String)
    /// Two images in one collection have different sizes.
    case imageSizesDiffer(
        first: String, firstRows: Int, firstCols: Int,
        other: String, otherRows: Int, otherCols: Int)
    /// A labels file does not have one label per image.
    case labelCountMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A named data set (or data set directory) is not where it should be.
    case datasetNotFound(name: String, directory: String, hint: String)
    /// A caller passed something that cannot be written or loaded (wrong pixel count, unknown kind…).
    case invalidArgument(path: String, detail: String)
    /// A file in a format (or a variant of one) Vicinity does not read, named in `detail`.
    case unsupported(path: String, detail: String)

    /// The main file or directory the error is about.
    public var path: String {
        switch self {
        case .cannotRead(let p, _), .cannotWrite(let p, _), .badMagic(let p, _, _, _),
            .truncated(let p, _), .corruptGzip(let p, _), .notPNG(let p),
            .badImage(let p, _), .malformed(let p, _), .badCSV(let p, _, _, _),
            .invalidArgument(let p, _), .unsupported(let p, _):
            return p
        case .imageSizesDiffer(_, _, _, let other, _, _): return other
        case .labelCountMismatch(_, _, let labels, _): return labels
        case .datasetNotFound(_, let dir, _): return dir
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let p, let r): return "\(p): cannot read: \(r)"
        case .cannotWrite(let p, let r): return "\(p): cannot write: \(r)"
        case .badMagic(let p, let found, let expected, let meaning):
            return "\(p): bad magic \(hex32(found)) (expected \(hex32(expected)) for \(meaning))"
        case .truncated(let p, let d): return "\(p): truncated: \(d)"
        case .corruptGzip(let p, let d): return "\(p): corrupt gzip data: \(d)"
        case .notPNG(let p): return "\(p): not a PNG file"
        case .badImage(let p, let d): return "\(p): cannot decode image: \(d)"
        case .malformed(let p, let d): return "\(p): \(d)"
        case .badCSV(let p, let line, let col, let d): return "\(p): line \(line), column \(col): \(d)"
        case .imageSizesDiffer(let a, let ar, let ac, let b, let br, let bc):
            return "image sizes differ: \(a) is \(ar)×\(ac), \(b) is \(br)×\(bc)"
        case .labelCountMismatch(let i, let ic, let l, let lc):
            return "\(l): has \(lc) labels but \(i) has \(ic) images"
        case .datasetNotFound(let name, let dir, let hint):
            return hint.isEmpty ? "\(name) not found at \(dir)" : "\(name) not found at \(dir) (\(hint))"
        case .invalidArgument(let p, let d): return "\(p): \(d)"
        case .unsupported(let p, let d): return "\(p): unsupported: \(d)"
        }
    }
}

/// `0x00000803` style: IDX magics are easiest to compare in this form.
func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// The last path component, for messages about files inside a folder.
func baseName(_ path: String) -> String {
    (path as NSString).lastPathComponent
}

/// errno as text, for I/O failures.
func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
