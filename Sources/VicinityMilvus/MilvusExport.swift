import Foundation
import VicinityPipeline
import VicinityStore

/// `vicinity export stores/NAME --to milvus://HOST:PORT/NAME`: the store's items into the two
/// collections of `MilvusLayout`, in row order and in batches, then flushed, indexed, loaded and
/// counted back (Strong, so the count is of everything written).
public struct MilvusExport {
    public var store: String
    public var url: MilvusURL
    /// Drop collections of that name first instead of refusing.
    public var replace = false
    /// Rows per Insert call (a 30-D batch of 5,000 is ~1 MB, far below Milvus's 64 MiB cap).
    public var batch = 5_000

    public init(store: String, url: MilvusURL, replace: Bool = false) {
        (self.store, self.url, self.replace) = (store, url, replace)
    }

    /// Runs the export; returns the items written. Errors say what to do.
    public func run(reporter: any JobReporter) throws -> Int {
        let snapshot: StoreSnapshot
        do {
            let codeStore = try CodeStore(path: store, access: .readOnly)
            guard try codeStore.meta() != nil else {
                throw MilvusError.mismatch("\(store): the store is empty and has no model yet")
            }
            snapshot = try codeStore.snapshot()
        } catch let error as MilvusError { throw error } catch { throw MilvusError.mismatch("\(error)") }
        let layout = MilvusLayout(
            store: URL(fileURLWithPath: store).lastPathComponent, modelFingerprint: snapshot.meta.modelFingerprint,
            codeDims: snapshot.meta.codeDims, bits: snapshot.meta.bits)
        let client = try MilvusClient(url, timeout: .seconds(60))
        let names = [url.codesCollection] + (layout.bits > 0 ? [url.bitsCollection] : [])
        try prepare(client, names)
        try client.createCollection(layout.codesSchema(url))
        if layout.bits > 0 { try client.createCollection(layout.bitsSchema(url)) }
        reporter.note("exporting \(snapshot.count) items of \(store) to \(url) (\(names.joined(separator: ", ")))")
        try insertAll(snapshot, layout, client, reporter)
        for name in names {
            reporter.note("\(name): flushing, indexing, loading")
            try client.flush(name)
        }
        try client.createIndex(url.codesCollection, field: MilvusLayout.codeField, type: "FLAT", metric: "L2")
        if layout.bits > 0 {
            try client.createIndex(
                url.bitsCollection, field: MilvusLayout.bitsField, type: "BIN_FLAT", metric: "HAMMING")
        }
        for name in names { try client.load(name) }
        for name in names {
            let n = try client.count(name, guarantee: .strong)
            guard n == snapshot.count else {
                throw MilvusError.mismatch(
                    "\(name) holds \(n) items after the export, not the store's \(snapshot.count)")
            }
        }
        return snapshot.count
    }

    /// Refuses collections already there unless `replace`, which drops them.
    private func prepare(_ client: MilvusClient, _ names: [String]) throws(MilvusError) {
        var present: [String] = []
        for name in [url.codesCollection, url.bitsCollection] where try client.hasCollection(name) {
            present.append(name)
        }
        guard !present.isEmpty else { return }
        guard replace else {
            throw .mismatch(
                "\(url) already has \(present.joined(separator: " and ")); pass --replace to drop and export again, or choose another NAME"
            )
        }
        for name in present { try client.dropCollection(name) }
    }

    private func insertAll(
        _ snapshot: StoreSnapshot, _ layout: MilvusLayout, _ client: MilvusClient, _ reporter: any JobReporter
    ) throws(MilvusError) {
        reporter.itemsBegin(total: snapshot.count)
        let dims = layout.codeDims, words = snapshot.wordsPerItem, bytes = layout.bytesPerCode
        for start in stride(from: 0, to: snapshot.count, by: batch) {
            let rows = Array(start..<min(start + batch, snapshot.count))
            let common = [
                Column.strings(MilvusLayout.idField, rows.map { snapshot.ids[$0] }),
                Column.longs(MilvusLayout.labelField, rows.map { snapshot.labels[$0] }),
                Column.longs(MilvusLayout.rowField, rows),
            ]
            let codes = snapshot.codes.storage[start * dims..<(start + rows.count) * dims]
            try client.insert(
                url.codesCollection, common + [Column.floatVectors(MilvusLayout.codeField, dims: dims, Array(codes))],
                rows: rows.count)
            if layout.bits > 0 {
                var packed = [UInt8](repeating: 0, count: rows.count * bytes)
                for (i, row) in rows.enumerated() {
                    for b in 0..<bytes {
                        packed[i * bytes + b] = UInt8(
                            truncatingIfNeeded: snapshot.bits[row * words + b / 8] >> UInt64(8 * (b % 8)))
                    }
                }
                try client.insert(
                    url.bitsCollection, common + [Column.binaryVectors(MilvusLayout.bitsField, bytes: bytes, packed)],
                    rows: rows.count)
            }
            reporter.itemsDone(start + rows.count)
        }
        reporter.itemsEnd()
    }
}
