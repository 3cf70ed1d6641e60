import VicinityProtocol
import Foundation

/// What Redis clients and tools ask the server about itself: DBSIZE, COMMAND, CONFIG GET, SLOWLOG.
extension CommandTable {
    static let serverCommands: [Command] = [
        Command(
            "DBSIZE", arity: 1, usage: "DBSIZE", summary: "number of keys: the served store and each vector set",
            group: .server
        ) { ctx, _ in .integer(1 + ctx.sets.names.count) },
        Command(
            "KEYS", arity: 2, usage: "KEYS pattern",
            summary: "the keys (the served store, the vector sets) matching a glob",
            group: .server
        ) { ctx, w in .array(keys(ctx).filter { fnmatch(w[1], $0, 0) == 0 }.map { .text($0) }) },
        Command(
            "SCAN", arity: 2, maxArity: 8, usage: "SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]",
            summary: "every key in one pass (cursor 0 back)", group: .server
        ) { ctx, w in
            guard try integer(w[1]) == 0 else { return .array([.text("0"), .array([])]) }
            var pattern = "*", type: String?
            var i = 2
            while i + 1 < w.count {
                switch w[i].uppercased() {
                case "MATCH": pattern = w[i + 1]
                case "COUNT": _ = try integer(w[i + 1], 1...Int.max)
                case "TYPE": type = w[i + 1].lowercased()
                default: throw EngineError("SYNTAX", "syntax error")
                }
                i += 2
            }
            guard i == w.count else { throw EngineError("SYNTAX", "syntax error") }
            let matching =
                type.map { $0 == "vectorset" } ?? true ? keys(ctx).filter { fnmatch(pattern, $0, 0) == 0 } : []
            return .array([.text("0"), .array(matching.map { .text($0) })])
        },
        Command(
            "EXISTS", arity: 2, maxArity: .max, usage: "EXISTS key [key …]", summary: "how many of the keys exist",
            group: .server
        ) { ctx, w in
            let all = Set(keys(ctx))
            return .integer(w.dropFirst().filter { all.contains($0) }.count)
        },
        Command("TYPE", arity: 2, usage: "TYPE key", summary: "vectorset, or none", group: .server) { ctx, w in
            .status(keys(ctx).contains(w[1]) ? "vectorset" : "none")
        },
        Command(
            "SNAPSHOT", arity: 2, usage: "SNAPSHOT dir",
            summary: "write a consistent, canonical copy of the served store into a new folder (server-side path)",
            group: .server
        ) { ctx, w in
            let began = Date()
            do {
                let items = try ctx.engine.snapshot(to: w[1])
                ctx.stats.recordSnapshot(path: w[1], items: items, seconds: Date().timeIntervalSince(began))
                return .integer(items)
            } catch {
                ctx.stats.log.snapshotFailed(path: w[1], error: (error as? EngineError)?.message ?? "\(error)")
                throw error
            }
        },
        Command(
            "COMMAND", arity: 1, maxArity: .max, usage: "COMMAND [COUNT | LIST | INFO [name …] | DOCS [name …]]",
            summary: "the command table, in Redis's COMMAND format", group: .server,
            subcommands: ["COUNT", "LIST", "INFO", "DOCS"]
        ) { ctx, w in
            switch w.count == 1 ? "INFO" : w[1].uppercased() {
            case "COUNT": return .integer(commands.count)
            case "LIST": return .array(commands.map { .text($0.name.lowercased()) })
            case "INFO":
                let names = w.count > 2 ? Array(w.dropFirst(2)) : commands.map(\.name)
                return .array(names.map { byName[$0.uppercased()].map(commandInfo) ?? .null })
            case "DOCS":
                let names = w.count > 2 ? Array(w.dropFirst(2)) : commands.map(\.name)
                return .map(
                    names.compactMap { byName[$0.uppercased()] }.map {
                        Reply.Entry($0.name.lowercased(), commandDocs($0))
                    })
            default: throw EngineError("BADARG", "unknown subcommand '\(scrubbed(w[1]))'. Try COMMAND HELP.")
            }
        },
        Command(
            "CONFIG", arity: 2, maxArity: .max, usage: "CONFIG GET pattern [pattern …]",
            summary: "read the server's settings (they are set by command-line options)", group: .server,
            subcommands: ["GET"]
        ) { ctx, w in
            switch w[1].uppercased() {
            case "GET":
                guard w.count >= 3 else {
                    throw EngineError("ARITY", "wrong number of arguments for 'config|get' command")
                }
                let settings = configSettings(ctx.policy).sorted { $0.key < $1.key }
                let matching = settings.filter { s in
                    w.dropFirst(2).contains { fnmatch($0.lowercased(), s.key, 0) == 0 }
                }
                return .map(matching.map { Reply.Entry($0.key, .text($0.value)) })
            case "SET", "REWRITE", "RESETSTAT":
                throw EngineError(
                    "BADARG",
                    "CONFIG \(w[1].uppercased()) is not supported: Vicinity's settings are `vicinity serve` options")
            default: throw EngineError("BADARG", "unknown subcommand '\(scrubbed(w[1]))'. Try CONFIG HELP.")
            }
        },
        Command(
            "SLOWLOG", arity: 2, maxArity: 3, usage: "SLOWLOG GET [count] | LEN | RESET",
            summary: "requests slower than slowlog-log-slower-than microseconds", group: .server,
            subcommands: ["GET", "LEN", "RESET"]
        ) { ctx, w in
            switch w[1].uppercased() {
            case "GET":
                let n = w.count == 3 ? try integer(w[2]) : 10
                guard n >= -1 else { throw EngineError("BADARG", "count should be greater than or equal to -1") }
                return .array(
                    ctx.stats.slowlog(n == -1 ? Int.max : n).map { e in
                        .array([
                            .integer(e.id), .integer(e.time), .integer(e.microseconds),
                            .array(e.arguments.map { .text($0) }),
                            .text(e.peer), .text(e.name),
                        ])
                    })
            case "LEN": return .integer(ctx.stats.slowlogLength)
            case "RESET":
                ctx.stats.resetSlowlog()
                return .ok
            default: throw EngineError("BADARG", "unknown subcommand '\(scrubbed(w[1]))'. Try SLOWLOG HELP.")
            }
        },
    ]

    /// The key space: the served store, then the client vector sets.
    static func keys(_ ctx: CommandContext) -> [String] {
        [ctx.engine.name] + ctx.sets.names.filter { $0 != ctx.engine.name }
    }

    /// CONFIG GET's keys: the ones clients and redis-benchmark ask for, and the server's own limits.
    static func configSettings(_ policy: CommandPolicy) -> [String: String] {
        var s = [
            "save": "", "appendonly": "no", "appendfsync": "always", "databases": "1", "maxmemory": "0",
            "maxmemory-policy": "noeviction", "protected-mode": "yes", "cluster-enabled": "no",
            "slowlog-log-slower-than": "\(policy.slowlogMicroseconds)", "slowlog-max-len": "\(policy.slowlogLength)",
        ]
        s.merge(policy.settings) { $1 }
        return s
    }

    /// COMMAND INFO's ten fields: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.
    static func commandInfo(_ c: Command) -> Reply {
        let flags =
            c.writes ? ["write", "denyoom"] : c.group == .connection ? ["fast", "loading", "stale"] : ["readonly"]
        let categories = c.writes ? ["@write"] : c.group == .connection ? ["@connection", "@fast"] : ["@read"]
        let key = c.takesKey ? 1 : 0
        var specs: [Reply] = []
        if c.takesKey {
            specs.append(
                .fields([
                    "flags": .set([.status(c.writes ? "RW" : "RO")]),
                    "begin_search": .fields(["type": .text("index"), "spec": .fields(["index": .integer(1)])]),
                    "find_keys": .fields([
                        "type": .text("range"),
                        "spec": .fields(["lastkey": .integer(0), "keystep": .integer(1), "limit": .integer(0)]),
                    ]),
                ]))
        }
        let subcommands: [Reply] = c.subcommands.map { sub in
            .array([
                .text("\(c.name.lowercased())|\(sub.lowercased())"), .integer(-2), .set(flags.map { .status($0) }),
                .integer(0), .integer(0), .integer(0), .set(categories.map { .status($0) }), .set([]), .set([]),
                .set([]),
            ])
        }
        return .array([
            .text(c.name.lowercased()), .integer(c.redisArity),
            .set((flags + (c.beforeAuth ? ["no_auth"] : [])).map { .status($0) }),
            .integer(key), .integer(key), .integer(key), .set(categories.map { .status($0) }), .set([]),
            .set(specs), .array(subcommands),
        ])
    }

    static func commandDocs(_ c: Command) -> Reply {
        .fields([
            "summary": .text(c.summary), "since": .text("1.0.0"), "group": .text(c.group.rawValue),
            "complexity": .text(c.usage),
        ])
    }
}

extension CommandTable {
    /// MULTI / EXEC / DISCARD: requests queue after MULTI and run in order, back to back, at EXEC.
    static let transactionCommands: [Command] = [
        Command("MULTI", arity: 1, usage: "MULTI", summary: "start queueing requests for EXEC", group: .transactions) {
            ctx, _ in
            guard ctx.session.queued == nil else { throw EngineError("BADARG", "MULTI calls can not be nested") }
            ctx.session.queued = []
            ctx.session.transactionFailed = false
            return .ok
        },
        Command(
            "EXEC", arity: 1, usage: "EXEC", summary: "run the queued requests; their replies as one array",
            group: .transactions
        ) { ctx, _ in
            guard let queued = ctx.session.queued else { throw EngineError("BADARG", "EXEC without MULTI") }
            let failed = ctx.session.transactionFailed
            ctx.session.queued = nil
            ctx.session.transactionFailed = false
            if failed { throw EngineError("EXECABORT", "Transaction discarded because of previous errors.") }
            var replies: [Reply] = []
            for request in queued {
                var inner = CommandContext(
                    engine: ctx.engine, sets: ctx.sets, policy: ctx.policy, stats: ctx.stats,
                    session: ctx.session, request: request)
                replies.append(run(&inner))
                ctx.session = inner.session
            }
            return .array(replies)
        },
        Command("DISCARD", arity: 1, usage: "DISCARD", summary: "drop the queued requests", group: .transactions) {
            ctx, _ in
            guard ctx.session.queued != nil else { throw EngineError("BADARG", "DISCARD without MULTI") }
            ctx.session.queued = nil
            ctx.session.transactionFailed = false
            return .ok
        },
    ]
}
