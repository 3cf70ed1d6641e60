import Foundation
import VicinityMath

/// The words of a document set (`vocabulary.txt`, index = line − 1) and the tokenizer that
/// made them (`stopWords.txt`), so a new text is counted exactly as the set's documents were.
public struct Vocabulary: Sendable {
    public let words: [String]
    public let tokenizer: Tokenizer
    private let indices: [String: Int]

    /// Duplicate words keep their first index.
    public init(words: [String], tokenizer: Tokenizer) {
        self.words = words
        self.tokenizer = tokenizer
        indices = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var count: Int { words.count }

    public func index(of word: String) -> Int? { indices[word] }

    /// How often each vocabulary word occurs in `text`; other tokens are ignored.
    public func counts(of text: String) -> [Float] {
        var out = [Float](repeating: 0, count: words.count)
        for token in tokenizer.tokens(text) {
            if let i = indices[token] { out[i] += 1 }
        }
        return out
    }

    /// `vocabulary.txt` and `stopwords.txt` of a document set folder.
    public static func load(directory: String) throws -> Vocabulary {
        let dir = directory as NSString
        let words = try readVocabularyWords(dir.appendingPathComponent("vocabulary.txt"))
        let stops = try textLines(dir.appendingPathComponent("stopwords.txt")).filter { !$0.text.isEmpty }
        return Vocabulary(words: words, tokenizer: Tokenizer(stopWords: stops.map { String($0.text) }))
    }
}

extension Dataset {
    /// Whether `spec` is a folder written by scripts/data/debian-descriptions (or laid out like one).
    public static func isDocumentSet(_ spec: String) -> Bool {
        isDirectory(spec) && existingVariant(spec, "vocabulary.txt") != nil
            && existingVariant(spec, "train.counts") != nil
    }

    /// One split of a document set (docs/DOCUMENTS.md): row i counts the vocabulary words of
    /// line i of `<split>.counts`; ids are package names; class names come from meta.json's
    /// `label_names` (else from documents.jsonl). Features are raw counts, not in [0, 1].
    public static func loadDocuments(directory: String, split: Split) throws -> Dataset {
        let dir = directory as NSString
        let vocabularyPath = dir.appendingPathComponent("vocabulary.txt")
        let vocabulary = try readVocabularyWords(existingVariant(directory, "vocabulary.txt") ?? vocabularyPath)
        let names = try documentLabelNames(directory)
        let countsPath = dir.appendingPathComponent("\(split.rawValue).counts")
        let counts = try readCounts(
            existingVariant(directory, "\(split.rawValue).counts") ?? countsPath,
            vocabularySize: vocabulary.count, classCount: names.count)
        let v = vocabulary.count
        // The stop list makes new texts countable (a model records both); sets without one still load.
        let stopsPath = dir.appendingPathComponent("stopwords.txt")
        let words: Vocabulary? =
            FileManager.default.fileExists(atPath: stopsPath)
            ? Vocabulary(
                words: vocabulary,
                tokenizer: Tokenizer(stopWords: try textLines(stopsPath).map { String($0.text) }.filter { !$0.isEmpty })
            )
            : nil
        return Dataset(
            name: "\(baseName(dir.standardizingPath))/\(split.rawValue)",
            features: Matrix(rows: counts.ids.count, cols: v, storage: counts.values),
            labels: counts.labels, ids: counts.ids, imageRows: 1, imageCols: v, classNames: names, vocabulary: words)
    }
}

/// Lines of a UTF-8 text file with their 1-based numbers (a final newline ends the last line).
func textLines(_ path: String) throws -> [(number: Int, text: Substring)] {
    let text = String(decoding: try readFileBytes(path), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines.enumerated().map { ($0 + 1, $1.hasSuffix("\r") ? $1.dropLast() : $1) }
}

/// vocabulary.txt: one token per line (see `Tokenizer`), no duplicates, at least one.
func readVocabularyWords(_ path: String) throws -> [String] {
    var seen: [String: Int] = [:], words: [String] = []
    for (number, line) in try textLines(path) {
        let word = String(line)
        let scalars = word.unicodeScalars
        guard scalars.count >= 2, scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }),
            scalars.contains(where: { ("a"..."z").contains($0) })
        else {
            throw DataError.malformed(
                path: path,
                detail: "line \(number): '\(word)' is not a token "
                    + "(two or more of a-z, 0-9, with a letter)")
        }
        if let first = seen[word] {
            throw DataError.malformed(path: path, detail: "line \(number): '\(word)' repeats line \(first)")
        }
        seen[word] = number
        words.append(word)
    }
    guard !words.isEmpty else { throw DataError.malformed(path: path, detail: "no words") }
    return words
}

/// Section names by label: meta.json's `label_names`, else the labels of documents.jsonl.
func documentLabelNames(_ directory: String) throws -> [String] {
    let dir = directory as NSString
    let metaPath = dir.appendingPathComponent("meta.json"), docsPath = dir.appendingPathComponent("documents.jsonl")
    if FileManager.default.fileExists(atPath: metaPath) {
        let object = try? JSONSerialization.jsonObject(with: Data(try readFileBytes(metaPath)))
        guard let names = (object as? [String: Any])?["label_names"] as? [String] else {
            throw DataError.malformed(
                path: metaPath,
                detail: "not a JSON object with a \"label_names\" list of strings")
        }
        return names
    }
    guard FileManager.default.fileExists(atPath: docsPath) else {
        throw DataError.datasetNotFound(
            name: "meta.json or documents.jsonl (the section names)",
            directory: directory, hint: "")
    }
    var byLabel: [Int: String] = [:]
    for (number, line) in try textLines(docsPath) where !line.isEmpty {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        guard let label = object?["label"] as? Int, label >= 0, let name = object?["label_name"] as? String else {
            throw DataError.malformed(
                path: docsPath,
                detail: "line \(number): no integer \"label\" ≥ 0 "
                    + "and string \"label_name\"")
        }
        if let other = byLabel[label], other != name {
            throw DataError.malformed(
                path: docsPath,
                detail: "line \(number): label \(label) is '\(name)' here, "
                    + "'\(other)' before")
        }
        byLabel[label] = name
    }
    let n = (byLabel.keys.max() ?? -1) + 1
    guard byLabel.count == n else {
        throw DataError.malformed(path: docsPath, detail: "labels are not 0..<\(n): some have no document")
    }
    return (0..<n).map { byLabel[$0]! }
}

/// A `.counts` file: `id label i:c i:c …` per line, indices ascending below `vocabularySize`,
/// counts ≥ 1, labels below `classCount`, ids unique. Values are row-major N × vocabularySize.
func readCounts(_ path: String, vocabularySize v: Int, classCount: Int) throws
    -> (ids: [String], labels: [Int], values: [Float])
{
    let lines = try textLines(path)
    var ids: [String] = [], labels: [Int] = [], seen: [String: Int] = [:]
    var values = [Float](repeating: 0, count: lines.count * v)
    for (row, (number, line)) in lines.enumerated() {
        func bad(_ detail: String) -> DataError { .malformed(path: path, detail: "line \(number): \(detail)") }
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 2, !fields[0].isEmpty else { throw bad("expected 'id label i:c …'") }
        let id = String(fields[0])
        if let first = seen[id] { throw bad("id '\(id)' repeats line \(first)") }
        guard let label = decimal(fields[1]), label < classCount else {
            throw bad("label '\(fields[1])' is not one of 0..<\(classCount)")
        }
        var previous = -1
        for pair in fields.dropFirst(2) {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = decimal(parts[0]), let c = decimal(parts[1]) else {
                throw bad("'\(pair)' is not index:count")
            }
            guard i < v else { throw bad("index \(i) is outside the vocabulary of \(v) words") }
            guard i > previous else { throw bad("index \(i) does not follow \(previous) in ascending order") }
            guard c > 0 else { throw bad("count of index \(i) is 0") }
            values[row * v + i] = Float(c)
            previous = i
        }
        seen[id] = number
        ids.append(id)
        labels.append(label)
    }
    return (ids, labels, values)
}

/// A non-negative decimal integer written with digits only (no sign, no spaces).
private func decimal(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    return Int(text)
}
