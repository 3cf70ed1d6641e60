import Foundation
import VicinityMath

/// Writes: every one a single transaction, durable when it returns; rows stay dense.
extension CodeStore {
    // MARK: writing

    /// The address key of a short code: its bits as a big-endian UInt32.
    public static func address(of bits: some Collection<UInt64>, bitCount: Int) -> UInt32 {
        guard let w = bits.first, bitCount > 0 else { return 0 }
        let mask: UInt64 = bitCount >= 32 ? 0xFFFF_FFFF : (1 << UInt64(bitCount)) - 1
        return UInt32(truncatingIfNeeded: w & mask)
    }

    static func rowKey(_ row: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(row).bigEndian) { Array($0) }
    }

    static func addrKey(_ a: UInt32) -> [UInt8] {
        withUnsafeBytes(of: a.bigEndian) { Array($0) }
    }

    func requireMeta(_ txn: LMDBTransaction) throws -> StoreMeta {
        guard let m = try readMeta(txn) else { throw StoreError.notConfigured(path: path) }
        return m
    }

    /// Writes (adds or replaces) every item of the batch in one transaction:
    /// all or nothing, durable when this returns. A new id takes the next row;
    /// a replaced id keeps its row.
    // Long: one write transaction: every item of the batch shares its buffers and cursors (the embed hot path).
    public func put(_ batch: ItemBatch) throws {
        for id in batch.ids { try Self.validateID(id) }
        let sources = batch.sources.map { Array($0.utf8) }
        if let long = sources.firstIndex(where: { $0.count > Int(UInt16.max) }) {
            throw StoreError.wrongShape(
                id: batch.ids[long], detail: "source is \(sources[long].count) bytes (at most 65535)")
        }
        let keys = batch.ids.map { Array($0.utf8) }
        try env.write { txn in
            let meta = try requireMeta(txn)
            guard batch.count == 0 || batch.codes.cols == meta.codeDims else {
                throw StoreError.wrongShape(
                    id: batch.ids[0], detail: "code has \(batch.codes.cols) values, the store keeps \(meta.codeDims)")
            }
            guard batch.count == 0 || batch.wordsPerItem == meta.wordsPerItem else {
                throw StoreError.wrongShape(
                    id: batch.ids[0],
                    detail:
                        "\(batch.wordsPerItem) bit words, the store keeps \(meta.bits) bits (\(meta.wordsPerItem) words)"
                )
            }
            var count = try txn.entries(itemsDB)
            let dims = meta.codeDims, words = meta.wordsPerItem
            try batch.codes.storage.withUnsafeBufferPointer { codes in
                try batch.bits.withUnsafeBufferPointer { bits in
                    for i in 0..<batch.count {
                        let code = UnsafeBufferPointer(rebasing: codes[i * dims..<(i + 1) * dims])
                        let itemBits = UnsafeBufferPointer(rebasing: bits[i * words..<(i + 1) * words])
                        let source = sources.isEmpty ? [] : sources[i]
                        try keys[i].withUnsafeBytes { key in
                            var row: Int
                            if let old = try txn.get(itemsDB, key) {
                                guard let h = ItemRecord.header(old) else {
                                    throw StoreError.corrupt(
                                        path: path, detail: "record of \(batch.ids[i]) cannot be decoded")
                                }
                                row = Int(h.row)
                                if meta.hasAddresses && h.words > 0 {
                                    let a = Self.address(of: [ItemRecord.bitWord(old, h, 0)], bitCount: meta.bits)
                                    try txn.delete(addrDB, Self.addrKey(a), value: keys[i])
                                }
                            } else {
                                row = count
                                count += 1
                                // Rows are dense, so a new row is the largest key: append.
                                try txn.put(rowsDB, Self.rowKey(row), keys[i], append: true)
                            }
                            let size = ItemRecord.size(dims: dims, words: words, sourceBytes: source.count)
                            let label = Int32(clamping: batch.labels[i])
                            try txn.put(itemsDB, key, reserving: size) { out in
                                ItemRecord.encode(
                                    into: out, row: UInt32(row), label: label, code: code, bits: itemBits,
                                    source: source)
                            }
                            if meta.hasAddresses {
                                try txn.put(
                                    addrDB, Self.addrKey(Self.address(of: itemBits, bitCount: meta.bits)), keys[i])
                            }
                        }
                    }
                }
            }
            try setMetaValue("count", String(count), txn)
            try dropSavedIndexes(txn)
        }
    }

    public func put(_ items: [StoredItem]) throws {
        if items.isEmpty { return }
        try put(ItemBatch(items))
    }

    /// Deletes the items in one transaction; rows stay dense (the last row moves
    /// into each hole). Returns how many ids were there.
    @discardableResult
    public func delete(_ ids: [String]) throws -> Int {
        try env.write { txn in
            let meta = try requireMeta(txn)
            var count = try txn.entries(itemsDB)
            var deleted = 0
            for id in ids {
                let key = Array(id.utf8)
                guard let old = try txn.get(itemsDB, key) else { continue }
                guard let h = old.withUnsafeBytes({ ItemRecord.header($0) }) else {
                    throw StoreError.corrupt(path: path, detail: "record of \(id) cannot be decoded")
                }
                try old.withUnsafeBytes { o in
                    if meta.hasAddresses && h.words > 0 {
                        try txn.delete(
                            addrDB, Self.addrKey(Self.address(of: [ItemRecord.bitWord(o, h, 0)], bitCount: meta.bits)),
                            value: key)
                    }
                }
                let row = Int(h.row), last = count - 1
                if row != last {
                    guard let lastID = try txn.get(rowsDB, Self.rowKey(last)),
                        var moved = try txn.get(itemsDB, lastID)
                    else {
                        throw StoreError.corrupt(path: path, detail: "row \(last) has no item")
                    }
                    moved.withUnsafeMutableBytes {
                        $0.storeBytes(of: UInt32(row).littleEndian, toByteOffset: ItemRecord.rowOffset, as: UInt32.self)
                    }
                    try txn.put(itemsDB, lastID, moved)
                    try txn.put(rowsDB, Self.rowKey(row), lastID)
                }
                try txn.delete(rowsDB, Self.rowKey(last))
                try txn.delete(itemsDB, key)
                if let attrs = extras.attributes { _ = try txn.delete(attrs, key) }
                count -= 1
                deleted += 1
            }
            try setMetaValue("count", String(count), txn)
            if deleted > 0 { try dropSavedIndexes(txn) }
            return deleted
        }
    }

    @discardableResult
    public func delete(_ id: String) throws -> Bool { try delete([id]) == 1 }
}
