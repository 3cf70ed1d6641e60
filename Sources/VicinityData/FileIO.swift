import Foundation

/// Reads a whole file; if it starts with the gzip magic (1f 8b) the
/// decompressed contents are returned instead, so every reader accepts
/// `foo` and `foo.gz` alike without looking at the extension.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let raw = try readRawFileBytes(path)
    if raw.count >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        return try gunzip(raw, path: path)
    }
    return raw
}

/// Writes `bytes` to `path`, gzip-compressed when the path ends in `.gz`.
public func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    if path.hasSuffix(".gz") {
        try writeRawFileBytes(path, try gzip(bytes, path: path))
    } else {
        try writeRawFileBytes(path, bytes)
    }
}

/// Whether `path` names an existing directory.
func isDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}

/// Plain POSIX read straight into the array's storage: one allocation, no
/// Data bridging copy, which matters for the 47 MB Fashion-MNIST file.
func readRawFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw DataError.cannotRead(path: path, reason: errnoText()) }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { throw DataError.cannotRead(path: path, reason: errnoText()) }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw DataError.cannotRead(path: path, reason: "is a directory") }
    let size = Int(st.st_size)
    var failure: Int32 = 0
    var bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
        var done = 0
        while done < size {
            let n = read(fd, buf.baseAddress! + done, size - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            if n == 0 { break }  // file shrank under us; keep what we got
            done += n
        }
        initialized = done
    }
    if failure != 0 { throw DataError.cannotRead(path: path, reason: errnoText(failure)) }
    // Files whose size fstat does not know (pipes, /proc): read the rest in chunks.
    if size == 0 || bytes.count == size {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError.cannotRead(path: path, reason: errnoText())
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
    return bytes
}

func writeRawFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw DataError.cannotWrite(path: path, reason: errnoText()) }
    var failure: Int32 = 0
    bytes.withUnsafeBytes { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            done += n
        }
    }
    if close(fd) != 0 && failure == 0 { failure = errno }
    if failure != 0 { throw DataError.cannotWrite(path: path, reason: errnoText(failure)) }
}
