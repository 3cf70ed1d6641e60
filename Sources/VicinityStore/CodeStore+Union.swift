import Foundation

/// One store made from several that hold disjoint items (the parts of a partitioned embed).
extension CodeStore {
    /// Writes every item of `stores` (which must not share an id, and must hold codes of one model,
    /// size and bit count) into a new store in `directory`, in canonical form with rows in id byte
    /// order: the file one store holding all those items gets from `rewriteCanonically`. `meta` is
    /// the free meta keys (the core ones come from the stores, the count from their items). Nothing
    /// is written when a check fails. Returns the items written.
    @discardableResult
    public static func writeCanonicalUnion(of stores: [CodeStore], meta: [String: String], to directory: String)
        throws -> Int
    {
        try requireNoStore(at: directory)
        guard let first = stores.first, let core = try first.meta() else {
            throw StoreError.notConfigured(path: stores.first?.path ?? directory)
        }
        for store in stores.dropFirst() {
            guard let m = try store.meta() else { throw StoreError.notConfigured(path: store.path) }
            if m.modelFingerprint != core.modelFingerprint || m.codeDims != core.codeDims || m.bits != core.bits {
                throw StoreError.configurationMismatch(
                    path: store.path,
                    detail:
                        "holds codes of model \(m.modelFingerprint) (\(m.codeDims)-D, \(m.bits) bits), \(first.path) of \(core.modelFingerprint) (\(core.codeDims)-D, \(core.bits) bits)"
                )
            }
        }
        let scratch = (directory as NSString).appendingPathComponent("merge.tmp")
        try? FileManager.default.removeItem(atPath: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let count = try reading(stores[...], []) { txns in
            let count = try txns.enumerated().reduce(0) { $0 + (try $1.element.entries(stores[$1.offset].itemsDB)) }
            var all = meta.filter { !coreKeys.contains($0.key) }
            all["schema_version"] = String(schemaVersion)
            all["model_fingerprint"] = core.modelFingerprint
            all["code_dims"] = String(core.codeDims)
            all["bits"] = String(core.bits)
            all["count"] = String(count)
            func union(_ name: String, _ db: (CodeStore) -> LMDBDatabase?, flags: LMDBDatabaseFlags = [])
                -> CanonicalDatabase
            {
                let sources = stores.indices.compactMap { i in db(stores[i]).map { (i, txns[i], $0) } }
                return CanonicalDatabase(name: name, flags: flags) { emit in
                    try merged(sources, duplicateSort: flags.contains(.duplicateSort), into: emit) { key, a, b in
                        StoreError.configurationMismatch(
                            path: stores[b].path,
                            detail:
                                "\(name == "items" ? "id" : "\(name) key") \(String(decoding: key, as: UTF8.self).debugDescription) is also in \(stores[a].path); the stores must not overlap"
                        )
                    }
                }
            }
            let (items, rows) = renumbered(union("items", { $0.itemsDB }).pairs, path: directory)
            let extraNames = Set(stores.flatMap { $0.extras.rowFree.map(\.name) }).sorted()
            let extras = extraNames.map { name in union(name, { $0.extras.rowFree.first { $0.name == name } }) }
            try writeCanonical(
                [metaDatabase(all), items, rows, union("addr", { $0.addrDB }, flags: .duplicateSort)] + extras,
                into: scratch, release: { for s in stores { s.releaseMappedPages() } })
            return count
        }
        try moveEnvironment(from: scratch, into: directory)
        return count
    }

    /// A `meta` database holding `pairs`.
    private static func metaDatabase(_ pairs: [String: String]) -> CanonicalDatabase {
        let sorted = pairs.map { (Array($0.key.utf8), Array($0.value.utf8)) }.sorted {
            $0.0.lexicographicallyPrecedes($1.0)
        }
        return CanonicalDatabase(name: "meta") { emit in
            for (k, v) in sorted { try k.withUnsafeBytes { k in try v.withUnsafeBytes { try emit(k, $0) } } }
        }
    }

    /// Runs `body` with a read transaction on every store at once.
    private static func reading<T>(
        _ stores: ArraySlice<CodeStore>, _ txns: [LMDBTransaction], _ body: ([LMDBTransaction]) throws -> T
    ) throws -> T {
        guard let store = stores.first else { return try body(txns) }
        return try store.env.read { try reading(stores.dropFirst(), txns + [$0], body) }
    }

    /// Feeds `emit` the pairs of one database in several transactions, merged in (key, value)
    /// order. The same key in two sources (the same pair, for DUPSORT) is `conflict`'s error.
    private static func merged(
        _ sources: [(store: Int, txn: LMDBTransaction, db: LMDBDatabase)], duplicateSort: Bool,
        into emit: CanonicalDatabase.Emit,
        conflict: (_ key: UnsafeRawBufferPointer, _ first: Int, _ second: Int) -> StoreError
    ) throws {
        let cursors = try sources.map { try LMDBCursor($0.txn, $0.db) }
        var heads = try cursors.map { try $0.next() }
        while true {
            // The smallest head; a tie with it is a conflict (ties among larger ones show when they come first).
            var best: Int? = nil
            for i in heads.indices {
                guard let head = heads[i] else { continue }
                guard let b = best, let smallest = heads[b] else {
                    best = i
                    continue
                }
                var order = compareBytes(head.key, smallest.key)
                if order == 0 && duplicateSort { order = compareBytes(head.value, smallest.value) }
                if order == 0 { throw conflict(head.key, sources[b].store, sources[i].store) }
                if order < 0 { best = i }
            }
            guard let b = best, let head = heads[b] else { return }
            try emit(head.key, head.value)
            heads[b] = try cursors[b].next()
        }
    }

    /// LMDB's default order: bytes compared as unsigned, a prefix first.
    static func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let x = a.baseAddress, let y = b.baseAddress {
            let c = memcmp(x, y, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}
