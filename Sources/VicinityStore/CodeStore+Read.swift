import Foundation
import VicinityMath

/// Reads: each one consistent snapshot.
extension CodeStore {
    // MARK: reading

    /// Items stored (exact: the entry count of `items`).
    public func count() throws -> Int { try env.read { try $0.entries(itemsDB) } }

    func decode(_ id: String, _ bytes: UnsafeRawBufferPointer) throws -> StoredItem {
        guard let h = ItemRecord.header(bytes) else {
            throw StoreError.corrupt(path: path, detail: "record of \(id) cannot be decoded")
        }
        var code = [Float](repeating: 0, count: h.dims)
        code.withUnsafeMutableBufferPointer { ItemRecord.copyCode(bytes, h, into: $0.baseAddress!) }
        return StoredItem(
            id: id, label: Int(h.label), code: code, bits: (0..<h.words).map { ItemRecord.bitWord(bytes, h, $0) },
            source: ItemRecord.source(bytes, h))
    }

    public func get(_ id: String) throws -> StoredItem? {
        try env.read { txn in
            try Array(id.utf8).withUnsafeBytes { key in
                try txn.get(itemsDB, key).map { try decode(id, $0) }
            }
        }
    }

    /// The row of an item; nil when absent.
    public func row(of id: String) throws -> Int? {
        try env.read { txn in
            try Array(id.utf8).withUnsafeBytes { key in
                try txn.get(itemsDB, key).flatMap { ItemRecord.header($0) }.map { Int($0.row) }
            }
        }
    }

    /// The id at a row; nil outside 0..<count.
    public func id(atRow row: Int) throws -> String? {
        guard row >= 0 && row <= Int(UInt32.max) else { return nil }
        return try env.read { try $0.get(rowsDB, Self.rowKey(row)).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Positions in `ids` of those not stored yet (one read transaction), for resuming.
    public func missing(_ ids: [String]) throws -> [Int] {
        try env.read { txn in
            var out: [Int] = []
            for (i, id) in ids.enumerated() {
                var id = id
                let present = try id.withUTF8 { try txn.get(itemsDB, UnsafeRawBufferPointer($0)) != nil }
                if !present { out.append(i) }
            }
            return out
        }
    }

    /// Ids whose code is exactly `address` (stores of 1…32 bits), in id order.
    public func ids(atAddress address: UInt32) throws -> [String] {
        try env.read { txn in
            var out: [String] = []
            try Self.addrKey(address).withUnsafeBytes { key in
                try txn.forEachDuplicate(addrDB, key) { out.append(String(decoding: $0, as: UTF8.self)) }
            }
            return out
        }
    }

    /// Every item, placed by row, from one read transaction and one cursor pass over `items`.
    public func snapshot() throws -> StoreSnapshot {
        try env.read { txn in
            let meta = try requireMeta(txn)
            let n = try txn.entries(itemsDB)
            let dims = meta.codeDims, words = meta.wordsPerItem
            var ids = [String](repeating: "", count: n)
            var labels = [Int](repeating: -1, count: n)
            var codes = Matrix(rows: n, cols: dims)
            var bits = [UInt64](repeating: 0, count: n * words)
            var seen = [Bool](repeating: false, count: n)
            try codes.storage.withUnsafeMutableBufferPointer { codeOut in
                try txn.forEach(itemsDB) { key, value in
                    let id = String(decoding: key, as: UTF8.self)
                    guard let h = ItemRecord.header(value), h.dims == dims, h.words == words else {
                        throw StoreError.corrupt(
                            path: path,
                            detail: "record of \(id) does not decode to \(dims) floats and \(words) bit words")
                    }
                    let r = Int(h.row)
                    guard r < n, !seen[r] else {
                        throw StoreError.corrupt(
                            path: path,
                            detail: "item \(id) claims row \(r) (\(n) items\(r < n ? ", row taken twice" : ""))")
                    }
                    seen[r] = true
                    ids[r] = id
                    labels[r] = Int(h.label)
                    ItemRecord.copyCode(value, h, into: codeOut.baseAddress! + r * dims)
                    for w in 0..<words { bits[r * words + w] = ItemRecord.bitWord(value, h, w) }
                    return true
                }
            }
            return StoreSnapshot(meta: meta, ids: ids, labels: labels, codes: codes, bits: bits, wordsPerItem: words)
        }
    }
}
