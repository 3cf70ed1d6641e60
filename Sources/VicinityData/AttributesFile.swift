import Foundation

/// Per-item attributes for `vicinity embed --attributes`: JSON lines (one object a
/// line, its `id` naming the item, every other field an attribute) or CSV (a header
/// row with an `id` column; the other columns become attributes, numbers as numbers).
/// Returns id → the attributes as one JSON object's text, in file order.
public func readAttributesFile(_ path: String) throws -> [(id: String, json: String)] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError.cannotRead(path: path, reason: "no such file or it cannot be read")
    }
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
    guard let first = lines.first else { return [] }
    func fail(_ line: Int, _ why: String) -> DataError {
        DataError.malformed(path: path, detail: "line \(line): \(why)")
    }
    var out: [(String, String)] = []
    if first.trimmingCharacters(in: .whitespaces).hasPrefix("{") {
        for (i, line) in lines.enumerated() {
            guard var object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw fail(i + 1, "not a JSON object")
            }
            guard let id = object.removeValue(forKey: "id").map({ "\($0)" }), !id.isEmpty else {
                throw fail(i + 1, "no \"id\" field")
            }
            out.append((id, try jsonText(object)))
        }
        return out
    }
    let header = first.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
    }
    guard let idColumn = header.firstIndex(of: "id") else { throw fail(1, "a CSV header needs an id column") }
    for (i, line) in lines.enumerated().dropFirst() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard cells.count == header.count else {
            throw fail(i + 1, "\(cells.count) cells, the header has \(header.count)")
        }
        var object: [String: Any] = [:]
        for (name, cell) in zip(header, cells) where name != "id" {
            object[name] = Double(cell).map { $0 as Any } ?? cell
        }
        out.append((cells[idColumn], try jsonText(object)))
    }
    return out
}

private func jsonText(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
