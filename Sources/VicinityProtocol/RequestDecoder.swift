import NIOCore

/// Splits a byte stream into requests: RESP arrays (first byte `*`) or inline
/// lines ending in LF (CR LF accepted). Incremental: returns nil until a whole
/// request has arrived, consuming nothing; throws `ProtocolError` for streams
/// that cannot be framed.
public struct RequestDecoder: Sendable {
    public let limits: ProtocolLimits
    /// Whether a request has been decoded on this connection yet (HTTP is only checked on the first).
    private var sawRequest = false
    /// Bytes at the front of the buffer already known to hold no LF, so a line
    /// arriving a byte at a time is scanned once, not once per byte.
    private var scanned = 0

    public init(limits: ProtocolLimits = ProtocolLimits()) { self.limits = limits }

    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    public mutating func next(_ buffer: inout ByteBuffer) throws -> Request? {
        while buffer.readableBytes > 0 {
            let request: Request?
            if buffer.readableBytes > 0, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "*")
            {
                request = try nextRESP(&buffer)
                guard let request else { return nil }
                sawRequest = true
                return request
            }
            guard let line = try nextLine(&buffer) else { return nil }
            scanned = 0
            if !sawRequest && looksLikeHTTP(line) {
                throw ProtocolError(kind: .httpRequest, message: "this is not an HTTP server")
            }
            let words = try Self.splitWords(line)
            // Empty lines are skipped, as Redis does, so a stray newline gets no reply.
            if words.isEmpty { continue }
            request = Request(bytes: words, style: .inline)
            sawRequest = true
            return request
        }
        return nil
    }

    /// A plain line's words: separated by spaces or tabs; a word that opens with `"`
    /// or `'` runs to its closing quote (so `FILTER ".year > 1950"` is two words), with
    /// Redis's escapes inside double quotes (`\"`, `\\`, `\n`, `\r`, `\t`, `\xHH`).
    static func splitWords(_ line: [UInt8]) throws -> [[UInt8]] {
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), dq = UInt8(ascii: "\""), sq = UInt8(ascii: "'")
        var words: [[UInt8]] = []
        var i = 0
        while i < line.count {
            while i < line.count && (line[i] == space || line[i] == tab) { i += 1 }
            guard i < line.count else { break }
            let quote = line[i]
            guard quote == dq || quote == sq else {
                let start = i
                while i < line.count && line[i] != space && line[i] != tab { i += 1 }
                words.append(Array(line[start..<i]))
                continue
            }
            var word: [UInt8] = []
            i += 1
            while true {
                guard i < line.count else {
                    throw ProtocolError(kind: .malformed, message: "unbalanced quotes in request")
                }
                let c = line[i]
                if c == quote {
                    i += 1
                    guard i == line.count || line[i] == space || line[i] == tab else {
                        throw ProtocolError(kind: .malformed, message: "closing quote must be followed by a space")
                    }
                    break
                }
                if c == UInt8(ascii: "\\") && i + 1 < line.count {
                    let e = line[i + 1]
                    if quote == sq {
                        word.append(e == sq ? sq : c)
                        i += e == sq ? 2 : 1
                        continue
                    }
                    switch e {
                    case UInt8(ascii: "n"): word.append(10)
                    case UInt8(ascii: "r"): word.append(13)
                    case UInt8(ascii: "t"): word.append(9)
                    case UInt8(ascii: "x") where i + 3 < line.count:
                        if let v = UInt8(String(decoding: line[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                            word.append(v)
                            i += 4
                            continue
                        }
                        word.append(e)
                    default: word.append(e)
                    }
                    i += 2
                    continue
                }
                word.append(c)
                i += 1
            }
            words.append(word)
        }
        return words
    }

    /// The next LF-terminated line without its terminator, or nil when it has not all arrived.
    private mutating func nextLine(_ buffer: inout ByteBuffer) throws -> [UInt8]? {
        let view = buffer.readableBytesView
        let from = view.startIndex + min(scanned, view.count)
        guard let end = view[from...].firstIndex(of: Self.lf) else {
            scanned = view.count
            if view.count > limits.maxLineBytes {
                throw ProtocolError(kind: .lineTooLong, message: "line longer than \(limits.maxLineBytes) bytes")
            }
            return nil
        }
        let length = end - view.startIndex
        guard length <= limits.maxLineBytes else {
            throw ProtocolError(kind: .lineTooLong, message: "line longer than \(limits.maxLineBytes) bytes")
        }
        var line = Array(view[view.startIndex..<end])
        if line.last == Self.cr { line.removeLast() }
        buffer.moveReaderIndex(forwardBy: length + 1)
        return line
    }

    /// `*N\r\n` then N × `$len\r\n<bytes>\r\n`.
    private func nextRESP(_ buffer: inout ByteBuffer) throws -> Request? {
        var cursor = buffer  // parse on a copy; commit only when the request is complete
        guard let header = try headerLine(&cursor, prefix: UInt8(ascii: "*")) else { return nil }
        guard header >= 0 else { throw malformed("negative array length") }
        guard header <= limits.maxArguments else {
            throw ProtocolError(kind: .tooManyArguments, message: "more than \(limits.maxArguments) arguments")
        }
        var request = Request(words: [], style: .resp)
        request.words.reserveCapacity(header)
        var total = 0
        for _ in 0..<header {
            guard let length = try headerLine(&cursor, prefix: UInt8(ascii: "$")) else { return nil }
            guard length >= 0 else { throw malformed("null or negative bulk length in a request") }
            guard length <= limits.maxLineBytes else {
                throw ProtocolError(kind: .lineTooLong, message: "argument longer than \(limits.maxLineBytes) bytes")
            }
            total += length
            guard total <= limits.maxRequestBytes else {
                throw ProtocolError(
                    kind: .requestTooLarge, message: "request larger than \(limits.maxRequestBytes) bytes")
            }
            guard cursor.readableBytes >= length + 2 else { return nil }
            let terminated = cursor.withUnsafeReadableBytes { bytes in
                request.append(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
                return bytes[length] == Self.cr && bytes[length + 1] == Self.lf
            }
            guard terminated else { throw malformed("bulk string not followed by CRLF") }
            cursor.moveReaderIndex(forwardBy: length + 2)
        }
        buffer = cursor
        // An empty array is a no-op, like an empty line.
        return request
    }

    /// Reads `<prefix><integer>\r\n`; nil when incomplete. A wrong byte is refused as soon as it
    /// arrives, so the error does not depend on how the bytes were split into reads.
    private func headerLine(_ buffer: inout ByteBuffer, prefix: UInt8) throws -> Int? {
        // Every request has one such line per argument: parsed in place, without allocating.
        let parsed: (value: Int?, length: Int)? = try buffer.withUnsafeReadableBytes { view in
            var value = 0, negative = false, digits = 0, overflow = false
            for position in 0..<min(view.count, 33) {
                let byte = view[position]
                if byte == Self.lf {
                    guard position >= 3, view[position - 1] == Self.cr else { throw expected(prefix) }
                    return (digits == 0 || overflow ? nil : negative ? -value : value, position + 1)
                }
                let previousIsCR = position > 0 && view[position - 1] == Self.cr
                if position == 0 {
                    guard byte == prefix else { throw expected(prefix) }
                } else if previousIsCR {
                    throw expected(prefix)
                } else if byte == Self.cr {
                    guard position >= 2 else { throw expected(prefix) }
                } else if byte >= 0x30 && byte <= 0x39 {
                    let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(Int(byte - 0x30))
                    overflow = overflow || o1 || o2
                    value = sum
                    digits += 1
                } else if byte == 0x2D && position == 1 {
                    negative = true
                } else {
                    throw expected(prefix)
                }
            }
            if view.count > 32 { throw malformed("RESP header too long") }
            return nil
        }
        guard let parsed else { return nil }
        guard let value = parsed.value else { throw expected(prefix) }
        buffer.moveReaderIndex(forwardBy: parsed.length)
        return value
    }

    private func expected(_ prefix: UInt8) -> ProtocolError {
        malformed("expected '\(Character(Unicode.Scalar(prefix)))<number>\\r\\n'")
    }

    private func malformed(_ what: String) -> ProtocolError {
        ProtocolError(kind: .malformed, message: "malformed RESP request: \(what)")
    }

    /// An HTTP request line (`GET / HTTP/1.1`) or header (`Host:`) as the first line.
    private func looksLikeHTTP(_ line: [UInt8]) -> Bool {
        let text = String(decoding: line.prefix(256), as: UTF8.self)
        return text.hasSuffix(" HTTP/1.0") || text.hasSuffix(" HTTP/1.1") || text.hasPrefix("POST ")
            || text.lowercased().hasPrefix("host:")
    }
}
