import VicinityProtocol
import Foundation

/// The connection handshake Redis clients run: HELLO, AUTH, CLIENT, SELECT, and the small ones.
extension CommandTable {
    /// The Redis version whose command surface Vicinity follows (HELLO, INFO).
    public static let redisVersion = "8.0.0"

    static let connectionCommands: [Command] = [
        Command(
            "HELLO", arity: 1, maxArity: 7, usage: "HELLO [protover [AUTH user pass] [SETNAME name]]",
            summary: "choose RESP2 or RESP3, optionally authenticate and name the connection", group: .connection,
            beforeAuth: true, handler: hello),
        Command(
            "AUTH", arity: 2, maxArity: 3, usage: "AUTH [user] token", summary: "authenticate this connection",
            group: .connection, beforeAuth: true, handler: auth),
        Command("QUIT", arity: 1, usage: "QUIT", summary: "close the connection", group: .connection, beforeAuth: true)
        {
            ctx, _ in
            ctx.session.closeAfterReply = true
            return .ok
        },
        Command(
            "RESET", arity: 1, usage: "RESET", summary: "forget this connection's state (protocol, name, auth, MULTI)",
            group: .connection, beforeAuth: true
        ) { ctx, _ in
            ctx.session = ctx.session.reset(authenticated: ctx.policy.authToken == nil)
            return .status("RESET")
        },
        Command("SELECT", arity: 2, usage: "SELECT 0", summary: "database 0, the only one", group: .connection) {
            _, w in
            guard try integer(w[1]) == 0 else { throw EngineError("BADARG", "DB index is out of range") }
            return .ok
        },
        Command("ECHO", arity: 2, usage: "ECHO message", summary: "the message back", group: .connection) { _, w in
            .text(w[1])
        },
        Command(
            "TIME", arity: 1, usage: "TIME", summary: "the server's clock: unix seconds and microseconds",
            group: .server
        ) { _, _ in
            var now = timeval()
            gettimeofday(&now, nil)
            return .array([.text("\(now.tv_sec)"), .text("\(now.tv_usec)")])
        },
        Command(
            "CLIENT", arity: 2, maxArity: .max, usage: "CLIENT SETINFO|SETNAME|GETNAME|ID|INFO|LIST …",
            summary: "this connection's id, name and library; the list of connections", group: .connection,
            subcommands: ["SETINFO", "SETNAME", "GETNAME", "ID", "INFO", "LIST", "HELP"], handler: client),
    ]

    static func hello(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        var version = ctx.session.protocolVersion
        if w.count >= 2 {
            guard let v = Int(w[1]) else {
                throw EngineError("BADARG", "Protocol version is not an integer or out of range")
            }
            guard v == 2 || v == 3 else { throw EngineError("NOPROTO", "unsupported protocol version") }
            version = v
        }
        var i = 2, name: String?, credentials: (String, String)?
        while i < w.count {
            let option = w[i].uppercased()
            if option == "AUTH" && i + 2 < w.count {
                credentials = (w[i + 1], w[i + 2])
                i += 3
            } else if option == "SETNAME" && i + 1 < w.count {
                name = w[i + 1]
                i += 2
            } else {
                throw EngineError("SYNTAX", "Syntax error in HELLO option '\(w[i])'")
            }
        }
        if let (user, token) = credentials {
            try authenticate(&ctx, user: user, token: token)
        } else if ctx.policy.authToken != nil && !ctx.session.authenticated {
            throw EngineError(
                "NOAUTH",
                "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
            )
        }
        if let name { try setName(&ctx, name) }
        ctx.session.protocolVersion = version
        return .fields([
            "server": .text("vicinity"), "version": .text(redisVersion), "proto": .integer(version),
            "id": .integer(ctx.session.clientID), "mode": .text("standalone"), "role": .text("master"),
            "modules": .array([]),
        ])
    }

    static func auth(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        guard ctx.policy.authToken != nil || w.count == 3 else {
            throw ctx.resp
                ? EngineError(
                    "ERR",
                    "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
                )
                : EngineError("AUTH", "no token is set on this server")
        }
        try authenticate(&ctx, user: w.count == 3 ? w[1] : "default", token: w[w.count - 1])
        return .ok
    }

    /// The one user is `default`; its password is the server's token (any password when it has none, as Redis's nopass).
    static func authenticate(_ ctx: inout CommandContext, user: String, token: String) throws {
        let valid = user == "default" && ctx.policy.authToken.map { constantTimeEqual(token, $0) } ?? true
        ctx.session.authenticated = valid || ctx.policy.authToken == nil && ctx.session.authenticated
        guard valid else {
            throw ctx.resp
                ? EngineError("WRONGPASS", "invalid username-password pair or user is disabled.")
                : EngineError("AUTH", "invalid token")
        }
    }

    static func setName(_ ctx: inout CommandContext, _ name: String) throws {
        guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw EngineError("BADARG", "Client names cannot contain spaces, newlines or special characters.")
        }
        ctx.session.name = name
    }

    static func client(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        let sub = w[1].uppercased()
        func arity(_ n: ClosedRange<Int>) throws {
            guard n.contains(w.count) else {
                throw EngineError("ARITY", "wrong number of arguments for 'client|\(sub.lowercased())' command")
            }
        }
        switch sub {
        case "SETNAME":
            try arity(3...3)
            try setName(&ctx, w[2])
            return .ok
        case "GETNAME":
            try arity(2...2)
            return ctx.session.name.isEmpty ? .null : .text(ctx.session.name)
        case "SETINFO":
            try arity(4...4)
            guard w[3].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw EngineError("BADARG", "\(w[2]) cannot contain spaces, newlines or special characters.")
            }
            switch w[2].uppercased() {
            case "LIB-NAME": ctx.session.libraryName = w[3]
            case "LIB-VER": ctx.session.libraryVersion = w[3]
            default: throw EngineError("BADARG", "Unrecognized option '\(w[2])'")
            }
            return .ok
        case "ID":
            try arity(2...2)
            return .integer(ctx.session.clientID)
        case "INFO":
            try arity(2...2)
            return .verbatim(clientLine(ctx.session, ctx.stats.client(ctx.session.clientID), now: Date()) + "\n")
        case "LIST":
            // In id order; this connection as it is now (its record is as of its previous request).
            let now = Date(), me = ctx.session.clientID
            return .verbatim(
                ctx.stats.clients.map { r in
                    clientLine(r.session.clientID == me ? ctx.session : r.session, r, now: now) + "\n"
                }.joined())
        case "HELP":
            return .array(
                [
                    "CLIENT SETNAME name", "CLIENT GETNAME", "CLIENT SETINFO LIB-NAME|LIB-VER value", "CLIENT ID",
                    "CLIENT INFO", "CLIENT LIST",
                ].map { .status($0) })
        default:
            throw EngineError("BADARG", "unknown subcommand '\(scrubbed(w[1]))'. Try CLIENT HELP.")
        }
    }

    /// One CLIENT LIST line, fields in Redis's order (those Vicinity has no notion of at their idle values).
    static func clientLine(_ s: Session, _ record: ServerStats.ClientRecord?, now: Date) -> String {
        let age = record.map { Int(now.timeIntervalSince($0.connected)) } ?? 0
        let idle = record.map { Int(now.timeIntervalSince($0.lastActive)) } ?? 0
        let multi = s.queued.map { "\($0.count)" } ?? "-1"
        let command = record?.lastCommand ?? "NULL"
        return "id=\(s.clientID) addr=\(s.peer) laddr=\(s.local) fd=-1 name=\(s.name) age=\(age) idle=\(idle) "
            + "flags=\(s.queued == nil ? "N" : "x") db=0 sub=0 psub=0 ssub=0 multi=\(multi) watch=0 qbuf=0 qbuf-free=0 "
            + "argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=\(command) user=default "
            + "redir=-1 resp=\(s.protocolVersion) lib-name=\(s.libraryName) lib-ver=\(s.libraryVersion)"
    }
}
