import VicinityProtocol
/// One entry of the command table.
public struct Command: Sendable {
    public enum Group: String, Sendable { case connection, server, transactions, search, vectorset = "vector_set" }

    public let name: String
    /// Words including the command name: `arity...maxArity` (`Int.max`: any number more).
    public let arity: Int
    public let maxArity: Int
    public let usage: String
    public let summary: String
    public let group: Group
    /// Allowed before AUTH when a token is set.
    public let beforeAuth: Bool
    /// Changes data: refused with --read-only.
    public let writes: Bool
    /// The key (vector-set name) is the first argument (COMMAND INFO's key positions).
    public let takesKey: Bool
    /// Subcommand names for COMMAND INFO / DOCS (CLIENT SETNAME, …).
    public let subcommands: [String]
    let handler: @Sendable (inout CommandContext, [String]) throws -> Reply

    init(
        _ name: String, arity: Int, maxArity: Int? = nil, usage: String, summary: String, group: Group,
        beforeAuth: Bool = false, writes: Bool = false, takesKey: Bool = false, subcommands: [String] = [],
        handler: @escaping @Sendable (inout CommandContext, [String]) throws -> Reply
    ) {
        self.name = name
        self.arity = arity
        self.maxArity = maxArity ?? arity
        self.usage = usage
        self.summary = summary
        self.group = group
        self.beforeAuth = beforeAuth
        self.writes = writes
        self.takesKey = takesKey
        self.subcommands = subcommands
        self.handler = handler
    }

    /// Redis's arity convention: exact when fixed, minus the minimum when variable.
    public var redisArity: Int { arity == maxArity ? arity : -arity }
}

/// What a handler works with.
public struct CommandContext: Sendable {
    public let engine: any SearchEngine
    public let sets: VectorSets
    public let policy: CommandPolicy
    public let stats: ServerStats
    public var session: Session
    /// The request being answered (its raw bytes carry binary payloads).
    public let request: Request

    /// Whether the reply goes out as RESP (Redis wording) rather than plain text.
    var resp: Bool { request.style == .resp }
}

/// Every command the server knows, declared once; `dispatch` does the one arity check.
public enum CommandTable {
    public static let commands: [Command] =
        dataCommands + connectionCommands + serverCommands + transactionCommands + vectorSetCommands

    static let byName: [String: Command] = Dictionary(uniqueKeysWithValues: commands.map { ($0.name, $0) })

    /// Runs one request: lookup, the one arity check, auth and read-only checks, transactions, then the handler.
    public static func dispatch(
        _ request: Request, engine: any SearchEngine, sets: VectorSets, policy: CommandPolicy,
        stats: ServerStats, session: inout Session
    ) -> Reply {
        var context = CommandContext(
            engine: engine, sets: sets, policy: policy, stats: stats, session: session,
            request: request)
        defer { session = context.session }
        return run(&context)
    }

    static func run(_ ctx: inout CommandContext) -> Reply {
        let words = ctx.request.words
        guard let name = words.first else { return .err("SYNTAX", "empty request") }
        let inTransaction = ctx.session.queued != nil
        guard let command = byName[name.uppercased()] else {
            ctx.session.transactionFailed = inTransaction
            return unknownCommand(words, resp: ctx.resp)
        }
        guard words.count >= command.arity && words.count <= command.maxArity else {
            ctx.session.transactionFailed = inTransaction
            return ctx.resp
                ? .err(
                    "ARITY",
                    "wrong number of arguments for '\(command.group == .vectorset ? command.name : command.name.lowercased())' command"
                )
                : .err("ARITY", "wrong number of arguments for \(command.name): usage \(command.usage)")
        }
        if ctx.policy.authToken != nil, !ctx.session.authenticated, !command.beforeAuth {
            ctx.session.transactionFailed = inTransaction
            return ctx.resp
                ? .err("NOAUTH", "Authentication required.") : .err("NOAUTH", "authentication required: AUTH token")
        }
        if inTransaction && command.group != .transactions && command.name != "QUIT" && command.name != "RESET" {
            ctx.session.queued!.append(ctx.request)
            return .status("QUEUED")
        }
        if command.writes && ctx.policy.readOnly {
            return .err("READONLY", "the server runs with --read-only")
        }
        do {
            return try command.handler(&ctx, words)
        } catch {
            return errorReply(error)
        }
    }

    static func unknownCommand(_ words: [String], resp: Bool) -> Reply {
        guard resp else { return .err("UNKNOWN", "unknown command '\(words[0])'; HELP lists the commands") }
        var shown = "", budget = 128
        for word in words.dropFirst() where budget > 0 {
            let part = String(word.prefix(budget))
            shown += "'\(part)' "
            budget -= part.count
        }
        return .err("UNKNOWN", "unknown command '\(words[0].prefix(128))', with args beginning with: \(shown)")
    }
}

func errorReply(_ error: Error) -> Reply {
    if let e = error as? EngineError { return .err(e.code, e.message) }
    return .err("INTERNAL", "\(error)")
}
