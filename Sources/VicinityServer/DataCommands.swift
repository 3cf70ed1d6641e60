/// The store's own commands: lookups, the three searches, ADD and DEL (docs/PROTOCOL.md).
extension CommandTable {
    static let dataCommands: [Command] = [
        Command("PING", arity: 1, maxArity: 2, usage: "PING [message]", summary: "PONG, or the message back",
                group: .connection, beforeAuth: true) { _, w in w.count == 2 ? .text(w[1]) : .status("PONG") },
        Command("HELP", arity: 1, usage: "HELP", summary: "this list of commands", group: .server, beforeAuth: true) {
            _, _ in .rows(commands.map { [.string($0.name), .string($0.usage), .string($0.summary)] })
        },
        Command("INFO", arity: 1, maxArity: .max, usage: "INFO [section …]",
                summary: "model, store, counts, uptime, query statistics (RESP: Redis's INFO format)", group: .server) {
            ctx, w in
            ctx.resp ? .verbatim(RedisInfo.text(ctx, sections: Array(w.dropFirst())))
                : .lines(ctx.engine.info().map { "\($0.0): \($0.1)" })
        },
        Command("COUNT", arity: 1, usage: "COUNT", summary: "number of items", group: .search) { ctx, _ in
            .integer(ctx.engine.count())
        },
        Command("GET", arity: 2, usage: "GET id", summary: "an item's label, code and bits", group: .search) { ctx, w in
            guard let item = try ctx.engine.get(w[1]) else { throw EngineError.notFound(w[1]) }
            return .rows([
                [.string("id"), .string(item.id)], [.string("label"), .int(item.label)],
                [.string("code"), .string(item.code.map(formatFloat).joined(separator: ","))],
                [.string("bits"), .string(item.bitsHex.isEmpty ? "-" : item.bitsHex)],
            ])
        },
        Command("KNN", arity: 4, usage: "KNN k ID id | VEC f,f,… | RAW p,p,…",
                summary: "k nearest by squared L2 in code space: rank id distance label", group: .search) { ctx, w in
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
        Command("HAMMING", arity: 4, usage: "HAMMING k ID id | BITS hex",
                summary: "k nearest by Hamming distance: rank id distance label", group: .search) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            return hitRows(try ctx.engine.hamming(k: k, query: try bitsQuery(w, "HAMMING k")))
        },
        Command("RADIUS", arity: 4, usage: "RADIUS r ID id | BITS hex",
                summary: "every item within Hamming radius r: rank id distance label", group: .search) { ctx, w in
            guard let r = Int(w[1]), r >= 0, r <= ctx.policy.maxRadius else {
                throw EngineError("BADARG", "radius must be an integer in 0...\(ctx.policy.maxRadius), got '\(w[1])'")
            }
            let hits = try ctx.engine.radius(r, query: try bitsQuery(w, "RADIUS r"))
            guard hits.count <= ctx.policy.maxRadiusHits else {
                throw EngineError(
                    "TOOMANY", "\(hits.count) items within radius \(r); the limit is \(ctx.policy.maxRadiusHits)")
            }
            return hitRows(hits)
        },
        Command("ADD", arity: 5, usage: "ADD id label RAW p,p,…", summary: "embed and store an item (durable before the reply)",
                group: .search, writes: true) { ctx, w in
            guard let label = Int(w[2]), label >= -1, label <= Int(Int32.max) else {
                throw EngineError("BADARG", "label must be an integer ≥ -1, got '\(w[2])'")
            }
            guard w[3].uppercased() == "RAW" else { throw EngineError("SYNTAX", "ADD id label RAW p,p,…") }
            try ctx.engine.add(id: w[1], label: label, pixels: try pixels(w[4]))
            return .ok
        },
        Command("DEL", arity: 2, usage: "DEL id", summary: "remove an item (durable before the reply)", group: .search,
                writes: true) { ctx, w in
            guard try ctx.engine.delete(w[1]) else { throw EngineError.notFound(w[1]) }
            return .ok
        },
    ]
}

func hitRows(_ hits: [Hit]) -> Reply {
    .rows(hits.enumerated().map { i, h in [.int(i + 1), .string(h.id), .string(formatFloat(h.distance)), .int(h.label)] })
}
