import CLMDB
import Foundation

/// Fills a fresh environment that nothing else uses in a run of write transactions of
/// `pairsPerCommit` pairs each. LMDB holds a transaction's dirty pages in memory until it
/// commits, so one transaction for a whole store would hold the whole file (2.3 GiB at ten million
/// items); this bounds it. The cuts depend only on the sequence of pairs, so the same pairs give
/// the same file. Commits are not synced (the target is a scratch folder that is thrown away if
/// anything fails); `finish` syncs once. Dropping the writer without `finish` aborts the open
/// transaction, and what was committed stays in the scratch folder for its owner to remove.
final class LMDBBulkWriter {
    private let target: LMDBEnvironment
    private let pairsPerCommit: Int
    private var txn: OpaquePointer?
    private var pending = 0

    init(_ target: LMDBEnvironment, pairsPerCommit: Int) throws {
        precondition(pairsPerCommit > 0)
        self.target = target
        self.pairsPerCommit = pairsPerCommit
        try target.check(mdb_env_set_flags(target.env, UInt32(MDB_NOSYNC), 1), "mdb_env_set_flags(NOSYNC)")
        try begin()
    }

    deinit { if let txn { mdb_txn_abort(txn) } }

    private var current: LMDBTransaction {
        get throws {
            guard let txn else {
                throw LMDBError(code: EINVAL, operation: "bulk write after finish", path: target.path)
            }
            return LMDBTransaction(txn: txn, env: target)
        }
    }

    private func begin() throws {
        var handle: OpaquePointer?
        try target.check(mdb_txn_begin(target.env, nil, 0, &handle), "mdb_txn_begin(bulk write)")
        txn = handle
    }

    private func commit() throws {
        guard let handle = txn else { return }
        txn = nil
        try target.check(mdb_txn_commit(handle), "mdb_txn_commit(bulk write)")  // frees the handle either way
    }

    /// After each pair: commits and begins the next transaction every `pairsPerCommit` pairs.
    private func counted() throws {
        pending += 1
        if pending == pairsPerCommit {
            pending = 0
            try commit()
            try begin()
        }
    }

    func createDatabase(_ name: String, flags: LMDBDatabaseFlags) throws -> LMDBDatabase {
        try current.createDatabase(name, flags: flags)
    }

    /// Appends a pair whose key sorts after every key of `db` (MDB_APPEND).
    func append(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try current.put(db, key, value, append: true)
        try counted()
    }

    /// Appends to a DUPSORT database (see `LMDBTransaction.appendPair`).
    func appendPair(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, sameKey: Bool)
        throws
    {
        try current.appendPair(db, key, value, sameKey: sameKey)
        try counted()
    }

    /// Commits the last transaction and writes the file to disk.
    func finish() throws {
        try commit()
        try target.check(mdb_env_sync(target.env, 1), "mdb_env_sync")
    }
}
