import Foundation
import VicinityMath

extension Dataset {
    /// Texts to embed (`vicinity embed --documents`): JSON lines, one object a line with a string
    /// `id` and a string `text`, and optionally an integer `label` (default -1; the corpus's
    /// documents.jsonl has all three). Row i counts the words of line i's text with `vocabulary`,
    /// exactly as the model's training documents were counted. Blank lines are skipped.
    public static func loadDocumentLines(_ path: String, vocabulary: Vocabulary) throws -> Dataset {
        let lines = try textLines(path)
        func fail(_ line: Int, _ why: String) -> DataError {
            DataError.malformed(path: path, detail: "line \(line): \(why)")
        }
        var ids: [String] = [], labels: [Int] = [], values: [Float] = []
        var seen: [String: Int] = [:]
        for (number, line) in lines where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw fail(number, "not a JSON object")
            }
            guard let id = object["id"] as? String, !id.isEmpty else { throw fail(number, "no string \"id\" field") }
            guard let text = object["text"] as? String else { throw fail(number, "no string \"text\" field") }
            var label = -1
            if let value = object["label"] {
                guard let exact = value as? Int, exact >= -1 else {
                    throw fail(number, "\"label\" must be an integer ≥ -1")
                }
                label = exact
            }
            if let first = seen[id] { throw fail(number, "id '\(id)' again (first on line \(first))") }
            seen[id] = number
            ids.append(id)
            labels.append(label)
            values.append(contentsOf: vocabulary.counts(of: text))
        }
        guard !ids.isEmpty else { throw DataError.malformed(path: path, detail: "no documents") }
        let v = vocabulary.count
        return Dataset(
            name: (path as NSString).standardizingPath, features: Matrix(rows: ids.count, cols: v, storage: values),
            labels: labels, ids: ids, imageRows: 1, imageCols: v, vocabulary: vocabulary)
    }
}
