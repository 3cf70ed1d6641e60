import Foundation
import Synchronization
import VicinityHashing
import VicinityLearning
import VicinityMath
import VicinitySearch
import VicinityStore

/// The engine behind a served store: its codes in a cluster-pruned exact index,
/// its bits in a multi-index hash, the id ↔ row maps, and optionally the model for RAW queries
/// and ADD. Readers take the current immutable state and search without locks;
/// a writer commits to LMDB first (durable), then publishes a new state.
public final class StoreEngine: SearchEngine {
    /// One consistent view of the data, rows as in the store.
    struct State: Sendable {
        var codes: ClusteredFlatIndex
        var hamming: MultiIndexHash?
        var ids: [String]
        var labels: [Int]
        var rowOf: [String: Int]
    }

    public let store: CodeStore
    public let meta: StoreMeta
    public let encoder: ItemEncoder?
    public let modelPath: String?
    private let state: Mutex<State>
    private let writer = Mutex(())
    private let stats: ServerStats?

    /// Opens the store and loads it; with a model, checks that the store was made by it.
    public init(storePath: String, modelPath: String?, readOnly: Bool, stats: ServerStats? = nil) throws {
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw ServerError("no store at \(storePath) (make one with vicinity embed)")
        }
        store = try CodeStore(path: storePath, access: readOnly ? .readOnly : .readWrite)
        let snapshot = try store.snapshot()
        meta = snapshot.meta
        if let modelPath {
            let model = try EmbeddingModel.load(from: modelPath)
            let fingerprint = try CodeStore.fingerprint(ofFile: modelPath)
            guard fingerprint == meta.modelFingerprint, model.outputDims == meta.codeDims else {
                throw ServerError("\(modelPath) (\(fingerprint), \(model.outputDims)-D) is not the model \(storePath) was embedded with (\(meta.modelFingerprint), \(meta.codeDims)-D)")
            }
            encoder = ItemEncoder(model: model, storeBits: meta.bits)
        } else {
            encoder = nil
        }
        self.modelPath = modelPath
        self.stats = stats
        var hamming: MultiIndexHash? = nil
        if meta.bits > 0 {
            hamming = MultiIndexHash(try BinaryCodes(bits: meta.bits, words: snapshot.bits))
        }
        var rowOf: [String: Int] = [:]
        rowOf.reserveCapacity(snapshot.ids.count)
        for (i, id) in snapshot.ids.enumerated() { rowOf[id] = i }
        state = Mutex(State(codes: ClusteredFlatIndex(snapshot.codes), hamming: hamming, ids: snapshot.ids,
                            labels: snapshot.labels, rowOf: rowOf))
    }

    private var current: State { state.withLock { $0 } }

    public var name: String { URL(fileURLWithPath: store.path).lastPathComponent }
    public var codeDims: Int { meta.codeDims }

    public func info() -> [(String, String)] {
        let s = current
        var fields: [(String, String)] = [
            ("store", store.path), ("items", "\(s.ids.count)"), ("code_dims", "\(meta.codeDims)"), ("bits", "\(meta.bits)"),
            ("model", modelPath ?? "none (RAW and ADD unavailable)"), ("model_fingerprint", meta.modelFingerprint),
            ("read_only", "\(store.access == .readOnly)"),
        ]
        fields.append(("knn_clusters", "\(s.codes.clusterCount)"))
        fields += stats?.fields() ?? []
        return fields
    }

    public func count() -> Int { current.ids.count }

    public func get(_ id: String) throws -> ItemView? {
        let s = current
        guard let row = s.rowOf[id] else { return nil }
        let hex = s.hamming.map { $0.codes.hex(row) } ?? ""
        return ItemView(id: id, label: s.labels[row], code: s.codes.vector(row), bitsHex: hex)
    }

    /// Answered on the connection's own thread: the cluster bounds leave a few
    /// thousand rows to score, tens of microseconds, and connections already
    /// run side by side on every core.
    public func knn(k: Int, query: VectorQuery) throws -> [Hit] {
        let s = current
        return s.codes.searchOne(try queryVector(query, s), k: k).map { hit(s, $0) }
    }

    private func queryVector(_ query: VectorQuery, _ s: State) throws -> [Float] {
        let vector: [Float]
        switch query {
        case .id(let id):
            guard let row = s.rowOf[id] else { throw EngineError.notFound(id) }
            vector = s.codes.vector(row)
        case .vector(let v):
            guard v.count == meta.codeDims else {
                throw EngineError("DIM", "VEC has \(v.count) values; codes have \(meta.codeDims)")
            }
            vector = v
        case .raw(let pixels):
            vector = try embed(pixels).codes.row(0)
        }
        return vector
    }

    public func hamming(k: Int, query: BitsQuery) throws -> [Hit] {
        let s = current
        let (index, code) = try bitsQuery(s, query)
        return index.search(code, k: k).map { hit(s, $0) }
    }

    public func radius(_ r: Int, query: BitsQuery) throws -> [Hit] {
        let s = current
        let (index, code) = try bitsQuery(s, query)
        return index.radius(code, r: r).map { hit(s, $0) }
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
                throw EngineError("NOMODEL", "this store keeps bits, which come from the model; start the server with --model")
            }
            bits = encoder.bits(ofCodes: codes)
        }
        try insert(id: id, label: label, codes: codes, bits: bits)
    }

    private func insert(id: String, label: Int, codes: Matrix, bits: BinaryCodes) throws {
        try writer.withLock { _ in
            guard current.rowOf[id] == nil else { throw EngineError("EXISTS", "id '\(id)' is already stored; DEL it first") }
            try store.put(ItemBatch(ids: [id], labels: [label], codes: codes,
                                    bits: meta.bits > 0 ? bits.words : [], wordsPerItem: meta.wordsPerItem,
                                    sources: ["ADD"]))
            // Durable now; publish. The store appended a row, so the indexes append too.
            var next = current
            next.codes.add(codes)
            if meta.bits > 0 { next.hamming?.add(bits) }
            next.rowOf[id] = next.ids.count
            next.ids.append(id)
            next.labels.append(label)
            state.withLock { $0 = next }
        }
    }

    public func attributes(_ id: String) throws -> String? { try store.attributes(of: id) }

    public func setAttributes(_ id: String, _ json: String?) throws -> Bool {
        guard store.access == .readWrite else { throw EngineError("READONLY", "the server runs with --read-only") }
        return try writer.withLock { _ in try store.setAttributes(of: id, json) }
    }

    public func attributeCount() -> Int { (try? store.attributeCount()) ?? 0 }

    public func randomIDs(_ n: Int, distinct: Bool) -> [String] {
        let ids = current.ids
        guard !ids.isEmpty else { return [] }
        if !distinct { return (0..<n).map { _ in ids.randomElement()! } }
        guard n < ids.count / 2 else { return Array(ids.shuffled().prefix(n)) }
        var rows = Set<Int>()
        while rows.count < n { rows.insert(Int.random(in: 0..<ids.count)) }
        return rows.map { ids[$0] }.shuffled()
    }

    public func delete(_ id: String) throws -> Bool {
        try writer.withLock { _ in
            guard let row = current.rowOf[id] else { return false }
            guard try store.delete(id) else { return false }
            // Mirror the store: the last row moves into the hole.
            var next = current
            let last = next.ids.count - 1
            next.codes.removeSwappingLast(row)
            if let h = next.hamming {
                // MIH numbers rows by insertion; re-index so its rows stay the store's.
                var codes = h.codes
                codes.swapRemove(row)
                next.hamming = MultiIndexHash(codes)
            }
            next.rowOf[id] = nil
            if row != last {
                next.ids[row] = next.ids[last]
                next.labels[row] = next.labels[last]
                next.rowOf[next.ids[row]] = row
            }
            next.ids.removeLast()
            next.labels.removeLast()
            state.withLock { $0 = next }
            return true
        }
    }

    private func embed(_ pixels: [Float]) throws -> (codes: Matrix, bits: BinaryCodes) {
        guard let encoder else { throw EngineError("NOMODEL", "the server was started without --model; RAW needs one") }
        guard pixels.count == encoder.model.inputDims else {
            throw EngineError("DIM", "RAW has \(pixels.count) pixels; the model takes \(encoder.model.inputDims)")
        }
        return encoder.encode(Matrix(rows: 1, cols: pixels.count, storage: pixels))
    }

    private func bitsQuery(_ s: State, _ query: BitsQuery) throws -> (MultiIndexHash, [UInt64]) {
        guard let index = s.hamming else { throw EngineError("NOBITS", "this store keeps no binary codes") }
        switch query {
        case .id(let id):
            guard let row = s.rowOf[id] else { throw EngineError.notFound(id) }
            return (index, index.codes.code(row))
        case .hex(let text):
            do {
                return (index, try BinaryCodes(hex: text, bits: meta.bits).code(0))
            } catch {
                throw EngineError("BADARG", "\(error)")
            }
        }
    }

    private func hit(_ s: State, _ n: Neighbor) -> Hit {
        Hit(id: s.ids[n.index], distance: n.distance, label: s.labels[n.index])
    }
}
