import VicinityPipeline
import VicinityProtocol
import Foundation
import Synchronization
import VicinityCodes
import VicinityLearning
import VicinityMath
import VicinitySearch
import VicinityStore

/// The engine behind a served store: its codes in a cluster-pruned exact index,
/// its bits in a multi-index hash, the id ↔ row table, and optionally the model for RAW queries
/// and ADD. Queries read under a shared lock; a write commits to LMDB first (durable), then
/// changes the indexes in place under the lock alone (no copy of 10M-row arrays per ADD).
public final class StoreEngine: SearchEngine {
    /// The served data, rows as in the store; read under `lock` shared, changed under it alone.
    final class State: @unchecked Sendable {
        var codes: ClusteredFlatIndex
        var hamming: GroupedHammingIndex?
        var ids: IDTable
        var labels: LabelColumn
        /// The attributes of the rows that have any, parsed for filters, by row (a sparse
        /// table: most stores have none, and a slot per row cost 80 MB at 10M).
        var attributes: [Int32: [String: FilterValue]]
        /// Bumped by every write, so cached filters know they are stale.
        var version = 0

        init(
            codes: ClusteredFlatIndex, hamming: GroupedHammingIndex?, ids: IDTable, labels: LabelColumn,
            attributes: [Int32: [String: FilterValue]]
        ) {
            (self.codes, self.hamming, self.ids, self.labels, self.attributes) = (
                codes, hamming, ids, labels, attributes
            )
        }
    }

    public let store: CodeStore
    public let meta: StoreMeta
    public let encoder: ItemEncoder?
    public let modelPath: String?
    let state: State
    let lock = ReadWriteLock()
    private let writer = Mutex(())
    let filters = FilterCache()
    private let stats: ServerStats?
    /// Seconds each step of the load took (INFO shows them).
    let loadTimings: [(String, Double)]
    /// Whether the KNN clustering came from the store (saved by embed or an earlier start).
    let savedClustering: Bool

    /// Opens the store and loads it; with a model, checks that the store was made by it.
    public init(storePath: String, modelPath: String?, readOnly: Bool, stats: ServerStats? = nil) throws {
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw ServerError("no store at \(storePath) (make one with vicinity embed)")
        }
        store = try CodeStore(path: storePath, access: readOnly ? .readOnly : .readWrite)
        var clock = Date()
        func lap(_ name: String) -> (String, Double) {
            defer { clock = Date() }
            return (name, Date().timeIntervalSince(clock))
        }
        let snapshot = try store.snapshot()
        var timings = [lap("load_read_seconds")]
        meta = snapshot.meta
        if let modelPath {
            let model = try EmbeddingModel.load(from: modelPath)
            let fingerprint = try CodeStore.fingerprint(ofFile: modelPath)
            guard meta.isEmbedding(ofModel: fingerprint, codeDims: model.outputDims) else {
                throw ServerError(
                    "\(modelPath) (\(fingerprint), \(model.outputDims)-D) is not the model \(storePath) was embedded with (\(meta.modelFingerprint), \(meta.codeDims)-D)"
                )
            }
            encoder = ItemEncoder(model: model, storeBits: meta.bits)
        } else {
            encoder = nil
        }
        self.modelPath = modelPath
        self.stats = stats
        let bits = meta.bits > 0 ? try BinaryCodes(bits: meta.bits, words: snapshot.bits) : nil
        let loaded = LoadedIndexes.build(
            snapshot, bits: bits, attributes: try store.allAttributes(), saved: try store.savedIndex(knnIndexName))
        savedClustering = loaded.savedClustering
        // A clustering made now is saved for the next start when the store is writable.
        if !savedClustering && !readOnly {
            try store.saveIndex(knnIndexName, loaded.codes.savedBytes, ifCount: snapshot.ids.count)
        }
        timings.append(lap("load_indexes_seconds"))
        timings += loaded.timings
        loadTimings = timings
        state = State(
            codes: loaded.codes, hamming: loaded.hamming, ids: loaded.ids, labels: LabelColumn(snapshot.labels),
            attributes: loaded.attributes)
        // Everything is in memory now: neither the load's pass over the file nor its scratch stays resident.
        store.releaseMappedPages()
        Runtime.releaseFreeMemory()
    }

    /// Runs `body` on the current data, which no write changes meanwhile.
    func reading<T>(_ body: (State) throws -> T) rethrows -> T { try lock.reading { try body(state) } }

    public var name: String { URL(fileURLWithPath: store.path).lastPathComponent }
    public var codeDims: Int { meta.codeDims }

    public func info() -> [(String, String)] {
        var fields: [(String, String)] = reading { s in
            [
                ("store", store.path), ("items", "\(s.ids.count)"), ("code_dims", "\(meta.codeDims)"),
                ("bits", "\(meta.bits)"),
                ("model", modelPath ?? "none (RAW and ADD unavailable)"), ("model_fingerprint", meta.modelFingerprint),
                ("read_only", "\(store.access == .readOnly)"), ("knn_clusters", "\(s.codes.clusterCount)"),
                ("knn_clusters_saved", "\(savedClustering)"),
            ] + loadTimings.map { ($0.0, String(format: "%.3f", $0.1)) }
        }
        fields += stats?.fields() ?? []
        return fields
    }

    public func count() -> Int { reading { $0.ids.count } }

    public func storeBytes() -> Int { fileBytes(in: store.path) }

    public func get(_ id: String) throws -> ItemView? {
        reading { s in
            guard let row = s.ids.row(of: id) else { return nil }
            let hex = s.hamming.map { $0.codes.hex(row) } ?? ""
            let label = s.labels[row]
            let names = encoder?.model.architecture.classNames ?? []
            return ItemView(
                id: id, label: label, className: names.indices.contains(label) ? names[label] : nil,
                code: s.codes.vector(row), bitsHex: hex)
        }
    }

    public func add(id: String, label: Int, pixels: [Float]) throws {
        do { try CodeStore.validateID(id) } catch { throw EngineError("BADID", "\(error)") }
        let (codes, bits) = try embed(pixels)
        try insert(id: id, label: label, codes: codes, bits: bits)
    }

    public func add(id: String, label: Int, code: [Float]) throws {
        do { try CodeStore.validateID(id) } catch { throw EngineError("BADID", "\(error)") }
        guard code.count == meta.codeDims else {
            throw EngineError("DIM", "the code has \(code.count) values; codes have \(meta.codeDims)")
        }
        let codes = Matrix(rows: 1, cols: code.count, storage: code)
        var bits = BinaryCodes(bits: 1)
        if meta.bits > 0 {
            guard let encoder else {
                throw EngineError(
                    "NOMODEL", "this store keeps bits, which come from the model; start the server with --model")
            }
            bits = encoder.bits(ofCodes: codes)
        }
        try insert(id: id, label: label, codes: codes, bits: bits)
    }

    private func insert(id: String, label: Int, codes: Matrix, bits: BinaryCodes) throws {
        try writer.withLock { _ in
            guard reading({ $0.ids.row(of: id) }) == nil else {
                throw EngineError("EXISTS", "id '\(id)' is already stored; DEL it first")
            }
            try store.put(
                ItemBatch(
                    ids: [id], labels: [label], codes: codes,
                    bits: meta.bits > 0 ? bits.words : [], wordsPerItem: meta.wordsPerItem,
                    sources: ["ADD"]))
            // Durable now; publish. The store appended a row, so the indexes append too.
            lock.writing {
                state.codes.add(codes)
                if meta.bits > 0 { state.hamming?.add(bits) }
                state.ids.append(id)
                state.labels.append(label)
                state.version += 1
            }
        }
    }

    public func attributes(_ id: String) throws -> String? { try store.attributes(of: id) }

    public func setAttributes(_ id: String, _ json: String?) throws -> Bool {
        guard store.access == .readWrite else { throw EngineError("READONLY", "the server runs with --read-only") }
        return try writer.withLock { _ in
            guard try store.setAttributes(of: id, json) else { return false }
            let parsed = json.flatMap(parseAttributes)
            lock.writing {
                if let row = state.ids.row(of: id) { state.attributes[Int32(row)] = parsed }
                state.version += 1
            }
            return true
        }
    }

    public func attributeCount() -> Int { (try? store.attributeCount()) ?? 0 }

    public func snapshot(to directory: String) throws -> Int {
        do {
            return try store.writeCanonicalCopy(to: directory)
        } catch let error as StoreError {
            throw EngineError("SNAPSHOT", "\(error)")
        } catch {
            throw EngineError("SNAPSHOT", "cannot write \(directory): \(error)")
        }
    }

    public func randomIDs(_ n: Int, distinct: Bool) -> [String] {
        reading { s in
            let count = s.ids.count
            guard count > 0 else { return [] }
            if !distinct { return (0..<n).map { _ in s.ids.id(Int.random(in: 0..<count)) } }
            guard n < count / 2 else { return (0..<count).shuffled().prefix(n).map(s.ids.id) }
            var rows = Set<Int>()
            while rows.count < n { rows.insert(Int.random(in: 0..<count)) }
            return rows.map(s.ids.id).shuffled()
        }
    }

    public func delete(_ id: String) throws -> Bool {
        try writer.withLock { _ in
            guard let row = reading({ $0.ids.row(of: id) }) else { return false }
            guard try store.delete(id) else { return false }
            // Mirror the store: the last row moves into the hole.
            lock.writing {
                let last = state.ids.count - 1
                state.codes.removeSwappingLast(row)
                state.hamming?.removeSwappingLast(row)
                state.ids.removeSwappingLast(row)
                state.labels.removeSwappingLast(row)
                let moved = state.attributes.removeValue(forKey: Int32(last))
                state.attributes[Int32(row)] = row == last ? nil : moved
                state.version += 1
            }
            return true
        }
    }

    public func embed(images: [[Float]]) throws -> [[Float]] { try encoder.embedImages(images) }

    func embed(_ pixels: [Float]) throws -> (codes: Matrix, bits: BinaryCodes) { try encoder.embedPixels(pixels) }

}

/// An item's JSON attributes as filter values; nil when the text is not a JSON object.
func parseAttributes(_ json: String) -> [String: FilterValue]? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
    return object.compactMapValues { FilterValue(json: $0) }
}
