import Foundation

extension CodeStore {
    /// Rewrites the store's files so that they depend on its contents only: every database is
    /// copied in key order into a fresh environment in one transaction (pages filled in order, no
    /// free pages, a map size that follows from the contents), which then replaces data.mdb and
    /// lock.mdb. So the same items give the same bytes whatever batches, threads or transactions
    /// wrote them. Needs the store to itself: returns false, changing nothing, when another handle
    /// (in this process or another) has it open. Afterwards this handle is retired: open the store
    /// again to use it.
    @discardableResult
    public func rewriteCanonically() throws -> Bool {
        precondition(access == .readWrite, "rewriteCanonically on a read-only store")
        guard directoryLock.tryExclusive() else { return false }
        let fm = FileManager.default
        let scratch = (path as NSString).appendingPathComponent("canonical.tmp")
        try? fm.removeItem(atPath: scratch)
        defer { try? fm.removeItem(atPath: scratch) }

        try writeCanonicalCopy(to: scratch)
        // The copy's environment is closed: move its files in (lock.mdb too, since the old one
        // records the old file's transaction ids), then make the renames durable.
        for file in ["data.mdb", "lock.mdb"] {
            let target = (path as NSString).appendingPathComponent(file)
            guard rename((scratch as NSString).appendingPathComponent(file), target) == 0 else {
                throw StoreError.corrupt(
                    path: path,
                    detail: "could not move the canonical \(file) into place: \(String(cString: strerror(errno)))")
            }
        }
        directoryLock.sync()
        env.retire()
        directoryLock.unlock()
        return true
    }

    /// Writes the canonical form of the store into `directory` (created when missing; it must
    /// not hold a store): one read transaction, so a consistent point in time while writers go on.
    /// Returns the items the copy holds.
    @discardableResult
    public func writeCanonicalCopy(to directory: String) throws -> Int {
        let fm = FileManager.default
        if fm.fileExists(atPath: (directory as NSString).appendingPathComponent("data.mdb")) {
            throw StoreError.notAStore(
                path: directory, reason: "it already holds a store (data.mdb); choose an empty folder")
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let none = LMDBDatabaseFlags()
        let databases =
            [(metaDB, none), (itemsDB, none), (rowsDB, none), (addrDB, LMDBDatabaseFlags.duplicateSort)]
            + extras.present.map { ($0, none) }
        return try env.read { source in
            var bytes = 0, seen = 0
            for (db, _) in databases {
                try source.forEach(db) { k, v in
                    bytes += k.count + v.count + 16
                    seen += 1
                    if seen % 65536 == 0 { env.releaseMappedPages() }
                    return true
                }
            }
            // Twice the contents leaves room for the tree; a power of two ≥ 1 GiB keeps the size
            // (which LMDB records in the file) a function of the contents.
            var mapSize = CodeStore.defaultMapSize
            while mapSize < 2 * bytes + (64 << 20) { mapSize *= 2 }
            try copy(databases, from: source, into: directory, mapSize: mapSize)
            return try source.entries(itemsDB)
        }
    }

    private func copy(
        _ databases: [(LMDBDatabase, LMDBDatabaseFlags)], from source: LMDBTransaction, into directory: String,
        mapSize: Int
    ) throws {
        let target = try LMDBEnvironment(path: directory, readOnly: false, maxDatabases: 8, mapSize: mapSize)
        try target.write { out in
            for (db, flags) in databases {
                let copy = try out.createDatabase(db.name, flags: flags)
                var last: [UInt8]? = nil
                var copied = 0
                try source.forEach(db) { k, v in
                    copied += 1
                    if copied % 65536 == 0 { env.releaseMappedPages() }
                    if flags.contains(.duplicateSort) {
                        let same = last.map { $0.elementsEqual(k) } ?? false
                        try out.appendPair(copy, k, v, sameKey: same)
                        if !same { last = Array(k) }
                    } else {
                        try out.put(copy, k, v, append: true)
                    }
                    return true
                }
            }
        }
    }
}
