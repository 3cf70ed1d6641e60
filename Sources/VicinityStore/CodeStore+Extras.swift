import Foundation

/// The databases a store gets only when first needed:
/// - `attrs`: item id → JSON attributes (VSETATTR on the served store); removed with the item.
/// - `vsets`: set name, 0, element → record: a client's own vector sets (VADD to a new key).
///   Record: version byte 1, dims (UInt32 LE), dims × Float32 LE, then the attributes' UTF-8 bytes (none when empty).
/// - `index`: name → bytes: search structures derived from the rows (the KNN clustering), saved so
///   a server need not rebuild them; every write of items removes them (see `CodeStore+Index`).
final class ExtraDatabases: @unchecked Sendable {
    private let env: LMDBEnvironment
    private let lock = NSLock()
    private var opened: [String: LMDBDatabase] = [:]

    init(_ env: LMDBEnvironment) throws {
        self.env = env
        for name in ["attrs", "vsets", "index"] {
            do {
                opened[name] = try env.openDatabases([(name, [])], create: false)[0]
            } catch let error as LMDBError where error.isNotFound {}
        }
    }

    var attributes: LMDBDatabase? { lock.withLock { opened["attrs"] } }
    var vectorSets: LMDBDatabase? { lock.withLock { opened["vsets"] } }
    var indexes: LMDBDatabase? { lock.withLock { opened["index"] } }
    /// The ones this store has, in name order.
    var present: [LMDBDatabase] { lock.withLock { opened.keys.sorted().compactMap { opened[$0] } } }
    /// The ones keyed by id or name, not by row: what a copy that renumbers rows, or a union of
    /// stores, takes along (saved indexes describe rows, so they are made afresh instead).
    var rowFree: [LMDBDatabase] { present.filter { $0.name != "index" } }

    /// The database, created (in its own committed transaction) when missing.
    func make(_ name: String) throws -> LMDBDatabase {
        try lock.withLock {
            if let db = opened[name] { return db }
            let db = try env.openDatabases([(name, [])], create: true)[0]
            opened[name] = db
            return db
        }
    }
}

/// One element of a client's vector set, as stored.
public struct StoredSetElement: Sendable, Equatable {
    public var set: String
    public var element: String
    public var vector: [Float]
    public var attributes: String?
    public init(set: String, element: String, vector: [Float], attributes: String?) {
        self.set = set
        self.element = element
        self.vector = vector
        self.attributes = attributes
    }
}

extension CodeStore {
    // MARK: item attributes

    /// An item's JSON attributes; nil when it has none.
    public func attributes(of id: String) throws -> String? {
        guard let db = extras.attributes else { return nil }
        return try env.read { try $0.get(db, Array(id.utf8)) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sets (nil or empty: removes) an item's attributes, durably; false when there is no such item.
    @discardableResult
    public func setAttributes(of id: String, _ json: String?) throws -> Bool {
        let db = try extras.make("attrs")
        let key = Array(id.utf8)
        return try env.write { txn in
            guard try txn.get(itemsDB, key) != nil else { return false }
            if let json, !json.isEmpty { try txn.put(db, key, Array(json.utf8)) } else { _ = try txn.delete(db, key) }
            return true
        }
    }

    /// Sets many items' attributes in one transaction; ids not in the store are left out
    /// and returned, so the caller can name them.
    public func setAttributes(_ pairs: [(id: String, json: String)]) throws -> [String] {
        let db = try extras.make("attrs")
        return try env.write { txn in
            var unknown: [String] = []
            for (id, json) in pairs {
                let key = Array(id.utf8)
                guard try txn.get(itemsDB, key) != nil else { unknown.append(id); continue }
                try txn.put(db, key, Array(json.utf8))
            }
            return unknown
        }
    }

    /// Every item's attributes: id → JSON text.
    public func allAttributes() throws -> [String: String] {
        guard let db = extras.attributes else { return [:] }
        return try env.read { txn in
            var out: [String: String] = [:]
            try txn.forEach(db) { key, value in
                out[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                return true
            }
            return out
        }
    }

    /// How many items have attributes.
    public func attributeCount() throws -> Int {
        guard let db = extras.attributes else { return 0 }
        return try env.read { try $0.entries(db) }
    }

    // MARK: client vector sets

    /// Every element of every client vector set, in key order (set, then element).
    public func setElements() throws -> [StoredSetElement] {
        guard let db = extras.vectorSets else { return [] }
        return try env.read { txn in
            var out: [StoredSetElement] = []
            try txn.forEach(db) { key, value in
                guard let zero = key.firstIndex(of: 0), value.count >= 5, value[0] == 1 else {
                    throw StoreError.corrupt(path: path, detail: "vsets entry of \(key.count) bytes does not decode")
                }
                let dims = Int(value.loadUnaligned(fromByteOffset: 1, as: UInt32.self).littleEndian)
                guard value.count >= 5 + 4 * dims else {
                    throw StoreError.corrupt(path: path, detail: "vsets entry holds fewer than its \(dims) floats")
                }
                let vector = (0..<dims).map {
                    Float(bitPattern: value.loadUnaligned(fromByteOffset: 5 + 4 * $0, as: UInt32.self).littleEndian)
                }
                let rest = value[(5 + 4 * dims)...]
                out.append(
                    StoredSetElement(
                        set: String(decoding: key[..<zero], as: UTF8.self),
                        element: String(decoding: key[(zero + 1)...], as: UTF8.self),
                        vector: vector, attributes: rest.isEmpty ? nil : String(decoding: rest, as: UTF8.self)))
                return true
            }
            return out
        }
    }

    /// Stores (or replaces) an element durably.
    public func putSetElement(_ e: StoredSetElement) throws {
        let db = try extras.make("vsets")
        var value: [UInt8] = [1]
        withUnsafeBytes(of: UInt32(e.vector.count).littleEndian) { value += $0 }
        for v in e.vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { value += $0 } }
        value += Array((e.attributes ?? "").utf8)
        try env.write { try $0.put(db, Self.setKey(e.set, e.element), value) }
    }

    /// Removes an element durably; false when it was not there.
    @discardableResult
    public func deleteSetElement(set: String, element: String) throws -> Bool {
        guard let db = extras.vectorSets else { return false }
        return try env.write { try $0.delete(db, Self.setKey(set, element)) }
    }

    static func setKey(_ set: String, _ element: String) -> [UInt8] { Array(set.utf8) + [0] + Array(element.utf8) }
}
