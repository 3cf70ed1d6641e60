import NIOCore

/// How replies are written on a connection: plain text for plain requests, RESP2
/// or RESP3 for RESP requests (the version the connection chose with HELLO).
public enum ReplyEncoding: Sendable, Equatable {
    case plain, resp2, resp3

    public init(style: Request.Style, protocolVersion: Int) {
        self = style == .inline ? .plain : protocolVersion == 3 ? .resp3 : .resp2
    }
}

extension Reply {
    /// Appends the encoding of this reply to `buffer`.
    public func write(to buffer: inout ByteBuffer, _ encoding: ReplyEncoding) {
        switch encoding {
        case .plain: writePlain(&buffer)
        case .resp2: writeRESP(&buffer, resp3: false)
        case .resp3: writeRESP(&buffer, resp3: true)
        }
    }

    private func writePlain(_ b: inout ByteBuffer) {
        switch self {
        case .error(let code, let message): b.writeString("ERR \(code) \(scrubbed(message))\n")
        case .verbatim(let s): b.writeString(s.hasSuffix("\n") ? s : s + "\n")
        case .lines(let lines): Self.writePlainLines(lines, &b)
        case .rows(let rows): Self.writePlainLines(rows.map { $0.map(\.text).joined(separator: " ") }, &b)
        case .array(let items), .set(let items): Self.writePlainLines(items.map(\.plainLine), &b)
        case .map(let entries): Self.writePlainLines(entries.map { "\($0.key) \($0.value.plainLine)" }, &b)
        default: b.writeString(plainLine); b.writeString("\n")
        }
    }

    private static func writePlainLines(_ lines: [String], _ b: inout ByteBuffer) {
        for l in lines { b.writeString(l); b.writeString("\n") }
        b.writeString(terminator + "\n")
    }

    /// This reply on one line: nested replies space-separated.
    var plainLine: String {
        switch self {
        case .status(let s), .text(let s): s
        case .error(let code, let message): "ERR \(code) \(scrubbed(message))"
        case .integer(let i): "\(i)"
        case .blob(let bytes): bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        case .double(let d): formatDouble(d)
        case .boolean(let v): v ? "1" : "0"
        case .null: "(nil)"
        case .verbatim(let s): s.split(separator: "\n").joined(separator: " ")
        case .lines(let lines): lines.joined(separator: " ")
        case .rows(let rows): rows.map { $0.map(\.text).joined(separator: " ") }.joined(separator: " ")
        case .array(let items), .set(let items): items.map(\.plainLine).joined(separator: " ")
        case .map(let entries): entries.map { "\($0.key) \($0.value.plainLine)" }.joined(separator: " ")
        }
    }

    private func writeRESP(_ b: inout ByteBuffer, resp3: Bool) {
        switch self {
        case .status(let s): b.writeString("+\(s)\r\n")
        case .error(let code, let message): b.writeString("-\(Self.respCode(code)) \(scrubbed(message))\r\n")
        case .integer(let i): b.writeString(":\(i)\r\n")
        case .text(let s): Self.writeBulk(Array(s.utf8), &b)
        case .blob(let bytes): Self.writeBulk(bytes, &b)
        case .double(let d):
            if resp3 {
                b.writeString(",\(formatDouble(d))\r\n")
            } else {
                Self.writeBulk(Array(formatDouble(d).utf8), &b)
            }
        case .boolean(let v): b.writeString(resp3 ? (v ? "#t\r\n" : "#f\r\n") : (v ? ":1\r\n" : ":0\r\n"))
        case .null: b.writeString(resp3 ? "_\r\n" : "$-1\r\n")
        case .verbatim(let s):
            if resp3 {
                b.writeString("=\(s.utf8.count + 4)\r\ntxt:")
                b.writeString(s)
                b.writeString("\r\n")
            } else {
                Self.writeBulk(Array(s.utf8), &b)
            }
        case .lines(let lines):
            b.writeString("*\(lines.count)\r\n")
            for l in lines { Self.writeBulk(Array(l.utf8), &b) }
        case .rows(let rows):
            b.writeString("*\(rows.count)\r\n")
            for row in rows {
                b.writeString("*\(row.count)\r\n")
                for field in row {
                    switch field {
                    case .int(let i): b.writeString(":\(i)\r\n")
                    case .string(let s): Self.writeBulk(Array(s.utf8), &b)
                    }
                }
            }
        case .array(let items):
            b.writeString("*\(items.count)\r\n")
            for item in items { item.writeRESP(&b, resp3: resp3) }
        case .set(let items):
            b.writeString("\(resp3 ? "~" : "*")\(items.count)\r\n")
            for item in items { item.writeRESP(&b, resp3: resp3) }
        case .map(let entries):
            b.writeString(resp3 ? "%\(entries.count)\r\n" : "*\(2 * entries.count)\r\n")
            for e in entries {
                Self.writeBulk(Array(e.key.utf8), &b)
                e.value.writeRESP(&b, resp3: resp3)
            }
        }
    }

    private static func writeBulk(_ bytes: [UInt8], _ b: inout ByteBuffer) {
        b.writeString("$\(bytes.count)\r\n")
        b.writeBytes(bytes)
        b.writeString("\r\n")
    }
}

/// A double as RESP3 writes it: the shortest text that reads back the same, `inf`, `-inf` or `nan`.
func formatDouble(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
