import NIOCore

/// One request: its words, their raw bytes, and how it was framed (which decides the reply style).
public struct Request: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        /// A plain line, as typed into nc: plain-text replies.
        case inline
        /// A RESP array, as Redis clients send: RESP2 or RESP3 replies (HELLO picks).
        case resp
    }
    /// The arguments as text (invalid UTF-8 replaced), for every command that takes words.
    public var words: [String]
    /// The arguments exactly as sent, when one of them is not valid UTF-8 (a binary payload);
    /// nil when `words` hold every byte, as for nearly every request.
    private var raw: [[UInt8]]?
    public var style: Style
    /// The code of this request's image query, when the server embedded it together with
    /// other requests that arrived with it (`CommandTable.embedTogether`).
    public var code: [Float]? = nil

    /// The arguments exactly as sent, for binary payloads such as `VADD … FP32 blob`.
    public var bytes: [[UInt8]] { raw ?? words.map { Array($0.utf8) } }

    public init(bytes: [[UInt8]], style: Style) {
        var request = Request(words: [], style: style)
        request.words.reserveCapacity(bytes.count)
        for word in bytes { word.withUnsafeBytes { request.append($0) } }
        self = request
    }

    public init(words: [String], style: Style) {
        self.words = words
        self.style = style
    }

    /// Adds the next argument, as it was sent.
    mutating func append(_ argument: UnsafeRawBufferPointer) {
        // Valid UTF-8 is what decodes and round-trips unchanged (String(validating:) ran
        // unspecialized here: a runtime metadata lookup on every argument).
        let bytes = argument.assumingMemoryBound(to: UInt8.self)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.count == bytes.count && text.utf8.elementsEqual(bytes) {
            words.append(text)
            raw?.append(Array(text.utf8))
        } else {
            if raw == nil { raw = words.map { Array($0.utf8) } }
            words.append(text)
            raw!.append(Array(argument))
        }
    }
}

/// Limits the decoder enforces; every one of them is stated in docs/PROTOCOL.md.
public struct ProtocolLimits: Sendable {
    /// Longest inline line, and longest single RESP argument, in bytes.
    public var maxLineBytes = 64 * 1024
    /// Most arguments in one RESP array.
    public var maxArguments = 4096
    /// Most bytes one RESP request may carry in total.
    public var maxRequestBytes = 1024 * 1024
    public init() {}
}

/// A framing error: the reply goes out, then the connection closes, because the
/// stream can no longer be split into requests reliably.
public struct ProtocolError: Error, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case lineTooLong, malformed, tooManyArguments, requestTooLarge, httpRequest
    }
    public var kind: Kind
    public var message: String
}
