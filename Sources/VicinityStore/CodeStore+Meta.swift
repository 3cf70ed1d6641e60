import Foundation
import VicinityMath

/// The `meta` database: schema version, model fingerprint, sizes, count and free keys.
extension CodeStore {
    // MARK: meta

    func metaValue(_ key: String, _ txn: LMDBTransaction) throws -> String? {
        try txn.get(metaDB, Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    func setMetaValue(_ key: String, _ value: String, _ txn: LMDBTransaction) throws {
        try txn.put(metaDB, Array(key.utf8), Array(value.utf8))
    }

    /// `created` (a time stamp) was written by stores before 2026-12; no longer, so that a store's
    /// bytes depend on its contents only.
    static let coreKeys: Set<String> = ["schema_version", "model_fingerprint", "code_dims", "bits", "count", "created"]

    func readMeta(_ txn: LMDBTransaction) throws -> StoreMeta? {
        var all: [String: String] = [:]
        try txn.forEach(metaDB) { k, v in
            all[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            return true
        }
        guard let fp = all["model_fingerprint"] else { return nil }
        func int(_ key: String) throws -> Int {
            guard let text = all[key], let v = Int(text) else {
                throw StoreError.corrupt(
                    path: path, detail: "meta \(key) is \(all[key].map { "'\($0)'" } ?? "missing")")
            }
            return v
        }
        return StoreMeta(
            schemaVersion: try int("schema_version"), modelFingerprint: fp, codeDims: try int("code_dims"),
            bits: try int("bits"), count: try int("count"),
            extra: all.filter { !Self.coreKeys.contains($0.key) })
    }

    /// The store's metadata; nil until `configure` has run.
    public func meta() throws -> StoreMeta? {
        try env.read { try readMeta($0) }
    }

    /// Sets the model fingerprint, code size and bit count (and free `extra` keys).
    /// On a store that already holds items these must match what is there,
    /// else `configurationMismatch` (clear it first to start over).
    public func configure(modelFingerprint: String, codeDims: Int, bits: Int, extra: [String: String] = [:]) throws {
        guard codeDims >= 1 && codeDims <= Int(UInt16.max) else {
            throw StoreError.configurationMismatch(path: path, detail: "code size \(codeDims) outside 1…65535")
        }
        guard bits >= 0 && (bits + 63) / 64 <= Int(UInt16.max) else {
            throw StoreError.configurationMismatch(path: path, detail: "bit count \(bits) out of range")
        }
        try env.write { txn in
            let count = try txn.entries(itemsDB)
            let old = try readMeta(txn)
            if let old, count > 0 {
                if old.modelFingerprint != modelFingerprint || old.codeDims != codeDims || old.bits != bits {
                    throw StoreError.configurationMismatch(
                        path: path,
                        detail:
                            "holds \(count) items of model \(old.modelFingerprint) (\(old.codeDims)-D, \(old.bits) bits), not model \(modelFingerprint) (\(codeDims)-D, \(bits) bits)"
                    )
                }
            }
            try setMetaValue("schema_version", String(Self.schemaVersion), txn)
            try setMetaValue("model_fingerprint", modelFingerprint, txn)
            try setMetaValue("code_dims", String(codeDims), txn)
            try setMetaValue("bits", String(bits), txn)
            try setMetaValue("count", String(count), txn)
            for (k, v) in extra where !Self.coreKeys.contains(k) { try setMetaValue(k, v, txn) }
        }
    }

    /// Sets one free meta key (not one of the core keys).
    public func setMeta(_ key: String, _ value: String) throws {
        precondition(!Self.coreKeys.contains(key), "meta key \(key) is managed by the store")
        try env.write { try setMetaValue(key, value, $0) }
    }

    /// Removes every item and all metadata, leaving an empty, unconfigured store.
    public func clear() throws {
        try env.write { txn in
            // Item attributes and client vector sets go too: a rebuilt store starts empty.
            for db in [metaDB, itemsDB, rowsDB, addrDB]
                + [extras.attributes, extras.vectorSets, extras.indexes].compactMap({ $0 })
            {
                try txn.clear(db)
            }
        }
    }
}
