import Foundation
import VicinityMath

extension CodeStore {
    /// A saved search structure (see `ExtraDatabases`), or nil: never saved, or items were
    /// written since.
    public func savedIndex(_ name: String) throws -> [UInt8]? {
        guard let db = extras.indexes else { return nil }
        return try env.read { try $0.get(db, Array(name.utf8)) }
    }

    /// Saves a structure derived from the items as they are now, durably; with `count`, only
    /// while the store still holds that many items (a writer may have come in since they were read).
    public func saveIndex(_ name: String, _ bytes: [UInt8], ifCount count: Int? = nil) throws {
        let db = try extras.make("index")
        try env.write { txn in
            if let count, try txn.entries(itemsDB) != count { return }
            try txn.put(db, Array(name.utf8), bytes)
        }
    }

    /// Drops every saved structure, inside the transaction that changes the items it describes.
    func dropSavedIndexes(_ txn: LMDBTransaction) throws {
        if let db = extras.indexes { try txn.clear(db) }
    }
}

extension CodeStore {
    /// Every item's float code with its row, `chunk` at a time in id order, from one read
    /// transaction, in bounded memory (the mapped pages are let go after each chunk).
    public func forEachCodeChunk(_ chunk: Int, _ body: (_ rows: [Int], _ codes: Matrix) throws -> Void) throws {
        try env.read { txn in
            let dims = try requireMeta(txn).codeDims
            var rows: [Int] = []
            var values: [Float] = []
            func flush() throws {
                guard !rows.isEmpty else { return }
                try body(rows, Matrix(rows: rows.count, cols: dims, storage: values))
                rows.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
                env.releaseMappedPages()
            }
            try txn.forEach(itemsDB) { key, value in
                guard let h = ItemRecord.header(value), h.dims == dims else {
                    throw StoreError.corrupt(
                        path: path, detail: "record of \(String(decoding: key, as: UTF8.self)) does not decode")
                }
                rows.append(Int(h.row))
                let start = values.count
                values.append(contentsOf: repeatElement(0, count: dims))
                values.withUnsafeMutableBufferPointer { ItemRecord.copyCode(value, h, into: $0.baseAddress! + start) }
                if rows.count == chunk { try flush() }
                return true
            }
            try flush()
        }
    }

    /// The float codes of the given rows, in that order. Read in row order (rows follow ids in a
    /// finished store, so pages come in file order), letting the mapped pages go every 1,024 rows
    /// and at the end: the kernel maps 16 pages around each fault, so a random sample of 64k rows
    /// would otherwise leave the whole file resident.
    public func codes(ofRows rows: [Int]) throws -> Matrix {
        try env.read { txn in
            let dims = try requireMeta(txn).codeDims
            var out = Matrix(rows: rows.count, cols: dims)
            try out.storage.withUnsafeMutableBufferPointer { o in
                for (n, i) in rows.indices.sorted(by: { rows[$0] < rows[$1] }).enumerated() {
                    let row = rows[i]
                    if n % 1024 == 1023 { env.releaseMappedPages() }
                    guard let id = try txn.get(rowsDB, Self.rowKey(row)), let value = try txn.get(itemsDB, id),
                        let h = value.withUnsafeBytes({ ItemRecord.header($0) }), h.dims == dims
                    else { throw StoreError.corrupt(path: path, detail: "row \(row) has no item") }
                    value.withUnsafeBytes { ItemRecord.copyCode($0, h, into: o.baseAddress! + i * dims) }
                }
            }
            env.releaseMappedPages()
            return out
        }
    }
}
