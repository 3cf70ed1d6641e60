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
    public init(
        path: String, access: Access = .readWrite, create: Bool = false, mapSize: Int = CodeStore.defaultMapSize
    ) throws {
        self.path = path
        self.access = access
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists && !isDir.boolValue {
            throw StoreError.notAStore(path: path, reason: "it is a file, not a directory")
        }
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        if !fm.fileExists(atPath: dataFile) {
            guard create && access == .readWrite else {
                throw StoreError.notAStore(
                    path: path, reason: exists ? "no data.mdb in the directory" : "no such directory")
            }
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        // A shared lock on the directory for the life of this handle: `rewriteCanonically` takes
        // it exclusively, so it neither replaces files under another user nor is opened mid-way.
        directoryLock = try DirectoryLock(path)
        env = try LMDBEnvironment(path: path, readOnly: access == .readOnly, maxDatabases: 8, mapSize: mapSize)
        let writable = access == .readWrite
        do {
            let dbs = try env.openDatabases(
                [("meta", []), ("items", []), ("rows", []), ("addr", .duplicateSort)], create: writable)
            (metaDB, itemsDB, rowsDB, addrDB) = (dbs[0], dbs[1], dbs[2], dbs[3])
            extras = try ExtraDatabases(env)
        } catch let error as LMDBError where error.isNotFound {
            throw StoreError.notAStore(
                path: path,
                reason:
                    "its databases are missing (\(error.operation)); a writer that created it may have stopped before its first commit"
            )
        }
        let version = try env.read { try self.metaValue("schema_version", $0) }
        if let version, Int(version) != Self.schemaVersion {
            throw StoreError.unsupportedSchema(path: path, found: Int(version) ?? -1)
        }
    }

    // MARK: ids

    /// Throws `StoreError.invalidID` unless `id` is 1–255 UTF-8 bytes with no whitespace or control characters.
    /// See `LMDBEnvironment.releaseMappedPages`: for long passes over big stores.
    public func releaseMappedPages() { env.releaseMappedPages() }

    public static func validateID(_ id: String) throws {
        let n = id.utf8.count
        if n == 0 { throw StoreError.invalidID(id, reason: "empty") }
        if n > maxIDBytes { throw StoreError.invalidID(id, reason: "\(n) bytes long") }
        if id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return }
        for s in id.unicodeScalars {
            if s.properties.isWhitespace || s.properties.generalCategory == .control
                || s.properties.generalCategory == .format || s.properties.generalCategory == .lineSeparator
                || s.properties.generalCategory == .paragraphSeparator
            {
                throw StoreError.invalidID(id, reason: "contains U+\(String(s.value, radix: 16, uppercase: true))")
            }
        }
    }
}
