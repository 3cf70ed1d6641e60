import Foundation
import Testing
import VicinityMath
@testable import VicinityData

/// scripts/data/debian-descriptions on a small dumpavail-format fixture, and the Swift side
/// (Tokenizer, Vocabulary, Dataset.loadDocuments) against what it wrote.
@Suite struct DocumentSetTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/data/debian-descriptions").standardized.path

    struct Document: Decodable {
        var id: String, label: Int, label_name: String, source: String, split: String, text: String
    }

    /// Runs the script; its exit status and standard error.
    static func runScript(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()  // before waiting: a full pipe blocks
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self))
    }

    /// The fixture run through the script into `dir/out` (extra arguments appended).
    static func corpus(_ dir: TempDir, _ extra: [String] = []) throws -> String {
        let fixture = try DebianFixture.write(in: dir)
        let out = dir.path("out")
        let run = try runScript([out, "--input", fixture.input, "--translations", fixture.translations] + extra)
        try #require(run.status == 0, "\(run.stderr)")
        return out
    }

    static func documents(_ out: String) throws -> [Document] {
        let text = try String(contentsOfFile: out + "/documents.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Document.self, from: Data($0.utf8)) }
    }

    /// A counts file parsed here, independently of `readCounts`: id, label, index → count.
    static func parsedCounts(_ path: String) throws -> [(String, Int, [Int: Int])] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let f = line.split(separator: " ")
            let pairs = f.dropFirst(2).map { $0.split(separator: ":").map { Int($0)! } }
            return (String(f[0]), Int(f[1])!, Dictionary(uniqueKeysWithValues: pairs.map { ($0[0], $0[1]) }))
        }
    }

    @Test func tokensOfAFixedSentence() {
        let tokenizer = Tokenizer(stopWords: ["the", "over", "don"])
        let text =
            "The 2 quick-brown foxes (v2.0) jumped over 10 lazy dogs; café İzmir \u{212A}elvin x86_64 "
            + "e\u{301}tude a b zz 3D 100% don't ΣΟΦΊΑ 日本語 FAST\tLANE\nEND"
        #expect(
            tokenizer.tokens(text) == [
                "quick", "brown", "foxes", "v2", "jumped", "lazy", "dogs", "caf", "zmir",
                "kelvin", "x86", "tude", "zz", "3d", "fast", "lane", "end",
            ])
        #expect(tokenizer.tokens("") == [] && tokenizer.tokens("1 22 a . the") == [])
    }

    @Test func noSourcePackageOnBothSides() throws {
        let dir = try TempDir()
        for seed in ["1", "7"] {
            let docs = try Self.documents(Self.corpus(dir, ["--seed", seed]))
            let splits = Dictionary(grouping: docs, by: \.source).mapValues { Set($0.map(\.split)) }
            #expect(splits.values.allSatisfy { $0.count == 1 }, "seed \(seed)")
            #expect(Set(docs.map(\.split)) == ["train", "test"], "seed \(seed): both splits used")
            // The fixture's shared sources do span sections, so the rule is exercised.
            let spanning = Dictionary(grouping: docs, by: \.source).values.filter { Set($0.map(\.label)).count > 1 }
            #expect(spanning.count >= 10)
            try FileManager.default.removeItem(atPath: dir.path("out"))
        }
    }

    @Test func documentsFollowTheStanzas() throws {
        let dir = try TempDir()
        let out = try Self.corpus(dir)
        let docs = try Self.documents(out)
        let byID = Dictionary(uniqueKeysWithValues: docs.map { ($0.id, $0) })
        #expect(docs.map(\.id) == docs.map(\.id).sorted())
        #expect(docs.count == DebianFixture.documentCount)
        #expect(byID["libfoo3-1"]?.source == "foo3" && byID["libfoo3-dev"]?.label_name == "libdevel")
        #expect(byID["game0"]?.label_name == "games", "the first stanza of a package wins")
        #expect(byID["contrib-tool"]?.label_name == "utils", "contrib/utils is utils")
        #expect(byID["paragraphs"]?.text == "Two paragraphs\nFirst one.\n\nSecond one,\n verbatim.")
        #expect(byID["translated"]?.text == "Summary only here\nThe long text from Translation-en.")
        #expect(byID["no-section"] == nil)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/meta.json")))
        let fields = try #require(meta as? [String: Any])
        #expect(fields["skipped"] as? [String: Int] == ["repeated_package": 1, "no_section_or_description": 1])
        #expect(fields["summary_only"] as? Int == 0 && fields["documents"] as? Int == docs.count)
        let names = Set(docs.map(\.label_name)).sorted()
        #expect(docs.allSatisfy { names[$0.label] == $0.label_name })
    }

    @Test func countsAreTheSwiftTokenizersCounts() throws {
        let dir = try TempDir()
        let out = try Self.corpus(dir)
        let vocabulary = try Vocabulary.load(directory: out)
        let docs = try Self.documents(out)
        var rows: [String: [Float]] = [:]
        for split in Split.allCases {
            let set = try Dataset.loadDocuments(directory: out, split: split)
            for (i, id) in set.ids.enumerated() {
                rows[id] = Array(set.features.storage[i * set.dims..<(i + 1) * set.dims])
            }
        }
        #expect(rows.count == docs.count)
        func words(_ counts: [Float]?) -> [String: Float] {  // readable when they differ
            Dictionary(
                uniqueKeysWithValues: (counts ?? []).enumerated().filter { $1 > 0 }
                    .map { (vocabulary.words[$0], $1) })
        }
        for doc in docs {
            #expect(words(vocabulary.counts(of: doc.text)) == words(rows[doc.id]), "\(doc.id)")
        }
        // The non-ASCII fixture words reach the vocabulary, so a tokenizer that differs on them fails above.
        #expect(["kelvin", "zmir", "tude", "caf", "x86", "3d"].allSatisfy { vocabulary.index(of: $0) != nil })
        #expect(vocabulary.index(of: "the") == nil && vocabulary.index(of: "2024") == nil)
    }

    @Test func vocabularyIsTheTrainingSplitsMostFrequentWords() throws {
        let dir = try TempDir()
        let full = try Vocabulary.load(directory: Self.corpus(dir))
        var total: [String: Int] = [:], testOnly = Set<String>()
        let docs = try Self.documents(dir.path("out"))
        for doc in docs {
            for token in full.tokenizer.tokens(doc.text) {
                if doc.split == "train" { total[token, default: 0] += 1 } else { testOnly.insert(token) }
            }
        }
        let expected = total.keys.sorted { (total[$0]!, $1) > (total[$1]!, $0) }
        #expect(full.words == expected)
        #expect(!testOnly.subtracting(total.keys).isEmpty, "some words occur only in the test split")
        try FileManager.default.removeItem(atPath: dir.path("out"))
        let cut = try Vocabulary.load(directory: Self.corpus(dir, ["--vocabulary-size", "25"]))
        #expect(cut.words == Array(expected.prefix(25)))
    }

    @Test func loaderMatchesTheFiles() throws {
        let dir = try TempDir()
        let out = try Self.corpus(dir)
        let vocabulary = try String(contentsOfFile: out + "/vocabulary.txt", encoding: .utf8).split(separator: "\n")
        let names = Set(try Self.documents(out).map(\.label_name)).sorted()
        let splits = try Dataset.loadSplits(DataRequest(data: out))
        for split in Split.allCases {
            let set = try Dataset.loadDocuments(directory: out, split: split)
            let lines = try Self.parsedCounts(out + "/\(split.rawValue).counts")
            #expect(set.count == lines.count && set.dims == vocabulary.count && set.imageRows == 1)
            #expect(set.imageCols == vocabulary.count && set.classNames == names && set.name == "out/\(split.rawValue)")
            #expect(set.ids == lines.map(\.0) && set.labels == lines.map(\.1))
            var expected = Matrix(rows: lines.count, cols: vocabulary.count)
            for (r, line) in lines.enumerated() { for (i, c) in line.2 { expected[r, i] = Float(c) } }
            #expect(set.features == expected)
            // --data DIR dispatches here, with the set's own splits.
            let hooked = split == .train ? splits.train : splits.test
            #expect(hooked?.fingerprint == set.fingerprint && hooked?.ids == set.ids)
            #expect(try Dataset.load(out, split: split).fingerprint == set.fingerprint)
        }
        #expect(Dataset.isDocumentSet(out) && !Dataset.isDocumentSet(dir.path("missing")))
    }

    @Test func runsAreReproducible() throws {
        let dir = try TempDir(), again = try TempDir()
        let a = try Self.corpus(dir), b = try Self.corpus(again)
        for name in ["documents.jsonl", "vocabulary.txt", "stopwords.txt", "train.counts", "test.counts"] {
            #expect(FileManager.default.contentsEqual(atPath: "\(a)/\(name)", andPath: "\(b)/\(name)"), "\(name)")
        }
        func meta(_ dir: String) throws -> Data {  // meta.json without its date, in a canonical form
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
            let dict = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(dict["date"] is String)
            return try JSONSerialization.data(withJSONObject: dict.filter { $0.key != "date" }, options: .sortedKeys)
        }
        #expect(try meta(a) == meta(b))
    }

    @Test func scriptRefusesBadInputByName() throws {
        let dir = try TempDir()
        let missing = try Self.runScript([dir.path("out"), "--input", dir.path("nothing.txt")])
        #expect(missing.status == 1 && missing.stderr.contains("nothing.txt: cannot read"), "\(missing.stderr)")
        let garbled = try dir.write("garbled.txt", text: "Package: a\nSection: libs\nno colon here\n")
        let bad = try Self.runScript([dir.path("out"), "--input", garbled])
        #expect(bad.status == 1 && bad.stderr.contains("garbled.txt: line 3"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("Traceback"))
    }

    /// Each corruption of a good set, the file its error must name, and text the message must hold.
    static let corruptions: [(file: String, content: String?, split: Split, message: String)] = [
        ("train.counts", "a 0 1:1\nb 0 5:1 3:1\n", .train, "line 2: index 3 does not follow 5"),
        ("train.counts", "a 0 1:1\nb 99 1:1\n", .train, "line 2: label '99'"),
        ("train.counts", "a 0 999999:1\n", .train, "line 1: index 999999 is outside"),
        ("train.counts", "a 0 1:x\n", .train, "line 1: '1:x' is not index:count"),
        ("train.counts", "a 0 1:0\n", .train, "line 1: count of index 1 is 0"),
        ("train.counts", "a 0\na 1\n", .train, "line 2: id 'a' repeats line 1"),
        ("train.counts", "\n", .train, "line 1: expected"),
        ("test.counts", nil, .test, "cannot read"),
        ("vocabulary.txt", "alpha\nbeta\nalpha\n", .train, "line 3: 'alpha' repeats line 1"),
        ("vocabulary.txt", "alpha\nBeta\n", .train, "line 2: 'Beta' is not a token"),
        ("vocabulary.txt", "", .train, "no words"),
        ("meta.json", "{\"label_names\": [1, 2]", .train, "label_names"),
    ]

    @Test(arguments: corruptions.indices)
    func badFilesAreNamed(_ index: Int) throws {
        let (file, content, split, message) = Self.corruptions[index]
        let dir = try TempDir()
        let out = try Self.corpus(dir), path = "\(out)/\(file)"
        if let content {
            _ = try dir.write("out/\(file)", text: content)
        } else {
            try FileManager.default.removeItem(atPath: path)
        }
        do {
            _ = try Dataset.loadDocuments(directory: out, split: split)
            Issue.record("\(file) '\(content ?? "missing")' was accepted")
        } catch let error as DataError {
            #expect(error.path == path && error.description.contains(message), "\(error)")
        }
    }

    @Test func labelNamesFromDocumentsWithoutMeta() throws {
        let dir = try TempDir()
        let out = try Self.corpus(dir)
        let withMeta = try Dataset.loadDocuments(directory: out, split: .train)
        try FileManager.default.removeItem(atPath: out + "/meta.json")
        #expect(try Dataset.loadDocuments(directory: out, split: .train).classNames == withMeta.classNames)
        try FileManager.default.removeItem(atPath: out + "/documents.jsonl")
        #expect(throws: DataError.self) { try Dataset.loadDocuments(directory: out, split: .train) }
    }
}

/// ≈60 packages in `apt-cache dumpavail` format: libraries, their -dev packages and a tool
/// sharing a source (three sections; the tool by its default Source, its own name), python
/// modules and -doc packages sharing a source, a package listed twice, a `contrib/` section, a
/// ` .` paragraph, one long description left to a Translation-en file, and a stanza without
/// Section; texts mix topic words, stop words, numbers and non-ASCII words.
enum DebianFixture {
    /// Packages that become documents (the stanza without Section and the repeat do not).
    static let documentCount = 10 * 3 + 10 + 8 + 6 + 4 + 3

    static let topics: [String: [String]] = [
        "libs": ["shared", "library", "runtime", "codec", "parser", "compression", "bindings", "abi"],
        "python": ["python", "module", "django", "asyncio", "wheel", "interpreter", "pytest", "typing"],
        "games": ["game", "arcade", "puzzle", "player", "levels", "strategy", "multiplayer", "dungeon"],
        "utils": ["command", "tool", "shell", "files", "terminal", "monitor", "backup", "search"],
        "fonts": ["font", "glyphs", "typeface", "truetype", "serif", "unicode", "hinting", "opentype"],
    ]
    static let common = [
        "this", "package", "provides", "the", "and", "of", "for", "is", "with", "support",
        "2024", "version", "3D", "x86_64", "café", "İzmir", "\u{212A}elvin", "e\u{301}tude",
        "日本語", "v2.1",
    ]

    static func stanza(
        _ package: String, source: String? = nil, section: String?, summary: String,
        long: [String], extra: String = ""
    ) -> String {
        var s = "Package: \(package)\nVersion: 1.0-1\n"
        if let source { s += "Source: \(source)\n" }
        s += "Architecture: amd64\nDescription: \(summary)\n"
        s += long.map { $0.isEmpty ? " .\n" : " \($0)\n" }.joined()
        s += extra
        if let section { s += "Section: \(section)\n" }
        return s + "Priority: optional\n\n"
    }

    static func write(in dir: TempDir) throws -> (input: String, translations: String) {
        var state: UInt64 = 12345
        func pick(_ words: [String], _ n: Int) -> String {
            (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return words[Int(state >> 33) % words.count]
            }.joined(separator: " ")
        }
        func text(_ topic: String) -> [String] {
            [pick(topics[topic]! + common, 9) + ".", pick(topics[topic]! + common, 7), "", pick(topics[topic]!, 5)]
        }
        var out = ""
        for i in 0..<10 {
            let source = "foo\(i) (\(i).2-1)"
            out += stanza(
                "libfoo\(i)-1", source: source, section: "libs", summary: "Foo \(i) library",
                long: text("libs"))
            out += stanza(
                "libfoo\(i)-dev", source: source, section: "libdevel", summary: "Foo \(i) headers",
                long: text("libs"))
            out += stanza(
                "foo\(i)", section: i % 2 == 0 ? "utils" : "contrib/utils", summary: "Foo \(i) tool",
                long: text("utils"))
        }
        for i in 0..<10 {
            out += stanza(
                "python3-bar\(i)", source: i < 5 ? "bar\(i)" : nil, section: "python",
                summary: "Bar \(i) for Python 3", long: text("python"))
        }
        for i in 0..<8 { out += stanza("game\(i)", section: "games", summary: "Game number \(i)", long: text("games")) }
        for i in 0..<6 {
            out += stanza(
                "bar\(i)-doc", source: "bar\(i)", section: "doc", summary: "Documentation of bar \(i)",
                long: text("python"))
        }
        for i in 0..<4 {
            out += stanza("fonts-baz\(i)", section: "fonts", summary: "Baz \(i) typeface", long: text("fonts"))
        }
        out += stanza("game0", section: "utils", summary: "A later version", long: ["ignored"])
        out += stanza("contrib-tool", section: "contrib/utils", summary: "Contrib tool", long: text("utils"))
        out += stanza(
            "paragraphs", section: "misc", summary: "Two paragraphs",
            long: ["First one.", "", "Second one,", " verbatim."])
        out += stanza(
            "translated", section: "misc", summary: "Summary only here", long: [],
            extra: "Description-md5: 0123456789abcdef0123456789abcdef\n")
        out += stanza("no-section", section: nil, summary: "Dropped", long: ["no section"])
        let translations =
            "Package: translated\nDescription-md5: 0123456789abcdef0123456789abcdef\n"
            + "Description-en: Summary only here\n The long text from Translation-en.\n\n"
        return (try dir.write("dumpavail.txt", text: out), try dir.write("Translation-en", text: translations))
    }
}
