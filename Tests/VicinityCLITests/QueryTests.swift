import Foundation
import Testing
import VicinityClient
import VicinityServer

/// A store of 5000 items with attributes (bucket = row mod 1000, a colour), made by
/// `vicinity embed --attributes`, so filters of every selectivity have members.
struct AttributedStore {
    let base: ServedStore
    let attributes: String
    var dir: URL { base.dir }
    var model: String { base.model }
    var store: String { base.store }
    var test: [[UInt8]] { base.test }

    init() throws {
        base = try ServedStore(train: 5000, test: 40, embed: false)
        attributes = base.dir.appendingPathComponent("attrs.jsonl").path
        let colours = ["red", "green", "blue"]
        let lines = (0..<5000).map {
            #"{"id": "train-\#($0)", "bucket": \#($0 % 1000), "colour": "\#(colours[$0 % 3])"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: attributes, atomically: true, encoding: .utf8)
        let r = try runVicinity([
            "embed", "--model", model, "--data", dir.path, "--store", store, "--attributes", attributes,
        ])
        precondition(r.status == 0, r.stderr)
    }
}

@Suite(.serialized) struct QueryTests {
    static let filters = [
        ".bucket < 1000", ".bucket < 100", ".bucket < 10", ".bucket < 1", ".bucket < 0",
        ".label == 2", #".colour == "red" and .bucket >= 500"#, "not (.label in [0, 1])",
    ]

    func bucket(_ id: String) -> Int { Int(id.dropFirst(6))! % 1000 }

    /// Every filtered KNN, HAMMING and RADIUS answer is the unfiltered full ranking with the
    /// non-matching items taken out: ids, distances and order; NOSELF takes the query out too.
    // Long: one scenario whose steps build on each other against one server or store.
    @Test func filtersGiveTheFullRankingRestrictedToTheirMatches() throws {
        let fixture = try AttributedStore()
        for attempt in 0..<2 {  // the second on a fresh engine: attributes come back from the store
            let engine = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: false)
            let n = engine.count()
            let labels = Dictionary(
                uniqueKeysWithValues: try (0..<5000).map { i in ("train-\(i)", try engine.get("train-\(i)")!.label) })
            let predicates: [(String) -> Bool] = [
                { _ in true }, { self.bucket($0) < 100 }, { self.bucket($0) < 10 }, { self.bucket($0) < 1 },
                { _ in false },
                { labels[$0] == 2 }, { Int($0.dropFirst(6))! % 3 == 0 && self.bucket($0) >= 500 },
                { ![0, 1].contains(labels[$0]!) },
            ]
            for q in ["train-0", "train-1234", "train-4999"] {
                let fullKNN = try engine.knn(k: n, query: .id(q))
                let fullHamming = try engine.hamming(k: n, query: .id(q))
                for (text, keep) in zip(Self.filters, predicates) {
                    for noSelf in [false, true] {
                        let options = SearchOptions(filter: text, noSelf: noSelf)
                        let kept = { (h: Hit) in keep(h.id) && !(noSelf && h.id == q) }
                        let knn = try engine.knn(k: 10, query: .id(q), options: options)
                        #expect(knn == Array(fullKNN.filter(kept).prefix(10)), "\(attempt) KNN \(q) \(text) \(noSelf)")
                        let ham = try engine.hamming(k: 10, query: .id(q), options: options)
                        #expect(ham == Array(fullHamming.filter(kept).prefix(10)), "HAMMING \(q) \(text)")
                        let ball = try engine.radius(2, query: .id(q), options: options)
                        #expect(ball == fullHamming.filter { kept($0) && $0.distance <= 2 }, "RADIUS \(q) \(text)")
                    }
                }
            }
            if attempt == 0 {
                // A write makes cached filters stale: the new item matches at once, the removed one is gone.
                let five = SearchOptions(filter: ".bucket == 5")
                let before = try engine.knn(k: 1, query: .id("train-3"), options: five).map(\.id)
                try engine.add(id: "extra", label: 2, code: try engine.get("train-3")!.code)
                #expect(try engine.setAttributes("extra", #"{"bucket": 5}"#))
                #expect(try engine.knn(k: 2, query: .id("train-3"), options: five).map(\.id) == ["extra"] + before)
                #expect(try engine.delete("extra"))
                #expect(try engine.knn(k: 1, query: .id("train-3"), options: five).map(\.id) == before)
            }
        }
        // Running embed again (a resume with nothing left) keeps every item's attributes.
        let again = try runVicinity([
            "embed", "--model", fixture.model, "--data", fixture.dir.path, "--store", fixture.store,
            "--attributes", fixture.attributes,
        ])
        #expect(again.status == 0, "\(again.stderr)")
        let engine = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: true)
        #expect(try engine.attributes("train-42") == #"{"bucket":42,"colour":"red"}"#)
        #expect(engine.attributeCount() == 5000)
        // --rebuild starts from an empty store: attributes and client vector sets go with the items.
        let sets = try VectorSets(
            store: try StoreEngine(storePath: fixture.store, modelPath: nil, readOnly: false).store)
        #expect(try sets.add("mine", element: "a", vector: [1, 2], attributes: nil))
        let rebuilt = try runVicinity([
            "embed", "--model", fixture.model, "--data", fixture.dir.path, "--store", fixture.store,
            "--rebuild",
        ])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let fresh = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: true)
        #expect(fresh.attributeCount() == 0 && fresh.count() == 5000)
        #expect(try VectorSets(store: fresh.store).names.isEmpty)
    }

    @Test func badFiltersAndAttributeFilesAreClearErrors() throws {
        let fixture = try ServedStore()
        let engine = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: true)
        #expect(throws: EngineError("BADARG", "syntax error in FILTER expression near: ")) {
            try engine.knn(k: 3, query: .id("train-1"), options: SearchOptions(filter: ".label =="))
        }
        let bad = fixture.dir.appendingPathComponent("bad.jsonl").path
        try "{\"id\": \"train-1\", \"x\": 1}\nnot json\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try runVicinity([
            "embed", "--model", fixture.model, "--data", fixture.dir.path, "--store", fixture.store,
            "--attributes", bad,
        ])
        #expect(r.status != 0 && r.stderr.contains("line 2: not a JSON object"), "\(r.stderr)")
    }

    /// Through the server: FILTER quoted in plain text and as a RESP argument, binary
    /// payloads (FP32 codes, U8 pixels, raw BITS) answering as their text forms do, and CLASSIFY.
    // Long: one scenario whose steps build on each other against one server or store.
    @Test func filtersPayloadsAndClassifyThroughTheServer() throws {
        let fixture = try AttributedStore()
        let server = try ServerProcess(["--store", fixture.store, "--model", fixture.model])
        let c = try server.client()
        let plain = try c.plainRows(#"KNN 5 ID train-7 FILTER ".bucket < 10 and .colour == 'red'" NOSELF"#)
        #expect(plain.count == 5 && plain.allSatisfy { bucket(String($0.split(separator: " ")[1])) < 10 }, "\(plain)")
        guard
            case .array(let rows) = try c.call([
                "KNN", "5", "ID", "train-7", "FILTER", ".bucket < 10 and .colour == 'red'",
                "NOSELF",
            ])
        else { Issue.record("RESP KNN"); return }
        #expect(rows.count == 5)
        #expect(
            try c.plain(#"KNN 5 ID train-7 FILTER ".bucket <""#).hasPrefix(
                "ERR BADARG syntax error in FILTER expression"))
        #expect(
            try c.plain(#"KNN 5 ID train-7 FILTER ".bucket"#)
                == "ERR PROTOCOL unbalanced quotes in request; closing the connection")

        let d = try server.client()
        let get = try d.plainRows("GET train-9")
        let code = get[2].dropFirst(5).split(separator: ",").map { Float($0)! }
        let fp32 = code.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        #expect(
            try d.callBytes([Array("KNN".utf8), Array("4".utf8), Array("FP32".utf8), fp32])
                == (try d.call(["KNN", "4", "VEC", code.map { "\($0)" }.joined(separator: ",")])))
        let image = fixture.test[3]
        let raw = try d.call(["KNN", "6", "RAW", image.map(String.init).joined(separator: ",")])
        #expect(try d.callBytes([Array("KNN".utf8), Array("6".utf8), Array("U8".utf8), image]) == raw)
        let hex = String(get[3].dropFirst(5))
        let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(Array(hex)[$0..<$0 + 2]), radix: 16)! }
        #expect(
            try d.callBytes([Array("HAMMING".utf8), Array("4".utf8), Array("BITS".utf8), bytes])
                == (try d.call(["HAMMING", "4", "BITS", hex])))

        // CLASSIFY gives vicinity eval --store's prediction for every test image, at k = 1, 5, 10.
        let csv = fixture.dir.appendingPathComponent("eval.csv").path
        let eval = try runVicinity([
            "eval", "--model", fixture.model, "--store", fixture.store, "--data", fixture.dir.path,
            "--k", "1,5,10", "--no-baselines", "--predictions", csv,
        ])
        #expect(eval.status == 0, "\(eval.stderr)")
        let expected = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").dropFirst(2).map { Int($0)! } }
        for (q, image) in fixture.test.enumerated() {
            for (i, k) in [1, 5, 10].enumerated() {
                guard
                    case .array(let reply) = try d.callBytes([
                        Array("CLASSIFY".utf8), Array("\(k)".utf8), Array("U8".utf8), image,
                    ]),
                    reply.count == 6, reply[0] == .bulk("label")
                else { Issue.record("CLASSIFY shape"); return }
                #expect(reply[1] == .integer(expected[q][i]), "query \(q) k \(k)")
            }
        }
        // Image queries pipelined together are embedded in one pass, and answer exactly as alone.
        let alone = try fixture.test.map {
            try d.callBytes([Array("KNN".utf8), Array("7".utf8), Array("U8".utf8), $0])
        }
        var burst: [UInt8] = []
        for image in fixture.test {
            let args = [Array("KNN".utf8), Array("7".utf8), Array("U8".utf8), image]
            burst += Array("*4\r\n".utf8) + args.flatMap { Array("$\($0.count)\r\n".utf8) + $0 + [13, 10] }
        }
        try d.sendRaw(burst)
        #expect(try fixture.test.indices.map { _ in try d.readValue() } == alone)
        let vote = try d.plainRows("CLASSIFY 10 ID train-11 NOSELF")
        #expect(
            vote.count == 3 && vote[0].hasPrefix("label ") && vote[1].hasPrefix("share ") && vote[2].hasPrefix("votes ")
        )
    }

    /// Image queries from several connections that arrive together are embedded in one pass
    /// (within --embed-wait-us), each answering exactly as alone.
    @Test func imageQueriesFromSeveralConnectionsShareOnePass() throws {
        let fixture = try AttributedStore()
        let server = try ServerProcess([
            "--store", fixture.store, "--model", fixture.model, "--threads", "1", "--embed-wait-us", "200000",
        ])
        let images = Array(fixture.test.prefix(6))
        func query(_ image: [UInt8]) -> [[UInt8]] { [Array("KNN".utf8), Array("7".utf8), Array("U8".utf8), image] }
        let lone = try server.client()
        let alone = try images.map { try lone.callBytes(query($0)) }
        let clients = try images.map { _ in try server.client() }
        for (c, image) in zip(clients, images) { try c.send(bytes: query(image)) }
        #expect(try clients.map { try $0.readValue() } == alone)
        let info = try lone.plainRows("INFO")
        #expect(info.contains("image_queries_embedded: 12") && info.contains("embed_passes: 7"), "\(info)")
    }
}
