import CLMDB
import Foundation

/// One LMDB environment (a directory holding data.mdb and lock.mdb).
///
/// Opened with MDB_NOTLS, so read transactions are not tied to a thread and
/// one thread may hold several. Write transactions are serialised by a lock
/// here (LMDB also serialises them across processes). When a write fails with
/// MDB_MAP_FULL the transaction is aborted, the map is grown (doubled) and the
/// whole write closure runs again; growth waits until no read transaction of
/// this process is open, because remapping moves the memory readers point at.
/// So never start a write inside a read closure of the same environment.
final class LMDBEnvironment: @unchecked Sendable {
    let path: String
    let readOnly: Bool
    /// The raw handle, for `LMDBBulkWriter` only.
    let env: OpaquePointer
    private let writeLock = NSLock()
    /// Guards `activeReaders` and `remapping`.
    private let gate = NSCondition()
    private var activeReaders = 0
    private var remapping = false
    /// Set by `retire()`: the files were replaced, so nothing may be read or written through this handle.
    private var retired = false
    /// How many times the map has been grown by this process (for tests and reports).
    private(set) var growths = 0

    /// Opens (creating the directory when writable) an environment at `path`.
    /// `mapSize` is the initial map size; a larger size recorded in the file wins.
    init(path: String, readOnly: Bool, maxDatabases: Int, mapSize: Int) throws {
        self.path = path
        self.readOnly = readOnly
        var handle: OpaquePointer?
        try Self.check(mdb_env_create(&handle), "mdb_env_create", path)
        guard let handle else { throw LMDBError(code: EINVAL, operation: "mdb_env_create", path: path) }
        env = handle
        do {
            try Self.check(mdb_env_set_maxdbs(env, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs", path)
            try Self.check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize", path)
            var flags = UInt32(MDB_NOTLS)
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try Self.check(mdb_env_open(env, path, flags, 0o644), "mdb_env_open", path)
            // Reader slots left by processes that died (e.g. killed) would pin old pages forever.
            var dead: Int32 = 0
            try Self.check(mdb_reader_check(env, &dead), "mdb_reader_check", path)
        } catch {
            mdb_env_close(env)
            throw error
        }
    }

    deinit { mdb_env_close(env) }

    static func check(_ rc: Int32, _ operation: String, _ path: String) throws {
        if rc != 0 { throw LMDBError(code: rc, operation: operation, path: path) }
    }

    func check(_ rc: Int32, _ operation: String) throws {
        try Self.check(rc, operation, path)
    }

    /// The current map size in bytes.
    var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// Drops this process's view of the file's pages (they stay in the page cache, and a later
    /// read maps them again), so a long pass over a big store does not count it all as resident.
    /// LMDB reports its map's address only for fixed maps, so the mappings of data.mdb are
    /// found in /proc/self/maps. Inside the read gate: the map cannot move while it is advised.
    func releaseMappedPages() {
        guard (try? enterRead()) != nil else { return }
        defer { leaveRead() }
        let file = URL(fileURLWithPath: path).appendingPathComponent("data.mdb").resolvingSymlinksInPath().path
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return }
        for line in maps.split(separator: "\n") where line.hasSuffix(" " + file) {
            let range = line.prefix { $0 != " " }.split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard range.count == 2, let start = UnsafeMutableRawPointer(bitPattern: range[0]) else { continue }
            madvise(start, Int(range[1] - range[0]), MADV_DONTNEED)
        }
    }

    /// Page size, entries and pages used by a database, from `mdb_stat` in a read transaction.
    func entries(_ db: LMDBDatabase) throws -> Int {
        try read { try $0.entries(db) }
    }

    /// Opens (and with `create`, creates) named databases, all in one transaction
    /// (so a crash leaves all or none of them); done once, at open time.
    func openDatabases(_ specs: [(name: String, flags: LMDBDatabaseFlags)], create: Bool) throws -> [LMDBDatabase] {
        let body: (LMDBTransaction) throws -> [LMDBDatabase] = { txn in
            try specs.map { spec in
                var dbi: MDB_dbi = 0
                var f = spec.flags.rawValue
                if create { f |= UInt32(MDB_CREATE) }
                try self.check(mdb_dbi_open(txn.txn, spec.name, f, &dbi), "mdb_dbi_open(\(spec.name))")
                return LMDBDatabase(dbi: dbi, name: spec.name)
            }
        }
        // Handles opened in a transaction that aborts are closed again, so even the read one commits.
        return create ? try write(body) : try read(commit: true, body)
    }

    // MARK: transactions

    /// Runs `body` in a read-only transaction: one consistent snapshot.
    func read<T>(commit: Bool = false, _ body: (LMDBTransaction) throws -> T) throws -> T {
        while true {
            try enterRead()
            var handle: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &handle)
            if rc == MDB_MAP_RESIZED {
                leaveRead()
                try adoptGrownMap()
                continue
            }
            guard rc == 0, let handle else {
                leaveRead()
                throw LMDBError(code: rc, operation: "mdb_txn_begin(read)", path: path)
            }
            defer { leaveRead() }
            let result: T
            do {
                result = try body(LMDBTransaction(txn: handle, env: self))
            } catch {
                mdb_txn_abort(handle)
                throw error
            }
            if commit {
                try check(mdb_txn_commit(handle), "mdb_txn_commit(read)")
            } else {
                mdb_txn_abort(handle)
            }
            return result
        }
    }

    /// Inside `first`'s `read`: a second read transaction of the same commit, so two threads can
    /// each read a part of one snapshot (a transaction is used by one thread at a time). Nil when
    /// a commit came between or the map moved; the caller then reads all of it in `first`.
    func readAlongside<T>(_ first: LMDBTransaction, _ body: (LMDBTransaction) throws -> T) throws -> T? {
        var handle: OpaquePointer?
        guard mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &handle) == 0, let handle else { return nil }
        defer { mdb_txn_abort(handle) }
        guard mdb_txn_id(handle) == mdb_txn_id(first.txn) else { return nil }
        return try body(LMDBTransaction(txn: handle, env: self))
    }

    /// Runs `body` in a write transaction and commits it; if anything throws,
    /// nothing is written. On MDB_MAP_FULL the map grows and `body` runs again,
    /// so `body` must not have effects outside the transaction.
    func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        precondition(!readOnly, "write transaction on a read-only environment")
        writeLock.lock()
        defer { writeLock.unlock() }
        if isRetired {
            throw LMDBError(
                code: EBADF, operation: "write after the store's files were replaced; open it again", path: path)
        }
        while true {
            var handle: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, 0, &handle)
            if rc == MDB_MAP_RESIZED {
                try adoptGrownMap()
                continue
            }
            guard rc == 0, let handle else { throw LMDBError(code: rc, operation: "mdb_txn_begin(write)", path: path) }
            let result: T
            do {
                result = try body(LMDBTransaction(txn: handle, env: self))
            } catch let error as LMDBError where error.isMapFull {
                mdb_txn_abort(handle)
                try grow()
                continue
            } catch {
                mdb_txn_abort(handle)
                throw error
            }
            let committed = mdb_txn_commit(handle)  // frees the handle whatever happens
            if committed == MDB_MAP_FULL {
                try grow()
                continue
            }
            try check(committed, "mdb_txn_commit")
            return result
        }
    }

    private func enterRead() throws {
        gate.lock()
        while remapping { gate.wait() }
        if retired {
            gate.unlock()
            throw LMDBError(
                code: EBADF, operation: "read after the store's files were replaced; open it again", path: path)
        }
        activeReaders += 1
        gate.unlock()
    }

    private func leaveRead() {
        gate.lock()
        activeReaders -= 1
        if activeReaders == 0 { gate.broadcast() }
        gate.unlock()
    }

    /// Runs `body` while no read transaction of this process is open.
    private func exclusively(_ body: () throws -> Void) throws {
        gate.lock()
        while remapping || activeReaders > 0 { gate.wait() }
        remapping = true
        gate.unlock()
        defer {
            gate.lock()
            remapping = false
            gate.broadcast()
            gate.unlock()
        }
        try body()
    }

    /// Doubles the map (called with the write lock held and no write transaction open).
    private func grow() throws {
        try exclusively {
            let size = mapSize
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let next = ((size * 2 + page - 1) / page) * page
            try check(mdb_env_set_mapsize(env, next), "mdb_env_set_mapsize(\(next))")
            growths += 1
        }
    }

    /// Another process grew the map: adopt its size.
    private func adoptGrownMap() throws {
        try exclusively {
            try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize(0)")
        }
    }

    /// Marks the handle unusable (its files were replaced on disk): later reads and writes throw.
    func retire() {
        writeLock.lock()
        gate.lock()
        retired = true
        gate.unlock()
        writeLock.unlock()
    }

    private var isRetired: Bool { gate.withLock { retired } }
}
