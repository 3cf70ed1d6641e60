/// A reply, encoded in the style of the request that asked for it and, for RESP,
/// in the protocol version the connection chose with HELLO (ReplyEncoding.swift).
public indirect enum Reply: Sendable, Equatable {
    /// A one-word status such as PONG or OK.
    case status(String)
    /// `ERR <CODE> <message>` in plain text; in RESP `-<code word> <message>` as Redis
    /// words it (see `respCode`). The message is scrubbed of control characters.
    case error(code: String, message: String)
    case integer(Int)
    /// One line of text (RESP bulk string).
    case text(String)
    /// Bytes exactly as stored (RESP bulk string; hex in plain text, which must stay one line).
    case blob([UInt8])
    /// A floating-point number: RESP3 double, RESP2 bulk string.
    case double(Double)
    /// RESP3 boolean, RESP2 integer 0 or 1.
    case boolean(Bool)
    /// Nothing there: `(nil)` in plain text, a null bulk in RESP2, `_` in RESP3.
    case null
    /// Several lines; in plain text each line, then the terminator `END`.
    case lines([String])
    /// Rows of fields; in plain text one space-separated line per row, then `END`;
    /// in RESP an array of arrays (integers stay integers, other fields are bulk strings).
    case rows([[Field]])
    /// Any nested replies: a RESP array; in plain text one line per element, then `END`.
    case array([Reply])
    /// A RESP3 set (a RESP2 array).
    case set([Reply])
    /// Key–value pairs in order: a RESP3 map, a flat RESP2 array; in plain text `key value` lines, then `END`.
    case map([Entry])
    /// Text meant for people (INFO): a RESP3 verbatim string, a RESP2 bulk string; plain text as it is.
    case verbatim(String)

    public enum Field: Sendable, Equatable {
        case int(Int)
        case string(String)
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: Reply
        public init(_ key: String, _ value: Reply) {
            self.key = key
            self.value = value
        }
    }

    /// The line that ends every multi-line plain-text reply.
    public static let terminator = "END"

    public static func err(_ code: String, _ message: String) -> Reply { .error(code: code, message: message) }

    public static let ok = Reply.status("OK")

    /// A map from `(key, value)` pairs.
    public static func fields(_ pairs: KeyValuePairs<String, Reply>) -> Reply {
        .map(pairs.map { Entry($0.key, $0.value) })
    }

    /// The code word a RESP error starts with: Redis's generic `ERR` for the conditions Redis
    /// reports that way, the Vicinity code for conditions only Vicinity has.
    static func respCode(_ code: String) -> String {
        switch code {
        case "UNKNOWN", "ARITY", "SYNTAX", "BADARG": "ERR"
        default: code
        }
    }

    public var isError: Bool { if case .error = self { true } else { false } }
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
