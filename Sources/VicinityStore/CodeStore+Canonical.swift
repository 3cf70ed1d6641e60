import Foundation

/// One database of a canonical file: its pairs in key order (a DUPSORT database's values in
/// order too), fed to `emit` by `pairs`, which may run more than once (sizing, then writing).
struct CanonicalDatabase {
    typealias Emit = (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    var name: String
    var flags = LMDBDatabaseFlags()
    var pairs: (_ emit: Emit) throws -> Void
}

extension CodeStore {
    /// Rewrites the store's files so that they depend on its contents only: every database is
    /// copied in key order into a fresh environment (pages filled in order, commits cut at fixed
    /// counts of pairs, a map size that follows from the contents), which then replaces data.mdb
    /// and lock.mdb. Rows are renumbered in id byte order on the way (`addr` and the extra databases
    /// are keyed by id, so they copy as they are). So the same items give the same bytes whatever
    /// batches, threads, transactions or input order wrote them. Needs the store to itself: returns
    /// false, changing nothing, when another handle (in this process or another) has it open.
    /// Afterwards this handle is retired: open the store again to use it.
    @discardableResult
    public func rewriteCanonically() throws -> Bool {
        precondition(access == .readWrite, "rewriteCanonically on a read-only store")
        guard directoryLock.tryExclusive() else { return false }
        let fm = FileManager.default
        let scratch = (path as NSString).appendingPathComponent("canonical.tmp")
        try? fm.removeItem(atPath: scratch)
        defer { try? fm.removeItem(atPath: scratch) }

        try writeCanonicalCopy(to: scratch, renumberRows: true)
        try Self.moveEnvironment(from: scratch, into: path)
        directoryLock.sync()
        env.retire()
        directoryLock.unlock()
        return true
    }

    /// Writes the canonical form of the store into `directory` (created when missing; it must
    /// not hold a store): one read transaction, so a consistent point in time while writers go on.
    /// Rows stay as they are unless `renumberRows` (a snapshot must answer as the live store does,
    /// and a server orders ties by row). Returns the items the copy holds.
    @discardableResult
    public func writeCanonicalCopy(
        to directory: String, renumberRows: Bool = false, pairsPerCommit: Int = canonicalPairsPerCommit
    ) throws -> Int {
        try Self.requireNoStore(at: directory)
        return try env.read { source in
            try Self.writeCanonical(
                canonicalDatabases(source, renumberRows: renumberRows), into: directory,
                pairsPerCommit: pairsPerCommit, release: releaseMappedPages)
            return try source.entries(itemsDB)
        }
    }

    /// This store's databases as they are read in `source`.
    private func canonicalDatabases(_ source: LMDBTransaction, renumberRows: Bool) -> [CanonicalDatabase] {
        func stored(_ db: LMDBDatabase, _ flags: LMDBDatabaseFlags = []) -> CanonicalDatabase {
            CanonicalDatabase(name: db.name, flags: flags) { emit in
                try source.forEach(db) { k, v in
                    try emit(k, v)
                    return true
                }
            }
        }
        let (items, rows) =
            renumberRows
            ? Self.renumbered(stored(itemsDB).pairs, path: path) : (stored(itemsDB), stored(rowsDB))
        let others = renumberRows ? extras.rowFree : extras.present
        return [stored(metaDB), items, rows, stored(addrDB, .duplicateSort)] + others.map { stored($0) }
    }

    /// `items` in key order with each record's row set to its position, and `rows` to match.
    static func renumbered(_ items: @escaping (CanonicalDatabase.Emit) throws -> Void, path: String) -> (
        items: CanonicalDatabase, rows: CanonicalDatabase
    ) {
        let renumbered = CanonicalDatabase(name: "items") { emit in
            var row: UInt32 = 0
            var record: [UInt8] = []
            try items { key, value in
                guard value.count >= ItemRecord.headerSize else {
                    throw StoreError.corrupt(path: path, detail: "an item record of \(value.count) bytes")
                }
                record.removeAll(keepingCapacity: true)
                record.append(contentsOf: value)
                record.withUnsafeMutableBytes {
                    $0.storeBytes(of: row.littleEndian, toByteOffset: ItemRecord.rowOffset, as: UInt32.self)
                }
                try record.withUnsafeBytes { try emit(key, $0) }
                row += 1
            }
        }
        let rows = CanonicalDatabase(name: "rows") { emit in
            var row: UInt32 = 0
            try items { key, _ in
                try withUnsafeBytes(of: row.bigEndian) { try emit($0, key) }
                row += 1
            }
        }
        return (renumbered, rows)
    }

    /// Refuses a folder that holds a store already.
    static func requireNoStore(at directory: String) throws {
        if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("data.mdb")) {
            throw StoreError.notAStore(
                path: directory, reason: "it already holds a store (data.mdb); choose an empty folder")
        }
    }

    /// Moves a closed environment's files from `scratch` into `directory` (lock.mdb too, since an
    /// old one records the old file's transaction ids).
    static func moveEnvironment(from scratch: String, into directory: String) throws {
        for file in ["data.mdb", "lock.mdb"] {
            let target = (directory as NSString).appendingPathComponent(file)
            guard rename((scratch as NSString).appendingPathComponent(file), target) == 0 else {
                throw StoreError.corrupt(
                    path: directory,
                    detail: "could not move the canonical \(file) into place: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Pairs per transaction of a canonical write: about 20 MiB of dirty pages for item records.
    public static let canonicalPairsPerCommit = 1 << 17

    /// Writes `databases` into a fresh environment in `directory` (created when missing), each
    /// appended in key order, in transactions of `pairsPerCommit` pairs (bounded memory; the cuts
    /// follow from the contents, so the file still does). `release` lets go of the sources' mapped
    /// pages.
    static func writeCanonical(
        _ databases: [CanonicalDatabase], into directory: String, pairsPerCommit: Int = canonicalPairsPerCommit,
        release: () -> Void
    ) throws {
        var bytes = 0, seen = 0
        for db in databases {
            try db.pairs { k, v in
                bytes += k.count + v.count + 16
                seen += 1
                if seen % 65536 == 0 { release() }
            }
        }
        // Twice the contents leaves room for the tree; a power of two ≥ 1 GiB keeps the size
        // (which LMDB records in the file) a function of the contents.
        var mapSize = CodeStore.defaultMapSize
        while mapSize < 2 * bytes + (64 << 20) { mapSize *= 2 }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = try LMDBEnvironment(path: directory, readOnly: false, maxDatabases: 8, mapSize: mapSize)
        let out = try LMDBBulkWriter(target, pairsPerCommit: pairsPerCommit)
        var copied = 0
        for db in databases {
            let copy = try out.createDatabase(db.name, flags: db.flags)
            var last: [UInt8]? = nil
            try db.pairs { k, v in
                copied += 1
                if copied % 65536 == 0 { release() }
                if db.flags.contains(.duplicateSort) {
                    let same = last.map { $0.elementsEqual(k) } ?? false
                    try out.appendPair(copy, k, v, sameKey: same)
                    if !same { last = Array(k) }
                } else {
                    try out.append(copy, k, v)
                }
            }
        }
        try out.finish()
    }
}
