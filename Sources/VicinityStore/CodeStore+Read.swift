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
}
