/// Per-connection state the commands can read and change.
public struct Session: Sendable {
    public var authenticated: Bool
    /// Set by QUIT: close after the reply.
    public var closeAfterReply = false
    public init(authenticated: Bool) { self.authenticated = authenticated }
}

/// Server-wide settings the commands obey.
public struct CommandPolicy: Sendable {
    public var authToken: String?
    public var readOnly = false
    /// Largest k for KNN and HAMMING.
    public var maxK = 1000
    /// Largest radius for RADIUS.
    public var maxRadius = 64
    /// Most hits one RADIUS reply may carry.
    public var maxRadiusHits = 100_000
    public init(authToken: String? = nil) { self.authToken = authToken }
}

/// One entry of the command table.
public struct Command: Sendable {
    public let name: String
    /// Words including the command name: `arity...maxArity`.
    public let arity: Int
    public let maxArity: Int
    public let usage: String
    public let summary: String
    /// Allowed before AUTH when a token is set.
    public let beforeAuth: Bool
    /// Changes data: refused with --read-only.
    public let writes: Bool
    let handler: @Sendable (CommandContext, [String]) throws -> Reply

    init(name: String, arity: Int, maxArity: Int, usage: String, summary: String, beforeAuth: Bool, writes: Bool,
         handler: @escaping @Sendable (CommandContext, [String]) throws -> Reply) {
        self.name = name
        self.arity = arity
        self.maxArity = maxArity
        self.usage = usage
        self.summary = summary
        self.beforeAuth = beforeAuth
        self.writes = writes
        self.handler = handler
    }
}

/// What a handler works with.
public struct CommandContext: Sendable {
    public let engine: any SearchEngine
    public let policy: CommandPolicy
    public var session: Session
}

/// Every command the server knows, declared once; `dispatch` does the one arity check.
public enum CommandTable {
    public static let commands: [Command] = [
        Command(name: "PING", arity: 1, maxArity: 2, usage: "PING [message]", summary: "PONG, or the message back",
                beforeAuth: true, writes: false) { _, w in w.count == 2 ? .text(w[1]) : .status("PONG") },
        Command(name: "HELP", arity: 1, maxArity: 1, usage: "HELP", summary: "this list of commands",
                beforeAuth: true, writes: false) { _, _ in
            .rows(commands.map { [.string($0.name), .string($0.usage), .string($0.summary)] })
        },
        Command(name: "AUTH", arity: 2, maxArity: 2, usage: "AUTH token", summary: "authenticate this connection",
                beforeAuth: true, writes: false) { _, _ in .status("OK") },  // handled in dispatch: it changes the session
        Command(name: "QUIT", arity: 1, maxArity: 1, usage: "QUIT", summary: "close the connection",
                beforeAuth: true, writes: false) { _, _ in .status("OK") },
        Command(name: "INFO", arity: 1, maxArity: 1, usage: "INFO", summary: "model, store, counts, uptime, query statistics",
                beforeAuth: false, writes: false) { ctx, _ in .lines(ctx.engine.info().map { "\($0.0): \($0.1)" }) },
        Command(name: "COUNT", arity: 1, maxArity: 1, usage: "COUNT", summary: "number of items",
                beforeAuth: false, writes: false) { ctx, _ in .integer(ctx.engine.count()) },
        Command(name: "GET", arity: 2, maxArity: 2, usage: "GET id", summary: "an item's label, code and bits",
                beforeAuth: false, writes: false) { ctx, w in
            guard let item = try ctx.engine.get(w[1]) else { throw EngineError.notFound(w[1]) }
            return .rows([[.string("id"), .string(item.id)], [.string("label"), .int(item.label)],
                          [.string("code"), .string(item.code.map(formatFloat).joined(separator: ","))],
                          [.string("bits"), .string(item.bitsHex.isEmpty ? "-" : item.bitsHex)]])
        },
        Command(name: "KNN", arity: 4, maxArity: 4, usage: "KNN k ID id | VEC f,f,… | RAW p,p,…",
                summary: "k nearest by squared L2 in code space: rank id distance label",
                beforeAuth: false, writes: false) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            let query: VectorQuery
            switch w[2].uppercased() {
            case "ID": query = .id(w[3])
            case "VEC": query = .vector(try numbers(w[3], "VEC"))
            case "RAW": query = .raw(try pixels(w[3]))
            default: throw EngineError("SYNTAX", "KNN k ID id | VEC f,f,… | RAW p,p,… (got '\(w[2])')")
            }
            return hitRows(try ctx.engine.knn(k: k, query: query))
        },
        Command(name: "HAMMING", arity: 4, maxArity: 4, usage: "HAMMING k ID id | BITS hex",
                summary: "k nearest by Hamming distance: rank id distance label",
                beforeAuth: false, writes: false) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            return hitRows(try ctx.engine.hamming(k: k, query: try bitsQuery(w, "HAMMING k")))
        },
        Command(name: "RADIUS", arity: 4, maxArity: 4, usage: "RADIUS r ID id | BITS hex",
                summary: "every item within Hamming radius r: rank id distance label",
                beforeAuth: false, writes: false) { ctx, w in
            guard let r = Int(w[1]), r >= 0, r <= ctx.policy.maxRadius else {
                throw EngineError("BADARG", "radius must be an integer in 0...\(ctx.policy.maxRadius), got '\(w[1])'")
            }
            let hits = try ctx.engine.radius(r, query: try bitsQuery(w, "RADIUS r"))
            guard hits.count <= ctx.policy.maxRadiusHits else {
                throw EngineError("TOOMANY", "\(hits.count) items within radius \(r); the limit is \(ctx.policy.maxRadiusHits)")
            }
            return hitRows(hits)
        },
        Command(name: "ADD", arity: 5, maxArity: 5, usage: "ADD id label RAW p,p,…",
                summary: "embed and store an item (durable before the reply)",
                beforeAuth: false, writes: true) { ctx, w in
            guard let label = Int(w[2]), label >= -1, label <= Int(Int32.max) else {
                throw EngineError("BADARG", "label must be an integer ≥ -1, got '\(w[2])'")
            }
            guard w[3].uppercased() == "RAW" else { throw EngineError("SYNTAX", "ADD id label RAW p,p,…") }
            try ctx.engine.add(id: w[1], label: label, pixels: try pixels(w[4]))
            return .status("OK")
        },
        Command(name: "DEL", arity: 2, maxArity: 2, usage: "DEL id", summary: "remove an item (durable before the reply)",
                beforeAuth: false, writes: true) { ctx, w in
            guard try ctx.engine.delete(w[1]) else { throw EngineError.notFound(w[1]) }
            return .status("OK")
        },
    ]

    static let byName: [String: Command] = Dictionary(uniqueKeysWithValues: commands.map { ($0.name, $0) })

    /// Runs one request: lookup, the one arity check, auth and read-only checks, then the handler.
    public static func dispatch(_ words: [String], engine: any SearchEngine, policy: CommandPolicy,
                                session: inout Session) -> Reply {
        guard let name = words.first else { return .err("SYNTAX", "empty request") }
        guard let command = byName[name.uppercased()] else {
            return .err("UNKNOWN", "unknown command '\(name)'; HELP lists the commands")
        }
        guard words.count >= command.arity && words.count <= command.maxArity else {
            return .err("ARITY", "wrong number of arguments for \(command.name): usage \(command.usage)")
        }
        if policy.authToken != nil, !session.authenticated, !command.beforeAuth {
            return .err("NOAUTH", "authentication required: AUTH token")
        }
        switch command.name {
        case "AUTH":
            guard let token = policy.authToken else { return .err("AUTH", "no token is set on this server") }
            session.authenticated = constantTimeEqual(words[1], token)
            return session.authenticated ? .status("OK") : .err("AUTH", "invalid token")
        case "QUIT":
            session.closeAfterReply = true
        default:
            break
        }
        if command.writes && policy.readOnly {
            return .err("READONLY", "the server runs with --read-only")
        }
        let context = CommandContext(engine: engine, policy: policy, session: session)
        do {
            return try command.handler(context, words)
        } catch {
            return errorReply(error)
        }
    }
}

func errorReply(_ error: Error) -> Reply {
    if let e = error as? EngineError { return .err(e.code, e.message) }
    return .err("INTERNAL", "\(error)")
}

/// Comparison whose time does not depend on where the strings first differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
    return diff == 0
}

func positive(_ text: String, _ name: String, max: Int) throws -> Int {
    guard let v = Int(text), v >= 1, v <= max else {
        throw EngineError("BADARG", "\(name) must be an integer in 1...\(max), got '\(text)'")
    }
    return v
}

/// Comma-separated finite numbers.
func numbers(_ text: String, _ what: String) throws -> [Float] {
    var out: [Float] = []
    for (i, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
        guard let v = Float(part), v.isFinite else {
            throw EngineError("BADARG", "\(what) value \(i + 1) is not a finite number: '\(part)'")
        }
        out.append(v)
    }
    return out
}

/// Comma-separated pixel values 0–255, scaled to [0, 1].
func pixels(_ text: String) throws -> [Float] {
    let values = try numbers(text, "RAW")
    if let bad = values.firstIndex(where: { $0 < 0 || $0 > 255 }) {
        throw EngineError("BADARG", "RAW pixel \(bad + 1) is \(values[bad]); pixels are 0–255")
    }
    return values.map { $0 / 255 }
}

func bitsQuery(_ w: [String], _ usage: String) throws -> BitsQuery {
    switch w[2].uppercased() {
    case "ID": return .id(w[3])
    case "BITS": return .hex(w[3])
    default: throw EngineError("SYNTAX", "\(usage) ID id | BITS hex (got '\(w[2])')")
    }
}

func hitRows(_ hits: [Hit]) -> Reply {
    .rows(hits.enumerated().map { i, h in [.int(i + 1), .string(h.id), .string(formatFloat(h.distance)), .int(h.label)] })
}

/// The shortest text that reads back as the same Float.
func formatFloat(_ v: Float) -> String {
    v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : "\(v)"
}
