import VicinityProtocol
/// Redis 8 vector-set commands over Vicinity's exact engines. The served store is the
/// key named after its folder (L2 in code space); any other key is a client's own
/// set (cosine, as Redis). docs/PROTOCOL.md defines the scores and the differences from Redis.
extension CommandTable {
    static let vectorSetCommands: [Command] = [
        vset(
            "VADD", arity: 5, maxArity: .max, writes: true,
            usage:
                "VADD key (FP32 blob | VALUES n v… | RAW p,p,…) element [CAS] [NOQUANT|Q8|BIN] [EF n] [SETATTR json] [M n]",
            summary: "add or replace an element (1 when new, 0 when replaced)", handler: vadd),
        vset(
            "VSIM", arity: 4, maxArity: .max,
            usage:
                "VSIM key (ELE e | FP32 blob | VALUES n v…) [WITHSCORES] [WITHATTRIBS] [COUNT n] [EPSILON d] [EF n] [FILTER expr] [FILTER-EF n] [TRUTH] [NOTHREAD]",
            summary: "the most similar elements, exactly", handler: vsim),
        vset("VREM", arity: 3, writes: true, usage: "VREM key element", summary: "remove an element") { ctx, w in
            switch try target(ctx, w[1]) {
            case .store: return .boolean(try ctx.engine.delete(w[2]))
            case .set: return .boolean(try ctx.sets.remove(w[1], element: w[2]))
            case .missing: return .boolean(false)
            }
        },
        vset("VCARD", arity: 2, usage: "VCARD key", summary: "number of elements") { ctx, w in
            switch try target(ctx, w[1]) {
            case .store: .integer(ctx.engine.count())
            case .set(let s): .integer(s.count)
            case .missing: .integer(0)
            }
        },
        vset("VDIM", arity: 2, usage: "VDIM key", summary: "dimension of the vectors") { ctx, w in
            switch try target(ctx, w[1]) {
            case .store: return .integer(ctx.engine.codeDims)
            case .set(let s): return .integer(s.dims)
            case .missing: throw EngineError("BADARG", "key does not exist")
            }
        },
        vset(
            "VEMB", arity: 3, maxArity: 4, usage: "VEMB key element [RAW]", summary: "an element's vector",
            handler: vemb),
        vset("VINFO", arity: 2, usage: "VINFO key", summary: "the set's size, dimension and kind", handler: vinfo),
        vset(
            "VSETATTR", arity: 4, writes: true, usage: "VSETATTR key element json",
            summary: "set (\"\" removes) an element's JSON attributes"
        ) { ctx, w in
            let json: String? = w[3].isEmpty ? nil : w[3]
            switch try target(ctx, w[1]) {
            case .store: return .boolean(try ctx.engine.setAttributes(w[2], json))
            case .set: return .boolean(try ctx.sets.setAttributes(w[1], element: w[2], json))
            case .missing: return .boolean(false)
            }
        },
        vset("VGETATTR", arity: 3, usage: "VGETATTR key element", summary: "an element's JSON attributes") { ctx, w in
            let json: String?
            switch try target(ctx, w[1]) {
            case .store: json = try ctx.engine.attributes(w[2])
            case .set(let s): json = s.attributes(of: w[2]) ?? nil
            case .missing: json = nil
            }
            return json.map { .text($0) } ?? .null
        },
        vset(
            "VRANDMEMBER", arity: 2, maxArity: 3, usage: "VRANDMEMBER key [count]", summary: "random elements",
            handler: vrandmember),
        vset("VISMEMBER", arity: 3, usage: "VISMEMBER key element", summary: "whether the element is in the set") {
            ctx, w in
            switch try target(ctx, w[1]) {
            case .store: .boolean(try ctx.engine.get(w[2]) != nil)
            case .set(let s): .boolean(s.rowOf[w[2]] != nil)
            case .missing: .boolean(false)
            }
        },
    ]

    private static func vset(
        _ name: String, arity: Int, maxArity: Int? = nil, writes: Bool = false, usage: String,
        summary: String,
        handler: @escaping @Sendable (inout CommandContext, [String]) throws -> Reply
    ) -> Command {
        Command(
            name, arity: arity, maxArity: maxArity, usage: usage, summary: summary, group: .vectorset, writes: writes,
            takesKey: true, handler: handler)
    }

    enum Target {
        case store
        case set(VectorSet)
        case missing
    }

    static func target(_ ctx: CommandContext, _ key: String) throws -> Target {
        if key == ctx.engine.name { return .store }
        return ctx.sets.set(key).map { .set($0) } ?? .missing
    }

    static func vadd(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        let args = try VectorSetGrammar.vadd(w, ctx.request.bytes)
        if case .store = try target(ctx, args.key) {
            if case .some(.some(let json)) = args.attributes, !ctx.engine.supportsAttributes {
                _ = try ctx.engine.setAttributes(args.element, json)  // refused before the item is written
            }
            switch args.input {
            case .values(let v):
                try checkDims(v.count, ctx.engine.codeDims)
                try ctx.engine.add(id: args.element, label: -1, code: v)
            case .pixels(let p): try ctx.engine.add(id: args.element, label: -1, pixels: p)
            case .element: throw VectorSetGrammar.invalidVector
            }
            if let json = args.attributes, let json { _ = try ctx.engine.setAttributes(args.element, json) }
            return .boolean(true)
        }
        guard case .values(let v) = args.input else {
            throw EngineError(
                "NOMODEL", "RAW embeds with the served store's model; VADD \(ctx.engine.name) RAW … adds an image")
        }
        return .boolean(try ctx.sets.add(args.key, element: args.element, vector: v, attributes: args.attributes))
    }

    static func checkDims(_ got: Int, _ dims: Int) throws {
        guard got == dims else {
            throw EngineError("BADARG", "Vector dimension mismatch - got \(got) but set has \(dims)")
        }
    }

    static func vsim(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        let target = try target(ctx, w[1])
        if case .missing = target { return .array([]) }
        let args = try VectorSetGrammar.vsim(w, ctx.request.bytes)
        let notFound = EngineError("BADARG", "element not found in set")
        var found: [(element: String, score: Double)]
        var attributes: (String) throws -> String? = { _ in nil }
        switch target {
        case .store:
            guard args.count <= ctx.policy.maxK else {
                throw EngineError("BADARG", "COUNT \(args.count) is above this server's --max-k \(ctx.policy.maxK)")
            }
            let query: VectorQuery
            switch args.input {
            case .element(let e):
                guard try ctx.engine.get(e) != nil else { throw notFound }
                query = .id(e)
            case .values(let v):
                try checkDims(v.count, ctx.engine.codeDims)
                query = .vector(v)
            case .pixels(let p): query = .raw(p)
            }
            // Squared L2 d becomes a similarity in (0, 1]: 1 / (1 + d), so the order is KNN's.
            found = try ctx.engine.knn(k: args.count, query: query, options: SearchOptions(filter: args.filter))
                .map { ($0.id, 1 / (1 + Double($0.distance))) }
            let engine = ctx.engine
            attributes = { try engine.attributes($0) }
        case .set(let set):
            let query: [Float]
            switch args.input {
            case .element(let e):
                guard let v = set.vector(of: e) else { throw notFound }
                query = v
            case .values(let v):
                try checkDims(v.count, set.dims)
                query = v
            case .pixels: throw EngineError("NOMODEL", "RAW queries go to the served store (\(ctx.engine.name))")
            }
            found = try set.similar(to: query, count: args.count, filter: args.filter)
            attributes = { set.attributes(of: $0) ?? nil }
        case .missing: return .array([])
        }
        found = found.filter { 1 - $0.score <= args.epsilon }
        return try similarityReply(found, args, attributes: attributes, resp3: ctx.session.protocolVersion == 3)
    }

    /// VSIM's four shapes: elements; a map to scores or attributes; with both, a map to
    /// [score, attributes] in RESP3 and flat triples in RESP2 (as Redis).
    static func similarityReply(
        _ found: [(element: String, score: Double)], _ args: VSimArguments,
        attributes: (String) throws -> String?, resp3: Bool
    ) throws -> Reply {
        func attr(_ e: String) throws -> Reply { try attributes(e).map { .text($0) } ?? .null }
        switch (args.withScores, args.withAttributes) {
        case (false, false): return .array(found.map { .text($0.element) })
        case (true, false): return .map(found.map { Reply.Entry($0.element, .double($0.score)) })
        case (false, true): return .map(try found.map { Reply.Entry($0.element, try attr($0.element)) })
        case (true, true):
            if resp3 {
                return .map(
                    try found.map { Reply.Entry($0.element, .array([.double($0.score), try attr($0.element)])) })
            }
            return .array(try found.flatMap { [.text($0.element), .double($0.score), try attr($0.element)] })
        }
    }

    static func vemb(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        if w.count == 4 && w[3].uppercased() != "RAW" { throw EngineError("BADARG", "invalid option") }
        let vector: [Float]?
        switch try target(ctx, w[1]) {
        case .store: vector = try ctx.engine.get(w[2])?.code
        case .set(let s): vector = s.vector(of: w[2])
        case .missing: vector = nil
        }
        guard let vector else { return .null }
        guard w.count == 4 else { return .array(vector.map { .double(Double($0)) }) }
        var blob: [UInt8] = []
        for v in VectorSet.unit(vector) { withUnsafeBytes(of: v.bitPattern.littleEndian) { blob += $0 } }
        let norm = VectorSet.l2(vector)
        return .array([.status("f32"), .blob(blob), .double(Double(norm > 0 ? norm : 1))])
    }

    static func vinfo(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        let (dims, size, attributes, uid): (Int, Int, Int, Int)
        switch try target(ctx, w[1]) {
        case .store:
            (dims, size, attributes, uid) = (ctx.engine.codeDims, ctx.engine.count(), ctx.engine.attributeCount(), 0)
        case .set(let s): (dims, size, attributes, uid) = (s.dims, s.count, s.attributes.count { $0 != nil }, s.uid)
        case .missing: return .null
        }
        return .fields([
            "quant-type": .status("f32"), "hnsw-m": .integer(16), "vector-dim": .integer(dims),
            "projection-input-dim": .integer(0), "size": .integer(size), "max-level": .integer(0),
            "attributes-count": .integer(attributes), "vset-uid": .integer(uid), "hnsw-max-node-uid": .integer(size),
        ])
    }

    static func vrandmember(_ ctx: inout CommandContext, _ w: [String]) throws -> Reply {
        var count: Int?
        if w.count == 3 {
            guard let n = Int(w[2]) else { throw EngineError("BADARG", "COUNT value is not an integer") }
            guard n != Int.min, abs(n) <= ctx.policy.maxRadiusHits else {
                throw EngineError(
                    "BADARG", "COUNT value is out of range (at most \(ctx.policy.maxRadiusHits) elements a reply)")
            }
            if n == 0 { return .array([]) }
            count = n
        }
        let members: [String]
        switch try target(ctx, w[1]) {
        case .store: members = ctx.engine.randomIDs(abs(count ?? 1), distinct: (count ?? 1) > 0)
        case .set(let s): members = randomElements(s.elements, abs(count ?? 1), distinct: (count ?? 1) > 0)
        case .missing: return count == nil ? .null : .array([])
        }
        guard count != nil else { return members.first.map { .text($0) } ?? .null }
        return .array(members.map { .text($0) })
    }
}

/// `n` random elements: distinct (at most all of them) or with repeats.
func randomElements(_ all: [String], _ n: Int, distinct: Bool) -> [String] {
    guard !all.isEmpty else { return [] }
    if !distinct { return (0..<n).map { _ in all.randomElement()! } }
    return n >= all.count ? all.shuffled() : Array(all.shuffled().prefix(n))
}
