import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A RESP value as a client reads it.
public indirect enum RESPValue: Equatable, Sendable {
    case status(String)
    case error(String)
    case integer(Int)
    case bulk(String)
    case null
    case array([RESPValue])

    /// The way redis-cli shows a reply.
    public func rendered(indent: String = "") -> String {
        switch self {
        case .status(let s): return s
        case .error(let e): return "(error) \(e)"
        case .integer(let i): return "(integer) \(i)"
        case .bulk(let s): return "\"\(s)\""
        case .null: return "(nil)"
        case .array(let items):
            if items.isEmpty { return "(empty array)" }
            // Rows of scalars print on one line each.
            return items.enumerated().map { i, item -> String in
                if case .array(let fields) = item {
                    return "\(indent)\(i + 1)) "
                        + fields.map { f -> String in
                            switch f {
                            case .bulk(let s), .status(let s): s;
                            case .integer(let n): "\(n)";
                            default: f.rendered()
                            }
                        }.joined(separator: " ")
                }
                return "\(indent)\(i + 1)) \(item.rendered(indent: indent + "   "))"
            }.joined(separator: "\n")
        }
    }
}

/// A blocking RESP client over one TCP connection: what `vicinity query` and the tests use.
public final class RESPClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    public init(host: String, port: Int, timeoutSeconds: Int = 30) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw ClientError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var lastError: Int32 = 0
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let a = address {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; return }
                lastError = errno
                close(s)
            }
            address = a.pointee.ai_next
        }
        throw ClientError("cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    deinit { close(fd) }

    /// Sends raw bytes as they are.
    public func sendRaw(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Sends one command as a RESP array.
    public func send(_ words: [String]) throws {
        var out = "*\(words.count)\r\n"
        for w in words { out += "$\(w.utf8.count)\r\n\(w)\r\n" }
        try sendRaw(Array(out.utf8))
    }

    /// Sends one command of binary-safe arguments as a RESP array.
    public func send(bytes arguments: [[UInt8]]) throws {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for a in arguments { out += Array("$\(a.count)\r\n".utf8) + a + [13, 10] }
        try sendRaw(out)
    }

    public func callBytes(_ arguments: [[UInt8]]) throws -> RESPValue {
        try send(bytes: arguments)
        return try readValue()
    }

    /// Sends a command and reads its reply.
    public func call(_ words: [String]) throws -> RESPValue {
        try send(words)
        return try readValue()
    }

    /// Reads one line (without CR LF) from the connection.
    public func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<i])
                buffer.removeSubrange(...i)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
    }

    /// Reads one RESP value.
    public func readValue() throws -> RESPValue {
        let line = try readLine()
        guard let kind = line.first else { throw ClientError("empty reply line") }
        let rest = String(line.dropFirst())
        switch kind {
        case "+": return .status(rest)
        case "-": return .error(rest)
        case ":": return .integer(Int(rest) ?? 0)
        case "$", "=":
            guard let n = Int(rest) else { throw ClientError("bad bulk length '\(rest)'") }
            if n < 0 { return .null }
            while buffer.count < n + 2 { try fill() }
            let s = String(decoding: buffer[..<n], as: UTF8.self)
            buffer.removeSubrange(..<(n + 2))
            return .bulk(kind == "=" ? String(s.dropFirst(4)) : s)  // a verbatim string starts with its format, "txt:"
        case "*", "~", "%":  // RESP3 sets are read as arrays, maps as flat key-value arrays
            guard let n = Int(rest) else { throw ClientError("bad array length '\(rest)'") }
            if n < 0 { return .null }
            return .array(try (0..<(kind == "%" ? 2 * n : n)).map { _ in try readValue() })
        case "_": return .null
        case "#": return .integer(rest == "t" ? 1 : 0)
        case ",", "(": return .bulk(rest)
        default:
            throw ClientError("not a RESP reply: \(line)")
        }
    }

    /// Says that nothing more will be sent (what `nc` does at the end of its input).
    public func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whether the server has closed the connection (reads EOF within the timeout).
    public func readsEOF() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw ClientError("the server closed the connection") }
        if n < 0 { throw ClientError("receive failed: \(String(cString: strerror(errno)))") }
        buffer += chunk[..<n]
    }
}

/// A connection or protocol failure seen by the client, in one line.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
