import CZlib

/// Decompresses one or more concatenated gzip members held in memory.
///
/// Why in-memory `inflate` rather than `gzread`: gzread silently accepts a
/// raw file and is lenient about truncation, whereas here a stream that
/// ends early or fails its CRC must become a clear error.
func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: max(gunzippedSizeGuess(input), 64))
    var produced = 0

    var stream = z_stream()
    // windowBits 15+32: accept gzip (and zlib) headers automatically.
    let initStatus = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard initStatus == Z_OK else {
        throw DataError.corruptGzip(path: path, detail: "zlib could not start (status \(initStatus))")
    }
    defer { inflateEnd(&stream) }

    try input.withUnsafeBufferPointer { inBuf in
        var consumed = 0
        let total = inBuf.count
        while true {
            if produced == out.count {
                out.append(contentsOf: repeatElement(0, count: out.count))
            }
            let status = inflateChunk(&stream, inBuf, consumed: &consumed, into: &out, produced: &produced)
            switch status {
            case Z_STREAM_END:
                // Another member may follow (as `cat a.gz b.gz` produces).
                let rest = total - consumed
                if rest >= 2 && inBuf[consumed] == 0x1f && inBuf[consumed + 1] == 0x8b {
                    inflateReset(&stream)
                    continue
                }
                if rest > 0 && inBuf[consumed...].contains(where: { $0 != 0 }) {
                    throw DataError.corruptGzip(
                        path: path, detail: "\(rest) bytes of trailing garbage after the compressed data")
                }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: either out of output space (grow and
                // retry) or out of input before the end of the stream.
                if produced == out.count { continue }
                if consumed == total {
                    throw DataError.truncated(
                        path: path,
                        detail:
                            "gzip stream ends early after \(total) compressed bytes (\(produced) bytes decompressed)")
                }
                throw DataError.corruptGzip(path: path, detail: zlibMessage(stream, status))
            default:
                throw DataError.corruptGzip(path: path, detail: zlibMessage(stream, status))
            }
        }
    }
    out.removeSubrange(produced...)
    return out
}

/// One `inflate` call from `consumed` into `out` after `produced`, both advanced.
private func inflateChunk(
    _ stream: inout z_stream, _ inBuf: UnsafeBufferPointer<UInt8>, consumed: inout Int,
    into out: inout [UInt8], produced: inout Int
) -> Int32 {
    let inChunk = min(inBuf.count - consumed, Int(UInt32.max))
    let outChunk = min(out.count - produced, Int(UInt32.max))
    return out.withUnsafeMutableBufferPointer { outBuf in
        stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
        stream.avail_in = UInt32(inChunk)
        stream.next_out = outBuf.baseAddress! + produced
        stream.avail_out = UInt32(outChunk)
        let s = inflate(&stream, Z_NO_FLUSH)
        consumed += inChunk - Int(stream.avail_in)
        produced += outChunk - Int(stream.avail_out)
        return s
    }
}

/// The gzip trailer stores the uncompressed size mod 2^32: a good first guess for the output
/// buffer, capped because a corrupt trailer can lie (deflate cannot expand data by more than ~1032×).
private func gunzippedSizeGuess(_ input: [UInt8]) -> Int {
    let n = input.count
    guard n >= 18 else { return n * 4 }
    let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
    return isize > 0 && isize <= n * 1040 ? isize : n * 4
}

/// Compresses `input` as a single gzip member (level 6, zlib's default).
func gzip(_ input: [UInt8], path: String) throws -> [UInt8] {
    var stream = z_stream()
    // windowBits 15+16: write a gzip header and trailer instead of zlib's.
    let initStatus = deflateInit2_(
        &stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
        zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard initStatus == Z_OK else {
        throw DataError.cannotWrite(path: path, reason: "zlib could not start compressing (status \(initStatus))")
    }
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var produced = 0
    try input.withUnsafeBufferPointer { inBuf in
        var consumed = 0
        while true {
            if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
            let inChunk = min(inBuf.count - consumed, Int(UInt32.max))
            let outChunk = min(out.count - produced, Int(UInt32.max))
            let last = consumed + inChunk == inBuf.count
            let status: Int32 = out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + consumed })
                stream.avail_in = UInt32(inChunk)
                stream.next_out = outBuf.baseAddress! + produced
                stream.avail_out = UInt32(outChunk)
                let s = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
                consumed += inChunk - Int(stream.avail_in)
                produced += outChunk - Int(stream.avail_out)
                return s
            }
            if status == Z_STREAM_END { return }
            if status != Z_OK && status != Z_BUF_ERROR {
                throw DataError.cannotWrite(
                    path: path, reason: "gzip compression failed: \(zlibMessage(stream, status))")
            }
        }
    }
    out.removeSubrange(produced...)
    return out
}

private func zlibMessage(_ stream: z_stream, _ status: Int32) -> String {
    if let msg = stream.msg { return String(cString: msg) }
    return "zlib status \(status)"
}
