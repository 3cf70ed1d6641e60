import Foundation
import VicinityMath

/// A store of embedded items: one LMDB environment (a directory, e.g.
/// `stores/NAME/`, holding `data.mdb` and `lock.mdb`) with four named databases:
///
/// - `meta`: text key → UTF-8 text value: `schema_version`, `model_fingerprint`,
///   `code_dims`, `bits`, `count`, plus free keys (`model`, `data`, …).
/// - `items`: id (UTF-8) → record (see `ItemRecord`: version byte, label, row,
///   float code, packed bits, source).
/// - `rows`: row number (UInt32, big-endian, so key order is row order) → id.
///   Rows are dense: 0..<count, each item has exactly one, and the record holds
///   its own row, so both directions are one lookup.
/// - `addr`: (only for codes of 1…32 bits) address (UInt32 big-endian: the code's
///   bits as an integer) → ids, DUPSORT: every item with exactly that code.
///
/// Every write is one transaction: all of it or none of it is there after a
/// crash, and it is on disk when the call returns (LMDB syncs on commit).
/// Readers always see one committed state. Thread-safe; readers and a writer
/// may run at once (several processes too, one writer at a time).
public final class CodeStore: @unchecked Sendable {
    public static let schemaVersion = 1
    /// Initial map size. Files are sparse, so this costs address space, not disk;
    /// the map doubles whenever a write finds it full.
    public static let defaultMapSize = 1 << 30
    public static let maxIDBytes = 255

    public enum Access: Sendable { case readOnly, readWrite }

    public let path: String
    public let access: Access
    let env: LMDBEnvironment
    let metaDB: LMDBDatabase
    let itemsDB: LMDBDatabase
    let rowsDB: LMDBDatabase
    let addrDB: LMDBDatabase
    /// `attrs` and `vsets`, made on first use (CodeStore+Extras.swift), so stores that never use them stay as they were.
    let extras: ExtraDatabases
    /// Held shared while this handle lives.
    let directoryLock: DirectoryLock

    /// Opens the store at `path` (a directory). `create` makes the directory and
    /// databases when missing (read-write only). Read-only opening never writes
    /// (MDB_RDONLY), for servers and inspection.
    public init(path: String, access: Access = .readWrite, create: Bool = false, mapSize: Int = CodeStore.defaultMapSize) throws {
        self.path = path
        self.access = access
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists && !isDir.boolValue { throw StoreError.notAStore(path: path, reason: "it is a file, not a directory") }
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        if !fm.fileExists(atPath: dataFile) {
            guard create && access == .readWrite else {
                throw StoreError.notAStore(path: path, reason: exists ? "no data.mdb in the directory" : "no such directory")
            }
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        // A shared lock on the directory for the life of this handle: `rewriteCanonically` takes
        // it exclusively, so it neither replaces files under another user nor is opened mid-way.
        directoryLock = try DirectoryLock(path)
        env = try LMDBEnvironment(path: path, readOnly: access == .readOnly, maxDatabases: 8, mapSize: mapSize)
        let writable = access == .readWrite
        do {
            let dbs = try env.openDatabases([("meta", []), ("items", []), ("rows", []), ("addr", .duplicateSort)], create: writable)
            (metaDB, itemsDB, rowsDB, addrDB) = (dbs[0], dbs[1], dbs[2], dbs[3])
            extras = try ExtraDatabases(env)
        } catch let error as LMDBError where error.isNotFound {
            throw StoreError.notAStore(path: path, reason: "its databases are missing (\(error.operation)); a writer that created it may have stopped before its first commit")
        }
        let version = try env.read { try self.metaValue("schema_version", $0) }
        if let version, Int(version) != Self.schemaVersion {
            throw StoreError.unsupportedSchema(path: path, found: Int(version) ?? -1)
        }
    }

    // MARK: ids

    /// Throws `StoreError.invalidID` unless `id` is 1–255 UTF-8 bytes with no whitespace or control characters.
    public static func validateID(_ id: String) throws {
        let n = id.utf8.count
        if n == 0 { throw StoreError.invalidID(id, reason: "empty") }
        if n > maxIDBytes { throw StoreError.invalidID(id, reason: "\(n) bytes long") }
        if id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return }
        for s in id.unicodeScalars {
            if s.properties.isWhitespace || s.properties.generalCategory == .control
                || s.properties.generalCategory == .format || s.properties.generalCategory == .lineSeparator
                || s.properties.generalCategory == .paragraphSeparator {
                throw StoreError.invalidID(id, reason: "contains U+\(String(s.value, radix: 16, uppercase: true))")
            }
        }
    }

    // MARK: meta

    private func metaValue(_ key: String, _ txn: LMDBTransaction) throws -> String? {
        try txn.get(metaDB, Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    private func setMetaValue(_ key: String, _ value: String, _ txn: LMDBTransaction) throws {
        try txn.put(metaDB, Array(key.utf8), Array(value.utf8))
    }

    /// `created` (a time stamp) was written by stores before 2026-12; no longer, so that a store's
    /// bytes depend on its contents only.
    private static let coreKeys: Set<String> = ["schema_version", "model_fingerprint", "code_dims", "bits", "count", "created"]

    private func readMeta(_ txn: LMDBTransaction) throws -> StoreMeta? {
        var all: [String: String] = [:]
        try txn.forEach(metaDB) { k, v in
            all[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            return true
        }
        guard let fp = all["model_fingerprint"] else { return nil }
        func int(_ key: String) throws -> Int {
            guard let text = all[key], let v = Int(text) else {
                throw StoreError.corrupt(path: path, detail: "meta \(key) is \(all[key].map { "'\($0)'" } ?? "missing")")
            }
            return v
        }
        return StoreMeta(schemaVersion: try int("schema_version"), modelFingerprint: fp, codeDims: try int("code_dims"),
                         bits: try int("bits"), count: try int("count"),
                         extra: all.filter { !Self.coreKeys.contains($0.key) })
    }

    /// The store's metadata; nil until `configure` has run.
    public func meta() throws -> StoreMeta? {
        try env.read { try readMeta($0) }
    }

    /// Sets the model fingerprint, code size and bit count (and free `extra` keys).
    /// On a store that already holds items these must match what is there,
    /// else `configurationMismatch` (clear it first to start over).
    public func configure(modelFingerprint: String, codeDims: Int, bits: Int, extra: [String: String] = [:]) throws {
        guard codeDims >= 1 && codeDims <= Int(UInt16.max) else {
            throw StoreError.configurationMismatch(path: path, detail: "code size \(codeDims) outside 1…65535")
        }
        guard bits >= 0 && (bits + 63) / 64 <= Int(UInt16.max) else {
            throw StoreError.configurationMismatch(path: path, detail: "bit count \(bits) out of range")
        }
        try env.write { txn in
            let count = try txn.entries(itemsDB)
            let old = try readMeta(txn)
            if let old, count > 0 {
                if old.modelFingerprint != modelFingerprint || old.codeDims != codeDims || old.bits != bits {
                    throw StoreError.configurationMismatch(
                        path: path,
                        detail: "holds \(count) items of model \(old.modelFingerprint) (\(old.codeDims)-D, \(old.bits) bits), not model \(modelFingerprint) (\(codeDims)-D, \(bits) bits)")
                }
            }
            try setMetaValue("schema_version", String(Self.schemaVersion), txn)
            try setMetaValue("model_fingerprint", modelFingerprint, txn)
            try setMetaValue("code_dims", String(codeDims), txn)
            try setMetaValue("bits", String(bits), txn)
            try setMetaValue("count", String(count), txn)
            for (k, v) in extra where !Self.coreKeys.contains(k) { try setMetaValue(k, v, txn) }
        }
    }

    /// Sets one free meta key (not one of the core keys).
    public func setMeta(_ key: String, _ value: String) throws {
        precondition(!Self.coreKeys.contains(key), "meta key \(key) is managed by the store")
        try env.write { try setMetaValue(key, value, $0) }
    }

    /// Removes every item and all metadata, leaving an empty, unconfigured store.
    public func clear() throws {
        try env.write { txn in
            // Item attributes and client vector sets go too: a rebuilt store starts empty.
            for db in [metaDB, itemsDB, rowsDB, addrDB] + [extras.attributes, extras.vectorSets].compactMap({ $0 }) {
                try txn.clear(db)
            }
        }
    }

    // MARK: writing

    /// The address key of a short code: its bits as a big-endian UInt32.
    public static func address(of bits: some Collection<UInt64>, bitCount: Int) -> UInt32 {
        guard let w = bits.first, bitCount > 0 else { return 0 }
        let mask: UInt64 = bitCount >= 32 ? 0xFFFF_FFFF : (1 << UInt64(bitCount)) - 1
        return UInt32(truncatingIfNeeded: w & mask)
    }

    private static func rowKey(_ row: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(row).bigEndian) { Array($0) }
    }

    private static func addrKey(_ a: UInt32) -> [UInt8] {
        withUnsafeBytes(of: a.bigEndian) { Array($0) }
    }

    private func requireMeta(_ txn: LMDBTransaction) throws -> StoreMeta {
        guard let m = try readMeta(txn) else { throw StoreError.notConfigured(path: path) }
        return m
    }

    /// Writes (adds or replaces) every item of the batch in one transaction:
    /// all or nothing, durable when this returns. A new id takes the next row;
    /// a replaced id keeps its row.
    public func put(_ batch: ItemBatch) throws {
        for id in batch.ids { try Self.validateID(id) }
        let sources = batch.sources.map { Array($0.utf8) }
        if let long = sources.firstIndex(where: { $0.count > Int(UInt16.max) }) {
            throw StoreError.wrongShape(id: batch.ids[long], detail: "source is \(sources[long].count) bytes (at most 65535)")
        }
        let keys = batch.ids.map { Array($0.utf8) }
        try env.write { txn in
            let meta = try requireMeta(txn)
            guard batch.count == 0 || batch.codes.cols == meta.codeDims else {
                throw StoreError.wrongShape(id: batch.ids[0], detail: "code has \(batch.codes.cols) values, the store keeps \(meta.codeDims)")
            }
            guard batch.count == 0 || batch.wordsPerItem == meta.wordsPerItem else {
                throw StoreError.wrongShape(id: batch.ids[0], detail: "\(batch.wordsPerItem) bit words, the store keeps \(meta.bits) bits (\(meta.wordsPerItem) words)")
            }
            var count = try txn.entries(itemsDB)
            let dims = meta.codeDims, words = meta.wordsPerItem
            try batch.codes.storage.withUnsafeBufferPointer { codes in
                try batch.bits.withUnsafeBufferPointer { bits in
                    for i in 0..<batch.count {
                        let code = UnsafeBufferPointer(rebasing: codes[i * dims ..< (i + 1) * dims])
                        let itemBits = UnsafeBufferPointer(rebasing: bits[i * words ..< (i + 1) * words])
                        let source = sources.isEmpty ? [] : sources[i]
                        try keys[i].withUnsafeBytes { key in
                            var row: Int
                            if let old = try txn.get(itemsDB, key) {
                                guard let h = ItemRecord.header(old) else {
                                    throw StoreError.corrupt(path: path, detail: "record of \(batch.ids[i]) cannot be decoded")
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
                                ItemRecord.encode(into: out, row: UInt32(row), label: label, code: code, bits: itemBits, source: source)
                            }
                            if meta.hasAddresses {
                                try txn.put(addrDB, Self.addrKey(Self.address(of: itemBits, bitCount: meta.bits)), keys[i])
                            }
                        }
                    }
                }
            }
            try setMetaValue("count", String(count), txn)
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
                        try txn.delete(addrDB, Self.addrKey(Self.address(of: [ItemRecord.bitWord(o, h, 0)], bitCount: meta.bits)), value: key)
                    }
                }
                let row = Int(h.row), last = count - 1
                if row != last {
                    guard let lastID = try txn.get(rowsDB, Self.rowKey(last)),
                          var moved = try txn.get(itemsDB, lastID) else {
                        throw StoreError.corrupt(path: path, detail: "row \(last) has no item")
                    }
                    moved.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(row).littleEndian, toByteOffset: ItemRecord.rowOffset, as: UInt32.self) }
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
            return deleted
        }
    }

    @discardableResult
    public func delete(_ id: String) throws -> Bool { try delete([id]) == 1 }

    // MARK: reading

    /// Items stored (exact: the entry count of `items`).
    public func count() throws -> Int { try env.read { try $0.entries(itemsDB) } }

    private func decode(_ id: String, _ bytes: UnsafeRawBufferPointer) throws -> StoredItem {
        guard let h = ItemRecord.header(bytes) else {
            throw StoreError.corrupt(path: path, detail: "record of \(id) cannot be decoded")
        }
        var code = [Float](repeating: 0, count: h.dims)
        code.withUnsafeMutableBufferPointer { ItemRecord.copyCode(bytes, h, into: $0.baseAddress!) }
        return StoredItem(id: id, label: Int(h.label), code: code, bits: (0..<h.words).map { ItemRecord.bitWord(bytes, h, $0) },
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
                        throw StoreError.corrupt(path: path, detail: "record of \(id) does not decode to \(dims) floats and \(words) bit words")
                    }
                    let r = Int(h.row)
                    guard r < n, !seen[r] else {
                        throw StoreError.corrupt(path: path, detail: "item \(id) claims row \(r) (\(n) items\(r < n ? ", row taken twice" : ""))")
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

    /// Items per label, from one cursor pass.
    public func labelHistogram() throws -> [Int: Int] { try contentStatistics().labels }

    /// Items per label, and the payload bytes the store holds: for each item its id,
    /// label (4), code (4·D), bits (8·W) and source bytes — what any format would
    /// have to keep; the yardstick for size on disk. One cursor pass.
    public func contentStatistics() throws -> (labels: [Int: Int], payloadBytes: Int) {
        try env.read { txn in
            var hist: [Int: Int] = [:]
            var bytes = 0
            try txn.forEach(itemsDB) { key, value in
                if let h = ItemRecord.header(value) { hist[Int(h.label), default: 0] += 1 }
                bytes += key.count + value.count - ItemRecord.headerSize + 4
                return true
            }
            return (hist, bytes)
        }
    }

    /// Entries in each database: meta, items, rows, addr.
    public func databaseEntries() throws -> [String: Int] {
        try env.read { txn in
            ["meta": try txn.entries(metaDB), "items": try txn.entries(itemsDB),
             "rows": try txn.entries(rowsDB), "addr": try txn.entries(addrDB)]
        }
    }

    /// Pages (of the OS page size LMDB uses, normally 4 KiB) used by each database.
    public func databasePages() throws -> [String: Int] {
        try env.read { txn in
            ["meta": try txn.pages(metaDB), "items": try txn.pages(itemsDB),
             "rows": try txn.pages(rowsDB), "addr": try txn.pages(addrDB)]
        }
    }

    /// Checks every invariant in one snapshot and lists what is wrong (empty: consistent):
    /// meta count = items = rows; rows 0..<count each name an item whose record
    /// holds that row; every record decodes with the store's sizes; `addr` has
    /// exactly one entry per item, under the item's code.
    public func checkConsistency() throws -> [String] {
        try env.read { txn in
            var problems: [String] = []
            guard let meta = try readMeta(txn) else {
                let n = try txn.entries(itemsDB)
                return n == 0 ? [] : ["\(n) items but no meta"]
            }
            let items = try txn.entries(itemsDB), rows = try txn.entries(rowsDB), addr = try txn.entries(addrDB)
            if meta.count != items { problems.append("meta count \(meta.count) but \(items) items") }
            if rows != items { problems.append("\(rows) rows but \(items) items") }
            if meta.hasAddresses ? addr != items : addr != 0 { problems.append("\(addr) address entries for \(items) items") }
            var r = 0
            try txn.forEach(rowsDB) { key, id in
                let row = key.count == 4 ? Int(UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))) : -1
                let name = String(decoding: id, as: UTF8.self)
                if row != r { problems.append("row key \(row) where row \(r) was expected"); r = row }
                if let rec = try txn.get(itemsDB, id), let h = ItemRecord.header(rec) {
                    if Int(h.row) != row { problems.append("row \(row) names \(name), whose record says row \(h.row)") }
                    if h.dims != meta.codeDims || h.words != meta.wordsPerItem {
                        problems.append("\(name): \(h.dims) floats, \(h.words) words")
                    }
                    if meta.hasAddresses {
                        let a = Self.address(of: [ItemRecord.bitWord(rec, h, 0)], bitCount: meta.bits)
                        let found = try Self.addrKey(a).withUnsafeBytes { try txn.contains(addrDB, $0, value: id) }
                        if !found { problems.append("\(name) missing from addr") }
                    }
                } else {
                    problems.append("row \(row) names \(name), which has no (decodable) record")
                }
                r += 1
                return problems.count < 50
            }
            return problems
        }
    }

    // MARK: files

    /// Bytes on disk of the store's files.
    public func diskUsage() -> StoreDiskUsage { Self.diskUsage(of: path) }

    public static func diskUsage(of directory: String) -> StoreDiskUsage {
        var usage = StoreDiskUsage(allocatedBytes: 0, apparentBytes: 0)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            var st = stat()
            if stat((directory as NSString).appendingPathComponent(name), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                usage.allocatedBytes += Int(st.st_blocks) * 512
                usage.apparentBytes += Int(st.st_size)
            }
        }
        return usage
    }

    /// The current map size (grows on demand).
    public var mapSize: Int { env.mapSize }

    // MARK: fingerprints

    /// 16 hex digits of FNV-1a 64 over a file's bytes (how a store names its model).
    public static func fingerprint(ofFile path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { raw in
            for b in raw { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
