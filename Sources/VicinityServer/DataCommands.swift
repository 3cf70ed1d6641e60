import VicinityPipeline
import VicinityProtocol
import VicinityCodes
import VicinitySearch

/// The store's own commands: lookups, the three searches, ADD and DEL (docs/PROTOCOL.md).
extension CommandTable {
    static let dataCommands: [Command] = [
        Command(
            "PING", arity: 1, maxArity: 2, usage: "PING [message]", summary: "PONG, or the message back",
            group: .connection, beforeAuth: true
        ) { _, w in w.count == 2 ? .text(w[1]) : .status("PONG") },
        Command("HELP", arity: 1, usage: "HELP", summary: "this list of commands", group: .server, beforeAuth: true) {
            _, _ in .rows(commands.map { [.string($0.name), .string($0.usage), .string($0.summary)] })
        },
        Command(
            "INFO", arity: 1, maxArity: .max, usage: "INFO [section …]",
            summary: "model, store, counts, uptime, query statistics (RESP: Redis's INFO format)", group: .server
        ) {
            ctx, w in
            ctx.resp
                ? .verbatim(RedisInfo.text(ctx, sections: Array(w.dropFirst())))
                : .lines(ctx.engine.info().map { "\($0.0): \($0.1)" })
        },
        Command("COUNT", arity: 1, usage: "COUNT", summary: "number of items", group: .search) { ctx, _ in
            .integer(ctx.engine.count())
        },
        Command(
            "GET", arity: 2, usage: "GET id", summary: "an item's label (and class name), code and bits", group: .search
        ) { ctx, w in
            guard let item = try ctx.engine.get(w[1]) else { throw EngineError.notFound(w[1]) }
            let name: [[Reply.Field]] = item.className.map { [[.string("class"), .string($0)]] } ?? []
            return .rows(
                [[.string("id"), .string(item.id)], [.string("label"), .int(item.label)]] + name + [
                    [.string("code"), .string(item.code.map(formatFloat).joined(separator: ","))],
                    [.string("bits"), .string(item.bitsHex.isEmpty ? "-" : item.bitsHex)],
                ])
        },
        Command(
            "KNN", arity: 4, maxArity: 7,
            usage:
                "KNN k ID id | ROW r | VEC f,f,… | RAW p,p,… | FP32 blob | U8 blob | TEXT words [FILTER expr] [NOSELF]",
            summary: "k nearest by squared L2 in code space: rank id distance label", group: .search
        ) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            let query = try vectorQuery(ctx, "KNN k")
            return hitRows(try ctx.engine.knn(k: k, query: query, options: try searchOptions(w, "KNN k")))
        },
        Command(
            "CLASSIFY", arity: 4, maxArity: 7,
            usage:
                "CLASSIFY k ID id | ROW r | VEC f,f,… | RAW p,p,… | FP32 blob | U8 blob | TEXT words [FILTER expr] [NOSELF]",
            summary: "the label by a vote of the k nearest (eval's rule), the votes, the winner's share",
            group: .search
        ) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            let query = try vectorQuery(ctx, "CLASSIFY k")
            return classification(try ctx.engine.knn(k: k, query: query, options: try searchOptions(w, "CLASSIFY k")))
        },
        Command(
            "HAMMING", arity: 4, maxArity: 7,
            usage: "HAMMING k ID id | ROW r | BITS hex|bytes | RAW p,p,… | U8 blob | TEXT words [FILTER expr] [NOSELF]",
            summary: "k nearest by Hamming distance: rank id distance label", group: .search
        ) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            let query = try bitsQuery(ctx, "HAMMING k")
            return hitRows(try ctx.engine.hamming(k: k, query: query, options: try searchOptions(w, "HAMMING k")))
        },
        Command(
            "RADIUS", arity: 4, maxArity: 7,
            usage: "RADIUS r ID id | ROW r | BITS hex|bytes | RAW p,p,… | U8 blob | TEXT words [FILTER expr] [NOSELF]",
            summary: "every item within Hamming radius r: rank id distance label", group: .search
        ) { ctx, w in
            let r = try radius(w[1], ctx.policy)
            let query = try bitsQuery(ctx, "RADIUS r")
            let hits = try ctx.engine.radius(r, query: query, options: try searchOptions(w, "RADIUS r"))
            guard hits.count <= ctx.policy.maxRadiusHits else {
                throw EngineError(
                    "TOOMANY", "\(hits.count) items within radius \(r); the limit is \(ctx.policy.maxRadiusHits)")
            }
            return hitRows(hits)
        },
        Command(
            "SHORTLIST", arity: 5, maxArity: 8,
            usage:
                "SHORTLIST k r ID id | ROW r | VEC f,f,… | RAW p,p,… | FP32 blob | U8 blob | TEXT words [FILTER expr] [NOSELF]",
            summary:
                "the items within Hamming radius r of the query's bits, re-ranked by squared L2 in code space: the k best",
            group: .search
        ) { ctx, w in
            let k = try positive(w[1], "k", max: ctx.policy.maxK)
            let r = try radius(w[2], ctx.policy)
            let query = try vectorQuery(ctx, "SHORTLIST k r", at: 3)
            let options = try searchOptions(w, "SHORTLIST k r", from: 5)
            return hitRows(try ctx.engine.shortlist(k: k, radius: r, query: query, options: options))
        },
        Command(
            "ADD", arity: 5, maxArity: 7, usage: "ADD id label RAW p,p,… | U8 blob | TEXT words [ATTRS json]",
            summary: "embed and store an item (durable before the reply)", group: .search, writes: true
        ) { ctx, w in
            guard let label = Int(w[2]), label >= -1, label <= Int(Int32.max) else {
                throw EngineError("BADARG", "label must be an integer ≥ -1, got '\(w[2])'")
            }
            guard ["RAW", "U8", "TEXT"].contains(w[3].uppercased()) else {
                throw EngineError("SYNTAX", "ADD id label RAW p,p,… | U8 blob | TEXT words [ATTRS json]")
            }
            let image = try modelInput(ctx.request, at: 3, encoder: ctx.engine.encoder)
            var json: String?
            if w.count > 5 {
                guard w.count == 7, w[5].uppercased() == "ATTRS" else {
                    throw EngineError(
                        "SYNTAX", "ADD id label RAW p,p,… | U8 blob | TEXT words [ATTRS json] (got '\(w[5])')")
                }
                guard parseAttributes(w[6]) != nil else { throw EngineError("BADARG", "ATTRS must be a JSON object") }
                json = w[6]
            }
            // An engine without attributes refuses them (its setAttributes throws) before the item is written.
            if json != nil && !ctx.engine.supportsAttributes { _ = try ctx.engine.setAttributes(w[1], json) }
            try ctx.engine.add(id: w[1], label: label, pixels: image)
            if let json { _ = try ctx.engine.setAttributes(w[1], json) }
            return .ok
        },
        Command(
            "DEL", arity: 2, usage: "DEL id", summary: "remove an item (durable before the reply)", group: .search,
            writes: true
        ) { ctx, w in
            guard try ctx.engine.delete(w[1]) else { throw EngineError.notFound(w[1]) }
            return .ok
        },
    ]
}

func hitRows(_ hits: [Hit]) -> Reply {
    .rows(
        hits.enumerated().map { i, h in [.int(i + 1), .string(h.id), .string(formatFloat(h.distance)), .int(h.label)] })
}

func radius(_ text: String, _ policy: CommandPolicy) throws -> Int {
    guard let r = Int(text), r >= 0, r <= policy.maxRadius else {
        throw EngineError("BADARG", "radius must be an integer in 0...\(policy.maxRadius), got '\(text)'")
    }
    return r
}

/// The query of KNN, CLASSIFY and SHORTLIST: `w[at]` names the kind, `w[at + 1]` holds it.
func vectorQuery(_ ctx: CommandContext, _ usage: String, at i: Int = 2) throws -> VectorQuery {
    if let code = ctx.request.code { return .vector(code) }
    return try imageOrVectorQuery(ctx.request, usage, at: i, encoder: ctx.engine.encoder)
}

/// A query item, a code, or a model input: pixels, or a text counted with the model's vocabulary.
func imageOrVectorQuery(_ request: Request, _ usage: String, at i: Int = 2, encoder: ItemEncoder?) throws
    -> VectorQuery
{
    let w = request.words
    switch w[i].uppercased() {
    case "ID": return .id(w[i + 1])
    case "ROW": return .row(try row(w[i + 1]))
    case "VEC": return .vector(try numbers(w[i + 1], "VEC"))
    case "FP32": return .vector(try float32s(request.bytes[i + 1], "FP32"))
    case "RAW", "U8", "TEXT": return .raw(try modelInput(request, at: i, encoder: encoder))
    default:
        throw EngineError(
            "SYNTAX",
            "\(usage) ID id | ROW r | VEC f,f,… | RAW p,p,… | FP32 blob | U8 blob | TEXT words (got '\(w[i])')")
    }
}

/// What the served model embeds for a `RAW p,p,…`, `U8 blob` or `TEXT words` query at `w[i]`.
func modelInput(_ request: Request, at i: Int, encoder: ItemEncoder?) throws -> [Float] {
    switch request.words[i].uppercased() {
    case "RAW": return try pixels(request.words[i + 1])
    case "U8": return request.bytes[i + 1].map { Float($0) / 255 }
    case "TEXT": return try encoder.input(ofText: request.words[i + 1])
    default: preconditionFailure("\(request.words[i]) is not a model input")
    }
}

/// The query of HAMMING and RADIUS; BITS is hex text or the packed bytes themselves; a model
/// input (pixels or a text) becomes the bits the model gives it.
func bitsQuery(_ ctx: CommandContext, _ usage: String) throws -> BitsQuery {
    let w = ctx.request.words
    switch w[2].uppercased() {
    case "ID": return .id(w[3])
    case "ROW": return .row(try row(w[3]))
    // Plain lines carry hex; RESP may carry the packed bytes themselves.
    case "BITS": return ctx.request.style == .inline ? .hex(w[3]) : .bytes(ctx.request.bytes[3])
    case "RAW", "U8", "TEXT":
        let input = try modelInput(ctx.request, at: 2, encoder: ctx.engine.encoder)
        return .bytes(try ctx.engine.encoder.bitsBytes(ofInput: input))
    default:
        throw EngineError(
            "SYNTAX", "\(usage) ID id | ROW r | BITS hex|bytes | RAW p,p,… | U8 blob | TEXT words (got '\(w[2])')")
    }
}

func row(_ text: String) throws -> Int {
    guard let r = Int(text), r >= 0 else { throw EngineError("BADARG", "ROW must be a row number ≥ 0, got '\(text)'") }
    return r
}

/// `[FILTER expr] [NOSELF]` after a query's words (four, unless `from` says otherwise).
func searchOptions(_ w: [String], _ usage: String, from start: Int = 4) throws -> SearchOptions {
    var options = SearchOptions()
    var i = start
    while i < w.count {
        switch w[i].uppercased() {
        case "FILTER" where i + 1 < w.count && options.filter == nil:
            options.filter = w[i + 1]
            i += 2
        case "NOSELF" where !options.noSelf:
            options.noSelf = true
            i += 1
        default:
            throw EngineError("SYNTAX", "\(usage) … [FILTER expr] [NOSELF] (got '\(w[i])')")
        }
    }
    return options
}

/// CLASSIFY's reply: eval's vote (most votes; a tie goes to the tied label met nearest),
/// every label's votes (most first, then nearest first), and the winner's share of the votes.
func classification(_ hits: [Hit]) -> Reply {
    let labels = hits.map(\.label)
    guard !labels.isEmpty else { return .fields(["label": .null, "share": .double(0), "votes": .map([])]) }
    let winner = KNNVote.predict(labels[...])
    var counts: [Int: Int] = [:]
    for l in labels { counts[l, default: 0] += 1 }
    let order = labels.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        .sorted { counts[$0]! > counts[$1]! }  // stable: ties stay nearest first
    return .fields([
        "label": .integer(winner), "share": .double(Double(counts[winner]!) / Double(labels.count)),
        "votes": .map(order.map { Reply.Entry("\($0)", .integer(counts[$0]!)) }),
    ])
}

extension CommandTable {
    /// The KNN and CLASSIFY requests of `batch` that ask about an image the model takes, with
    /// its pixels, for `EmbedBatcher` to embed together; requests it cannot parse are left for
    /// dispatch to refuse with the usual error.
    static func imageQueries(in batch: [Request], engine: any SearchEngine) -> [(request: Int, pixels: [Float])] {
        guard let inputDims = engine.encoder?.model.inputDims else { return [] }
        var found: [(request: Int, pixels: [Float])] = []
        for (i, r) in batch.enumerated() where r.words.count >= 4 {
            let name = r.words[0].uppercased()
            guard name == "KNN" || name == "CLASSIFY",
                case .raw(let pixels)? = try? imageOrVectorQuery(r, "", encoder: engine.encoder),
                pixels.count == inputDims
            else {
                continue
            }
            found.append((i, pixels))
        }
        return found
    }
}
