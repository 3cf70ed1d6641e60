import Foundation
import VicinityMath

/// Why a store operation was refused.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An id that is empty, longer than 255 UTF-8 bytes, or holds whitespace or control characters.
    case invalidID(String, reason: String)
    case notAStore(path: String, reason: String)
    case unsupportedSchema(path: String, found: Int)
    /// Items were written before the store's model, code size and bit count were set.
    case notConfigured(path: String)
    /// The store already holds items made with other settings.
    case configurationMismatch(path: String, detail: String)
    /// An item whose code or bits do not have the store's sizes.
    case wrongShape(id: String, detail: String)
    case corrupt(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidID(let id, let reason):
            let shown = id.count > 60 ? String(id.prefix(60)) + "…" : id
            return
                "invalid id \(shown.debugDescription): \(reason) (ids are 1–255 UTF-8 bytes without whitespace or control characters)"
        case .notAStore(let path, let reason): return "\(path): not a Vicinity store: \(reason)"
        case .unsupportedSchema(let path, let found):
            return
                "\(path): store schema version \(found) is not supported (this build reads version \(CodeStore.schemaVersion))"
        case .notConfigured(let path):
            return "\(path): the store has no model, code size or bit count yet (configure it first)"
        case .configurationMismatch(let path, let detail): return "\(path): \(detail)"
        case .wrongShape(let id, let detail): return "item \(id.debugDescription): \(detail)"
        case .corrupt(let path, let detail): return "\(path): store is inconsistent: \(detail)"
        }
    }
}

/// One stored item.
public struct StoredItem: Sendable, Equatable {
    public var id: String
    /// -1 means unknown.
    public var label: Int
    public var code: [Float]
    /// Packed bits (bit i in word i/64, position i%64); empty when the store keeps no bits.
    public var bits: [UInt64]
    /// Where the item came from (file, data set row); free text, at most 65535 UTF-8 bytes.
    public var source: String

    public init(id: String, label: Int, code: [Float], bits: [UInt64] = [], source: String = "") {
        self.id = id
        self.label = label
        self.code = code
        self.bits = bits
        self.source = source
    }
}

/// Many items at once, in the layout an embedder produces (no per-item arrays).
public struct ItemBatch: Sendable {
    public var ids: [String]
    public var labels: [Int]
    /// One row per item.
    public var codes: Matrix
    /// `wordsPerItem` words per item, row-major; empty when the store keeps no bits.
    public var bits: [UInt64]
    public var wordsPerItem: Int
    /// One per item, or empty for no sources.
    public var sources: [String]

    public init(
        ids: [String], labels: [Int], codes: Matrix, bits: [UInt64] = [], wordsPerItem: Int = 0, sources: [String] = []
    ) {
        precondition(
            labels.count == ids.count && codes.rows == ids.count,
            "batch: \(ids.count) ids, \(labels.count) labels, \(codes.rows) codes")
        precondition(
            bits.count == ids.count * wordsPerItem,
            "batch: \(bits.count) bit words for \(ids.count) items of \(wordsPerItem) words")
        precondition(
            sources.isEmpty || sources.count == ids.count, "batch: \(sources.count) sources for \(ids.count) items")
        self.ids = ids
        self.labels = labels
        self.codes = codes
        self.bits = bits
        self.wordsPerItem = wordsPerItem
        self.sources = sources
    }

    public init(_ items: [StoredItem]) {
        let dims = items.first?.code.count ?? 0
        let words = items.first?.bits.count ?? 0
        precondition(
            items.allSatisfy { $0.code.count == dims && $0.bits.count == words },
            "batch: items differ in code or bit sizes")
        self.init(
            ids: items.map(\.id), labels: items.map(\.label),
            codes: Matrix(rows: items.count, cols: dims, storage: items.flatMap(\.code)),
            bits: items.flatMap(\.bits), wordsPerItem: words, sources: items.map(\.source))
    }

    public var count: Int { ids.count }
}

/// What the `meta` database says about a store.
public struct StoreMeta: Sendable, Equatable {
    public var schemaVersion: Int
    /// 16 hex digits: FNV-1a 64 of the model file's bytes (see `CodeStore.fingerprint(ofFile:)`).
    public var modelFingerprint: String
    public var codeDims: Int
    /// Bits per item; 0 when the store keeps only float codes.
    public var bits: Int
    /// Items stored (kept in step with `items` by every write transaction).
    public var count: Int
    /// Any other keys (e.g. `model`, `data`), as text.
    public var extra: [String: String]

    public var wordsPerItem: Int { (bits + 63) / 64 }
    /// Whether `addr` (short code address → ids) is kept: codes of 1…32 bits.
    public var hasAddresses: Bool { bits >= 1 && bits <= 32 }

    /// Whether the store's codes came from the model file with this fingerprint and code size: the
    /// one check embed, eval and the server make before they mix a model with a store.
    public func isEmbedding(ofModel fingerprint: String, codeDims dims: Int) -> Bool {
        modelFingerprint == fingerprint && codeDims == dims
    }
}

/// Every item of a store, laid out by row for building indexes.
public struct StoreSnapshot: Sendable {
    public var meta: StoreMeta
    /// Row i's id.
    public var ids: [String]
    public var labels: [Int]
    /// count × codeDims, row i = item ids[i].
    public var codes: Matrix
    /// count × wordsPerItem packed bits, row-major (empty when the store keeps no bits).
    public var bits: [UInt64]
    public var wordsPerItem: Int

    public var count: Int { ids.count }
}

/// Bytes a store occupies.
public struct StoreDiskUsage: Sendable, Equatable {
    /// Blocks actually allocated (what `du` reports); LMDB files are sparse.
    public var allocatedBytes: Int
    /// File sizes as `ls` shows them.
    public var apparentBytes: Int
}
