import NIOCore

/// A reply, encoded in the style of the request that asked for it.
public indirect enum Reply: Sendable, Equatable {
    /// A one-word status such as PONG or OK.
    case status(String)
    /// `ERR <CODE> <message>`; the message is scrubbed of control characters.
    case error(code: String, message: String)
    case integer(Int)
    /// One line of text (RESP bulk string).
    case text(String)
    /// Nothing there: `(nil)` in plain text, a null bulk in RESP.
    case null
    /// Several lines; in plain text each line, then the terminator `END`.
    case lines([String])
    /// Rows of fields; in plain text one space-separated line per row, then `END`;
    /// in RESP an array of arrays (integers stay integers, other fields are bulk strings).
    case rows([[Field]])

    public enum Field: Sendable, Equatable {
        case int(Int)
        case string(String)
    }

    /// The line that ends every multi-line plain-text reply.
    public static let terminator = "END"

    public static func err(_ code: String, _ message: String) -> Reply { .error(code: code, message: message) }

    /// Appends the encoding of this reply to `buffer`.
    public func write(to buffer: inout ByteBuffer, style: Request.Style) {
        switch style {
        case .inline: writePlain(&buffer)
        case .resp: writeRESP(&buffer)
        }
    }

    private func writePlain(_ b: inout ByteBuffer) {
        switch self {
        case .status(let s): b.writeString(s); b.writeString("\n")
        case .error(let code, let message): b.writeString("ERR \(code) \(scrubbed(message))\n")
        case .integer(let i): b.writeString("\(i)\n")
        case .text(let s): b.writeString(s); b.writeString("\n")
        case .null: b.writeString("(nil)\n")
        case .lines(let lines):
            for l in lines { b.writeString(l); b.writeString("\n") }
            b.writeString(Self.terminator + "\n")
        case .rows(let rows):
            for row in rows {
                b.writeString(row.map(\.text).joined(separator: " "))
                b.writeString("\n")
            }
            b.writeString(Self.terminator + "\n")
        }
    }

    private func writeRESP(_ b: inout ByteBuffer) {
        switch self {
        case .status(let s): b.writeString("+\(s)\r\n")
        case .error(let code, let message): b.writeString("-ERR \(code) \(scrubbed(message))\r\n")
        case .integer(let i): b.writeString(":\(i)\r\n")
        case .text(let s): Self.writeBulk(s, &b)
        case .null: b.writeString("$-1\r\n")
        case .lines(let lines):
            b.writeString("*\(lines.count)\r\n")
            for l in lines { Self.writeBulk(l, &b) }
        case .rows(let rows):
            b.writeString("*\(rows.count)\r\n")
            for row in rows {
                b.writeString("*\(row.count)\r\n")
                for field in row {
                    switch field {
                    case .int(let i): b.writeString(":\(i)\r\n")
                    case .string(let s): Self.writeBulk(s, &b)
                    }
                }
            }
        }
    }

    private static func writeBulk(_ s: String, _ b: inout ByteBuffer) {
        b.writeString("$\(s.utf8.count)\r\n")
        b.writeString(s)
        b.writeString("\r\n")
    }
}

extension Reply.Field {
    var text: String {
        switch self {
        case .int(let i): "\(i)"
        case .string(let s): s
        }
    }
}

/// Client text made safe to echo in one error line: control characters become
/// `?` and long text is cut, so a reply can never be split or forged.
public func scrubbed(_ text: String, limit: Int = 128) -> String {
    var out = ""
    for scalar in text.unicodeScalars.prefix(limit) {
        out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
    }
    return text.unicodeScalars.count > limit ? out + "…" : out
}
