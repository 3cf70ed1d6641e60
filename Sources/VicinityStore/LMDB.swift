import CLMDB
import Foundation

// A thin wrapper over LMDB's C API. C types stay in this module: callers see
// `LMDBError`, byte buffers and closures; handles are only ever used inside
// the closure that owns their transaction.

/// An LMDB call that failed: what was attempted, on which environment, and LMDB's code and message.
public struct LMDBError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let operation: String
    public let path: String

    public init(code: Int32, operation: String, path: String) {
        self.code = code
        self.operation = operation
        self.path = path
    }

    /// LMDB's own text for the code (`mdb_strerror`; system errors read as strerror).
    public var message: String { String(cString: mdb_strerror(code)) }
    public var description: String { "\(path): LMDB \(operation) failed: \(message) (code \(code))" }

    public var isMapFull: Bool { code == MDB_MAP_FULL }
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    public var isNotFound: Bool { code == MDB_NOTFOUND }
}

/// Flags for a named database.
struct LMDBDatabaseFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let duplicateSort = LMDBDatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
}

/// A named database handle; valid for the life of its environment.
struct LMDBDatabase: Sendable {
    fileprivate let dbi: MDB_dbi
    let name: String
}

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
    private let env: OpaquePointer
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

    /// Runs `body` in a write transaction and commits it; if anything throws,
    /// nothing is written. On MDB_MAP_FULL the map grows and `body` runs again,
    /// so `body` must not have effects outside the transaction.
    func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        precondition(!readOnly, "write transaction on a read-only environment")
        writeLock.lock()
        defer { writeLock.unlock() }
        if isRetired { throw LMDBError(code: EBADF, operation: "write after the store's files were replaced; open it again", path: path) }
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
            let committed = mdb_txn_commit(handle) // frees the handle whatever happens
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
            throw LMDBError(code: EBADF, operation: "read after the store's files were replaced; open it again", path: path)
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

/// A transaction, valid only inside the closure it was given to.
struct LMDBTransaction {
    fileprivate let txn: OpaquePointer
    let env: LMDBEnvironment

    /// The value stored under `key`, as bytes valid until the transaction ends; nil when absent.
    func get(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(txn, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try env.check(rc, "mdb_get(\(db.name))")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    func get(_ db: LMDBDatabase, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { try get(db, $0).map { Array($0) } }
    }

    /// Stores `value` under `key` (for DUPSORT databases: adds the pair). `append`:
    /// the key sorts after every key there (MDB_APPEND: pages fill completely).
    func put(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, append: Bool = false) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try env.check(mdb_put(txn, db.dbi, &k, &v, append ? UInt32(MDB_APPEND) : 0), "mdb_put(\(db.name))")
    }

    /// Adds a pair to a DUPSORT database whose last pair sorts before it (MDB_APPEND for a new
    /// key, MDB_APPENDDUP for the last key's next value).
    func appendPair(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, sameKey: Bool) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try env.check(mdb_put(txn, db.dbi, &k, &v, UInt32(sameKey ? MDB_APPENDDUP : MDB_APPEND)), "mdb_put(\(db.name), append)")
    }

    /// Opens a named database inside this write transaction, creating it.
    func createDatabase(_ name: String, flags: LMDBDatabaseFlags) throws -> LMDBDatabase {
        var dbi: MDB_dbi = 0
        try env.check(mdb_dbi_open(txn, name, flags.rawValue | UInt32(MDB_CREATE), &dbi), "mdb_dbi_open(\(name))")
        return LMDBDatabase(dbi: dbi, name: name)
    }

    func put(_ db: LMDBDatabase, _ key: [UInt8], _ value: [UInt8], append: Bool = false) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(db, k, v, append: append) } }
    }

    /// Stores a value of `count` bytes under `key`, written in place by `fill` (MDB_RESERVE: no copy).
    func put(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, reserving count: Int,
             _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try env.check(mdb_put(txn, db.dbi, &k, &v, UInt32(MDB_RESERVE)), "mdb_put(\(db.name), reserve)")
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key` (with `value`: only that pair of a DUPSORT database). Returns whether anything was there.
    @discardableResult
    func delete(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer? = nil) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc: Int32
        if let value {
            var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            rc = mdb_del(txn, db.dbi, &k, &v)
        } else {
            rc = mdb_del(txn, db.dbi, &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try env.check(rc, "mdb_del(\(db.name))")
        return true
    }

    @discardableResult
    func delete(_ db: LMDBDatabase, _ key: [UInt8], value: [UInt8]? = nil) throws -> Bool {
        try key.withUnsafeBytes { k in
            if let value { return try value.withUnsafeBytes { try delete(db, k, value: $0) } }
            return try delete(db, k)
        }
    }

    /// Number of entries (key/value pairs, duplicates counted) in a database.
    func entries(_ db: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try env.check(mdb_stat(txn, db.dbi, &stat), "mdb_stat(\(db.name))")
        return stat.ms_entries
    }

    /// Pages used by a database (branch + leaf + overflow).
    func pages(_ db: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try env.check(mdb_stat(txn, db.dbi, &stat), "mdb_stat(\(db.name))")
        return stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
    }

    /// Removes every entry of a database (keeps the database).
    func clear(_ db: LMDBDatabase) throws {
        try env.check(mdb_drop(txn, db.dbi, 0), "mdb_drop(\(db.name))")
    }

    /// Visits entries in key order (for DUPSORT databases every pair), starting at
    /// the first key ≥ `from` when given; `visit` returns false to stop.
    func forEach(_ db: LMDBDatabase, from start: UnsafeRawBufferPointer? = nil,
                 _ visit: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try env.check(mdb_cursor_open(txn, db.dbi, &cursor), "mdb_cursor_open(\(db.name))")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val(), v = MDB_val()
        var op = MDB_FIRST
        if let start {
            k = MDB_val(mv_size: start.count, mv_data: UnsafeMutableRawPointer(mutating: start.baseAddress))
            op = MDB_SET_RANGE
        }
        while true {
            let rc = mdb_cursor_get(cursor, &k, &v, op)
            if rc == MDB_NOTFOUND { return }
            try env.check(rc, "mdb_cursor_get(\(db.name))")
            if try !visit(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                          UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) { return }
            op = MDB_NEXT
        }
    }

    /// Whether a DUPSORT database holds exactly this key/value pair (MDB_GET_BOTH).
    func contains(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> Bool {
        var cursor: OpaquePointer?
        try env.check(mdb_cursor_open(txn, db.dbi, &cursor), "mdb_cursor_open(\(db.name))")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_cursor_get(cursor, &k, &v, MDB_GET_BOTH)
        if rc == MDB_NOTFOUND { return false }
        try env.check(rc, "mdb_cursor_get(\(db.name), both)")
        return true
    }

    /// Visits every value stored under `key` in a DUPSORT database.
    func forEachDuplicate(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer,
                          _ visit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var cursor: OpaquePointer?
        try env.check(mdb_cursor_open(txn, db.dbi, &cursor), "mdb_cursor_open(\(db.name))")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY)
        while rc == 0 {
            try visit(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP)
        }
        if rc != MDB_NOTFOUND { try env.check(rc, "mdb_cursor_get(\(db.name), dup)") }
    }
}
