import Foundation
import Testing
import VicinityClient
import VicinityData
import VicinityTestSupport

/// A small document set in the corpus's layout (docs/DOCUMENTS.md): four topics of ten words
/// each, texts drawing mostly on their topic's words; a 16-bit semantic-hashing model trained on
/// it; its documents embedded from their text with `embed --documents`.
struct DocumentFixture {
    let dir: URL
    let model: String
    let store: String
    let texts: [(id: String, label: Int, text: String)]

    init() throws {
        let dir = try temporaryFolder()
        self.dir = dir
        let words = (0..<4).flatMap { t in (0..<10).map { "w\(t)x\($0)" } }
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        var lines: [String] = [], counts = ["train": [String](), "test": [String]()]
        var texts: [(id: String, label: Int, text: String)] = []
        for d in 0..<400 {
            let label = d % 4, split = d < 300 ? "train" : "test", id = String(format: "doc%03d", d)
            var tokens: [String] = [], tally = [Int](repeating: 0, count: words.count)
            for _ in 0..<(12 + next(20)) {
                let w = next(5) == 0 ? next(words.count) : label * 10 + next(10)
                tokens.append(words[w].uppercased())  // the tokenizer lower-cases
                tally[w] += 1
                if next(4) == 0 { tokens.append(next(2) == 0 ? "the" : "unknownword") }
            }
            let text = tokens.joined(separator: next(2) == 0 ? " " : ", ")
            texts.append((id, label, text))
            let object: [String: Any] = [
                "id": id, "label": label, "label_name": "topic\(label)", "source": id, "split": split, "text": text,
            ]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            let pairs = tally.enumerated().filter { $0.1 > 0 }.map { "\($0.0):\($0.1)" }
            counts[split]!.append(([id, "\(label)"] + pairs).joined(separator: " "))
        }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write("vocabulary.txt", words.joined(separator: "\n") + "\n")
        try write("stopwords.txt", "and\nthe\n")
        try write("meta.json", #"{"label_names": ["topic0", "topic1", "topic2", "topic3"]}"#)
        try write("documents.jsonl", lines.joined(separator: "\n") + "\n")
        for (split, rows) in counts { try write("\(split).counts", rows.joined(separator: "\n") + "\n") }
        self.texts = texts
        model = dir.appendingPathComponent("hash16.safetensors").path
        store = dir.appendingPathComponent("stores/docs").path
        var r = try runVicinity([
            "train", "--recipe", "semantic-hashing", "--data", dir.path, "--layers", "24,16", "--epochs", "3",
            "--pretrain-epochs", "2", "--validation", "50", "--out", model,
        ])
        precondition(r.status == 0, r.stderr)
        r = try runVicinity([
            "embed", "--model", model, "--documents", dir.appendingPathComponent("documents.jsonl").path, "--store",
            store,
        ])
        precondition(r.status == 0, r.stderr)
    }
}

@Suite(.serialized) struct DocumentServingTests {
    /// The rows of a hit reply as (id, distance text).
    func hits(_ reply: RESPValue) -> [String] {
        guard case .array(let rows) = reply else { return ["not an array: \(reply.rendered())"] }
        return rows.map { row in
            guard case .array(let f) = row, f.count == 4, case .bulk(let id) = f[1], case .bulk(let d) = f[2] else {
                return "bad row \(row.rendered())"
            }
            return "\(id) \(d)"
        }
    }

    // Long: one scenario whose steps build on each other against one server or store.
    @Test func textQueriesAndTheAddressBallThroughTheServer() throws {
        let f = try DocumentFixture()
        let out = try temporaryFolder()
        // Counting the texts again gives the codes the counts files give: the model's vocabulary
        // and tokenizer are the corpus's.
        let byCounts = out.appendingPathComponent("counts").path
        var r = try runVicinity([
            "embed", "--model", f.model, "--data", f.dir.path, "--split", "all", "--store", byCounts,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        var exported: [String: Data] = [:]
        for (name, store) in [("text", f.store), ("counts", byCounts)] {
            let path = out.appendingPathComponent("\(name).fvecs").path
            r = try runVicinity(["export", store, "--format", "fvecs", "--out", path])
            #expect(r.status == 0, "\(r.stderr)")
            exported[name] = FileManager.default.contents(atPath: path)
        }
        #expect(exported["text"] != nil && exported["text"] == exported["counts"])

        let codes = try readFvecs(out.appendingPathComponent("text.fvecs").path)
        let bitsPath = out.appendingPathComponent("bits.bvecs").path
        r = try runVicinity(["export", f.store, "--format", "bvecs", "--out", bitsPath])
        #expect(r.status == 0, "\(r.stderr)")
        let bits = try readBvecs(bitsPath)
        let ids = f.texts.map(\.id).sorted()  // rows follow id order
        #expect(bits.count == 400 && bits.dim == 2 && codes.dim == 16)
        func hamming(_ a: Int, _ b: Int) -> Int {
            (0..<bits.dim).reduce(0) {
                $0 + (bits.values[a * bits.dim + $1] ^ bits.values[b * bits.dim + $1]).nonzeroBitCount
            }
        }
        func l2(_ a: Int, _ b: Int) -> Float {
            (0..<codes.dim).reduce(Float(0)) {
                let d = codes.values[a * codes.dim + $1] - codes.values[b * codes.dim + $1]
                return $0 + d * d
            }
        }

        let server = try ServerProcess(["--store", f.store, "--model", f.model])
        let c = try server.client()
        for q in [0, 57, 203, 399] {
            let text = f.texts.first { $0.id == ids[q] }!.text
            // A text embeds to its document's own code: the same answers as the item itself.
            #expect(hits(try c.call(["KNN", "6", "TEXT", text])) == hits(try c.call(["KNN", "6", "ID", ids[q]])))
            #expect(
                hits(try c.call(["HAMMING", "6", "TEXT", text])) == hits(try c.call(["HAMMING", "6", "ID", ids[q]])))
            for radius in 0...4 {
                // The address ball is exactly the scan's: every row within the radius, by (distance, row).
                let expected = (0..<400).filter { hamming(q, $0) <= radius }
                    .sorted { (hamming(q, $0), $0) < (hamming(q, $1), $1) }.map { "\(ids[$0]) \(hamming(q, $0))" }
                #expect(hits(try c.call(["RADIUS", "\(radius)", "TEXT", text])) == expected, "radius \(radius)")
                // SHORTLIST: the ball's members by code distance, ties by row, the first k.
                let ranked = (0..<400).filter { hamming(q, $0) <= radius }.sorted { (l2(q, $0), $0) < (l2(q, $1), $1) }
                let got = hits(try c.call(["SHORTLIST", "5", "\(radius)", "ID", ids[q]]))
                #expect(got.map { $0.split(separator: " ")[0] } == ranked.prefix(5).map { Substring(ids[$0]) })
                #expect(hits(try c.call(["SHORTLIST", "5", "\(radius)", "TEXT", text])) == got)
            }
        }
        // ADD … TEXT stores the text's code: the same as its document's.
        let fifth = f.texts.first { $0.id == ids[5] }!.text
        #expect(try c.call(["ADD", "copy-of-5", "2", "TEXT", fifth]).rendered() == "OK")
        #expect(hits(try c.call(["RADIUS", "0", "ID", "copy-of-5"])).contains("\(ids[5]) 0"))
        #expect(hits(try c.call(["KNN", "3", "ID", "copy-of-5"])).contains("\(ids[5]) 0"))
        let none = try c.call(["KNN", "3", "TEXT", "nothing here is known"])
        #expect(none.rendered().contains("none of the model's 40 vocabulary words"), "\(none.rendered())")
        let badRadius = try c.call(["SHORTLIST", "3", "x", "ID", ids[0]])
        #expect(badRadius.rendered().contains("radius must be an integer"))
    }

    @Test func documentFigures() throws {
        let f = try DocumentFixture()
        let out = try temporaryFolder()
        for (kind, size) in [("pr", "800×600"), ("map", "960×720")] {
            let path = out.appendingPathComponent("\(kind).png").path
            let r = try runVicinity(["plot", kind, "--model", f.model, "--data", f.dir.path, "--out", path])
            #expect(r.status == 0 && r.stdout.contains("\(path) \(size)"), "\(r.stderr)")
            #expect(Set(try readPNG(path).pixels).count > 2, "\(kind) is (nearly) one colour")
        }
        let r = try runVicinity(["plot", "filters", "--model", f.model, "--data", f.dir.path])
        #expect(r.status != 0 && r.stderr.contains("is a document set"), "\(r.stderr)")
        let all = try runVicinity(["plot", "all", "--model", f.model, "--data", f.dir.path, "--out-dir", out.path])
        #expect(all.status == 0 && all.stdout.split(separator: "\n").count == 2, "\(all.stdout) \(all.stderr)")
        #expect(all.stderr.contains("skipping reconstructions"), "\(all.stderr)")
    }

    @Test func textNeedsAModelOfWordCounts() throws {
        let images = try ServedStore()
        let server = try images.serve()
        let reply = try server.client().call(["KNN", "3", "TEXT", "a few words"])
        #expect(reply.rendered().contains("not trained on word counts"), "\(reply.rendered())")
        let dir = try temporaryFolder()
        let lines = dir.appendingPathComponent("d.jsonl").path
        try #"{"id": "a", "text": "x"}"#.write(toFile: lines, atomically: true, encoding: .utf8)
        let r = try runVicinity(["embed", "--model", images.model, "--documents", lines, "--store", dir.path + "/s"])
        #expect(r.status != 0 && r.stderr.contains("not trained on word counts"), "\(r.stderr)")
    }

    @Test func badDocumentLinesAreNamed() throws {
        let vocabulary = Vocabulary(words: ["apple", "pear"], tokenizer: Tokenizer(stopWords: []))
        let dir = try temporaryFolder()
        for (text, problem) in [
            (#"{"id": "a", "text": "apple"}"# + "\nnot json", "line 2: not a JSON object"),
            (#"{"text": "apple"}"#, "line 1: no string \"id\" field"),
            (#"{"id": "a"}"#, "line 1: no string \"text\" field"),
            (#"{"id": "a", "text": "pear", "label": 1.5}"#, "line 1: \"label\" must be an integer"),
            (
                #"{"id": "a", "text": "pear"}"# + "\n\n" + #"{"id": "a", "text": "apple"}"#,
                "line 3: id 'a' again (first on line 1)"
            ),
            ("\n", "no documents"),
        ] {
            let path = dir.appendingPathComponent("d.jsonl").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: DataError.self) { try Dataset.loadDocumentLines(path, vocabulary: vocabulary) }
            do { _ = try Dataset.loadDocumentLines(path, vocabulary: vocabulary) } catch {
                #expect("\(error)".contains(problem), "\(error)")
            }
        }
        let path = dir.appendingPathComponent("ok.jsonl").path
        try (#"{"id": "b", "text": "Pear pear, APPLE kiwi", "label": 3}"# + "\n" + #"{"id": "a", "text": ""}"#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let ds = try Dataset.loadDocumentLines(path, vocabulary: vocabulary)
        #expect(ds.ids == ["b", "a"] && ds.labels == [3, -1] && ds.features.storage == [1, 2, 0, 0])
    }
}
