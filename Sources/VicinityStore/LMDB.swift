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
    let dbi: MDB_dbi
    let name: String
}
