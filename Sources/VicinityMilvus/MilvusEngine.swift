import Foundation
import Synchronization
import VicinityCodes
import VicinityLearning
import VicinityMath
import VicinityPipeline
import VicinityServer
import VicinityStore

/// The engine behind `vicinity serve --backend milvus://…`: the codes and bits live in Milvus
/// (see `MilvusLayout`); the server keeps only the item count and the timestamp reads are
/// guaranteed at. KNN and HAMMING answers are settled into the local engine's exact order
/// (`Settle`); RAW queries and ADD are embedded here with the model.
///
/// Visibility: every read is Session-style, guaranteed at the newest write this server made
/// (Milvus's reply to it carries the timestamp), or, before any, a timestamp taken at start, after
/// everything acknowledged before it. So a write is visible to the next query, which waits for
/// Milvus to catch up with it (up to one time tick, ~200 ms) only when the write was recent; the
/// rest cost what Bounded reads do. One server writes a collection pair at a time.
public final class MilvusEngine: SearchEngine {
    public let url: MilvusURL
    public let layout: MilvusLayout
    public let encoder: ItemEncoder?
    public let modelPath: String?
    let client: MilvusClient
    let stats: ServerStats?

    struct Tracking {
        var count: Int
        /// Reads are guaranteed at this timestamp.
        var seen: UInt64
    }
    let tracking: Mutex<Tracking>
    /// Writes one at a time: each reads the count, then changes both collections.
    let writer = Mutex(())

    /// Connects, reads the layout from the codes collection and counts its items; with a
    /// model, checks that the exported store was embedded with it.
    public init(url: MilvusURL, modelPath: String?, stats: ServerStats? = nil) throws {
        self.url = url
        self.stats = stats
        self.modelPath = modelPath
        do {
            client = try MilvusClient(url)
            guard try client.hasCollection(url.codesCollection) else {
                throw MilvusError.mismatch(
                    "\(url) has no collection \(url.codesCollection); make it with vicinity export stores/NAME --to \(url)"
                )
            }
            let schema = try client.describe(url.codesCollection)
            layout = try MilvusLayout(description: schema.description_p, collection: url.codesCollection)
            if layout.bits > 0, try !client.hasCollection(url.bitsCollection) {
                throw MilvusError.mismatch(
                    "\(url) has \(url.codesCollection) but not \(url.bitsCollection); export the store again with --replace"
                )
            }
            try Self.load(client, url, layout)
            let start = try client.allocTimestamp()
            let count = try client.count(url.codesCollection, guarantee: .upTo(start))
            tracking = Mutex(Tracking(count: count, seen: start))
        } catch let error as MilvusError {
            throw ServerError("\(error)")
        }
        let layout = self.layout
        encoder = try modelPath.map { path in
            let model = try EmbeddingModel.load(from: path)
            let fingerprint = try CodeStore.fingerprint(ofFile: path)
            guard fingerprint == layout.modelFingerprint && model.outputDims == layout.codeDims else {
                throw ServerError(
                    "\(path) (\(fingerprint), \(model.outputDims)-D) is not the model \(url) was embedded with (\(layout.modelFingerprint), \(layout.codeDims)-D)"
                )
            }
            return ItemEncoder(model: model, storeBits: layout.bits)
        }
    }

    /// Loads both collections (a no-op when they are loaded), waiting until they are searchable.
    func loadCollections() throws(MilvusError) { try Self.load(client, url, layout) }

    static func load(_ client: MilvusClient, _ url: MilvusURL, _ layout: MilvusLayout) throws(MilvusError) {
        try client.load(url.codesCollection, waitingUpTo: .seconds(60))
        if layout.bits > 0 { try client.load(url.bitsCollection, waitingUpTo: .seconds(60)) }
    }

    public var name: String { url.name }
    public var codeDims: Int { layout.codeDims }
    public var supportsAttributes: Bool { false }
    var guarantee: ReadGuarantee { .upTo(tracking.withLock { $0.seen }) }

    public func info() -> [(String, String)] {
        var fields: [(String, String)] = [
            ("backend", url.description),
            (
                "collections",
                ([url.codesCollection] + (layout.bits > 0 ? [url.bitsCollection] : [])).joined(separator: ",")
            ),
            ("store", layout.store), ("items", "\(count())"), ("code_dims", "\(layout.codeDims)"),
            ("bits", "\(layout.bits)"), ("model", modelPath ?? "none (RAW and ADD unavailable)"),
            ("model_fingerprint", layout.modelFingerprint),
        ]
        fields += stats?.fields() ?? []
        return fields
    }

    public func count() -> Int { tracking.withLock { $0.count } }

    public func get(_ id: String) throws -> ItemView? {
        let expr = "\(MilvusLayout.idField) == \(milvusLiteral(id))"
        let codes = try milvus {
            try client.query(url.codesCollection, where: expr, fields: ["label", "code"], guarantee: guarantee)
        }
        guard let label = codes.longs("label").first else { return nil }
        var hex = ""
        if layout.bits > 0 {
            let bits = try milvus {
                try client.query(url.bitsCollection, where: expr, fields: ["bits"], guarantee: guarantee)
            }
            hex = try BinaryCodes(bytes: bits.bytes("bits"), bits: layout.bits).hex(0)
        }
        let names = encoder?.model.architecture.classNames ?? []
        return ItemView(
            id: id, label: label, className: names.indices.contains(label) ? names[label] : nil,
            code: codes.floats("code"), bitsHex: hex)
    }

    public func attributes(_ id: String) throws -> String? { throw unsupported("attributes") }
    public func setAttributes(_ id: String, _ json: String?) throws -> Bool { throw unsupported("attributes") }
    public func attributeCount() -> Int { 0 }
    public func snapshot(to directory: String) throws -> Int { throw unsupported("SNAPSHOT") }

    public func randomIDs(_ n: Int, distinct: Bool) -> [String] {
        let count = count()
        guard count > 0, n > 0 else { return [] }
        let rows = distinct ? Array((0..<count).shuffled().prefix(n)) : (0..<n).map { _ in Int.random(in: 0..<count) }
        let expr = "\(MilvusLayout.rowField) in [\(Set(rows).map(String.init).joined(separator: ","))]"
        guard
            let found = try? client.query(
                url.codesCollection, where: expr, fields: ["id", "row"], guarantee: guarantee)
        else { return [] }
        let idOf = Dictionary(zip(found.longs("row"), found.strings("id")), uniquingKeysWith: { a, _ in a })
        return rows.compactMap { idOf[$0] }
    }

    public func embed(images: [[Float]]) throws -> [[Float]] { try encoder.embedImages(images) }

    func embed(_ pixels: [Float]) throws -> (codes: Matrix, bits: BinaryCodes) { try encoder.embedPixels(pixels) }

    func unsupported(_ what: String) -> EngineError {
        EngineError(
            "UNSUPPORTED",
            "\(what) is not available with the Milvus backend (\(url)); serve the store with --store for it")
    }

    /// Runs Milvus calls, turning their failures into the reply's error line.
    func milvus<T>(_ body: () throws -> T) throws -> T {
        do {
            do { return try body() } catch MilvusError.server(let m) where m.contains("not loaded") {
                // A restarted Milvus serves a collection again only once it is loaded again.
                try loadCollections()
                return try body()
            }
        } catch let error as MilvusError {
            switch error {
            case .unreachable(let m): throw EngineError("UNAVAILABLE", m)
            case .badURL(let m), .server(let m), .mismatch(let m): throw EngineError("BACKEND", m)
            }
        }
    }
}
