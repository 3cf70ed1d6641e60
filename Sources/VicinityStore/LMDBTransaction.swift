import CLMDB
import Foundation

/// A transaction, valid only inside the closure it was given to.
struct LMDBTransaction {
    let txn: OpaquePointer
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
    func put(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, append: Bool = false)
        throws
    {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try env.check(mdb_put(txn, db.dbi, &k, &v, append ? UInt32(MDB_APPEND) : 0), "mdb_put(\(db.name))")
    }

    /// Adds a pair to a DUPSORT database whose last pair sorts before it (MDB_APPEND for a new
    /// key, MDB_APPENDDUP for the last key's next value).
    func appendPair(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, sameKey: Bool)
        throws
    {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try env.check(
            mdb_put(txn, db.dbi, &k, &v, UInt32(sameKey ? MDB_APPENDDUP : MDB_APPEND)), "mdb_put(\(db.name), append)")
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
    func put(
        _ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, reserving count: Int,
        _ fill: (UnsafeMutableRawBufferPointer) -> Void
    ) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try env.check(mdb_put(txn, db.dbi, &k, &v, UInt32(MDB_RESERVE)), "mdb_put(\(db.name), reserve)")
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key` (with `value`: only that pair of a DUPSORT database). Returns whether anything was there.
    @discardableResult
    func delete(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer? = nil) throws -> Bool
    {
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
    func forEach(
        _ db: LMDBDatabase, from start: UnsafeRawBufferPointer? = nil,
        _ visit: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
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
            if try !visit(
                UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            {
                return
            }
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
    func forEachDuplicate(
        _ db: LMDBDatabase, _ key: UnsafeRawBufferPointer,
        _ visit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
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
