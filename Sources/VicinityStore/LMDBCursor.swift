import CLMDB

/// A cursor stepping through one database of a read transaction by hand, for passes that walk
/// several stores side by side (a merge). What it returns stays valid while the transaction lives.
final class LMDBCursor {
    private var cursor: OpaquePointer?
    private let env: LMDBEnvironment
    private let name: String
    private var started = false

    init(_ txn: LMDBTransaction, _ db: LMDBDatabase) throws {
        env = txn.env
        name = db.name
        try env.check(mdb_cursor_open(txn.txn, db.dbi, &cursor), "mdb_cursor_open(\(db.name))")
    }

    // A read transaction's cursor may be closed after the transaction ends.
    deinit { mdb_cursor_close(cursor) }

    /// The next pair in key order (every pair of a DUPSORT database); nil after the last.
    func next() throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var k = MDB_val(), v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, started ? MDB_NEXT : MDB_FIRST)
        started = true
        if rc == MDB_NOTFOUND { return nil }
        try env.check(rc, "mdb_cursor_get(\(name))")
        return (
            UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
            UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        )
    }
}
