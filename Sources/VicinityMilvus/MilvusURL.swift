/// Where a Milvus collection pair lives: `milvus://HOST:PORT/NAME`.
///
/// NAME names the pair: `NAME_codes` holds the float codes (FLAT, L2) and, when the store keeps
/// bits, `NAME_bits` the packed bits (BIN_FLAT, HAMMING); Milvus allows one vector field per
/// collection that can be searched on its own.
public struct MilvusURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var name: String

    public init(host: String, port: Int, name: String) {
        (self.host, self.port, self.name) = (host, port, name)
    }

    /// Parses `milvus://HOST:PORT/NAME`; the error says which part is wrong and what is expected.
    public init(parsing text: String) throws(MilvusError) {
        let usage = "expected milvus://HOST:PORT/NAME, e.g. milvus://127.0.0.1:19530/fashion"
        guard text.hasPrefix("milvus://") else {
            throw .badURL("'\(Self.quoted(text))' is not a milvus:// address; \(usage)")
        }
        let rest = text.dropFirst("milvus://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw .badURL("'\(Self.quoted(text))' names no collection; \(usage)")
        }
        let authority = rest[..<slash]
        let name = String(rest[rest.index(after: slash)...])
        let host: Substring
        let portText: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : ""
        } else if let colon = authority.lastIndex(of: ":") {
            (host, portText) = (authority[..<colon], authority[authority.index(after: colon)...])
        } else {
            (host, portText) = (authority, "")
        }
        guard !host.isEmpty else { throw .badURL("'\(Self.quoted(text))' has no host; \(usage)") }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw .badURL("'\(Self.quoted(text))' has no port 1–65535 (Milvus listens on 19530 by default); \(usage)")
        }
        try Self.validate(name: name)
        self.init(host: String(host), port: port, name: name)
    }

    /// Milvus's rule for collection names, checked here so the error names the URL's part:
    /// a letter or underscore first, then letters, digits and underscores; the longer of the
    /// two collection names (`NAME_codes`) must stay within 255 characters.
    static func validate(name: String) throws(MilvusError) {
        let letters = name.unicodeScalars
        guard let first = letters.first else { throw .badURL("the collection NAME after the port is empty") }
        let allowed = letters.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
        }
        guard allowed, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            throw .badURL(
                "collection name '\(quoted(name))': Milvus takes a letter or _ first, then letters, digits and _ only")
        }
        guard name.count <= 249 else { throw .badURL("collection name has \(name.count) characters; at most 249") }
    }

    public var codesCollection: String { name + "_codes" }
    public var bitsCollection: String { name + "_bits" }
    public var description: String { "milvus://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(name)" }

    static func quoted(_ text: String) -> String {
        String(text.prefix(128).map { $0.isASCII && ($0.asciiValue! < 32 || $0.asciiValue! == 127) ? "?" : $0 })
    }
}

/// What went wrong talking to Milvus; the message says what to do.
public enum MilvusError: Error, Equatable, Sendable, CustomStringConvertible {
    case badURL(String)
    /// Milvus could not be reached (refused, reset, timed out).
    case unreachable(String)
    /// Milvus answered with an error status.
    case server(String)
    /// The collections are not what Vicinity writes, or disagree with the store or model.
    case mismatch(String)

    public var description: String {
        switch self {
        case .badURL(let m), .unreachable(let m), .server(let m), .mismatch(let m): m
        }
    }
}
