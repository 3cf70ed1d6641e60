import Foundation
import VicinityData
import VicinityStore

/// The resumable embed job: reads an image set (or vectors), writes every item the store does
/// not hold yet in id byte order, `batch` per transaction, then writes the attributes and
/// rewrites the store in canonical form. Running it again with the same inputs resumes.
public struct EmbedJob {
    public var configuration: EmbedConfiguration

    public init(_ configuration: EmbedConfiguration) { self.configuration = configuration }

    /// Runs the job. `shouldStop` is first asked when writing begins (the command arms its Ctrl-C
    /// handler then), then before every batch; after a stop the summary says the run is incomplete.
    public func run(reporter: any JobReporter, shouldStop: () -> Bool = { false }) throws -> EmbedSummary {
        let source = try EmbedSource.open(configuration, reporter: reporter)
        let loadSeconds = Date().timeIntervalSince(configuration.started)
        let store = try openStore(for: source, reporter: reporter)
        reporter.itemsBegin(total: source.knownTotal)
        let writer = BatchWriter(store: store)
        var tally = Tally()
        while !shouldStop(), writer.error == nil, let parts = try source.nextParts() {
            try write(
                parts, of: source, to: store, writer: writer, tally: &tally, reporter: reporter, shouldStop: shouldStop)
        }
        writer.finish()
        reporter.itemsDone(writer.written)
        if let error = writer.error { throw PipelineError("\(error)") }
        reporter.itemsEnd()
        let count = try store.count()
        let complete = writer.written >= tally.todo
        var canonical = false
        if complete {
            if let attributes = configuration.attributes {
                try writeAttributes(attributes, to: store, reporter: reporter)
            }
            // Same items, same bytes: whatever batches, threads or resumed runs wrote them.
            canonical = try store.rewriteCanonically()
            // Then the clustering a server would otherwise compute at every start (k-means over every row).
            // A rewritten store is new files: open them (the old handle is retired).
            let served = canonical ? try CodeStore(path: configuration.store) : store
            if try served.savedIndex(knnIndexName) == nil { try saveSearchIndexes(served) }
            if !canonical {
                reporter.note(
                    "\(configuration.store) is open in another process (a server?), so its files were left as written; `vicinity snapshot` writes a canonical copy"
                )
            }
        }
        return EmbedSummary(
            store: configuration.store, model: configuration.madeByPath, fingerprint: source.fingerprint,
            codeDims: source.codeDims, bits: source.bitCount, inputItems: tally.total, embedded: writer.written,
            alreadyStored: tally.total - tally.todo, skipped: source.skipped, count: count,
            complete: complete, canonical: canonical, seconds: Date().timeIntervalSince(configuration.started),
            loadSeconds: loadSeconds, embedSeconds: tally.embedSeconds, writeSeconds: writer.seconds)
    }

    /// Running totals over a run's chunks.
    private struct Tally {
        var total = 0
        var todo = 0
        var embedSeconds = 0.0
        var resumed = false
    }

    /// Opens (or makes) the store and checks it holds codes of this model, code size and bit count.
    func openStore(for source: EmbedSource, reporter: any JobReporter) throws -> CodeStore {
        let path = configuration.store
        let store: CodeStore
        do { store = try CodeStore(path: path, create: true) } catch { throw PipelineError("\(error)") }
        if configuration.rebuild {
            try store.clear()
            reporter.note("--rebuild: cleared \(path)")
        }
        guard let meta = try store.meta() else {
            try store.configure(
                modelFingerprint: source.fingerprint, codeDims: source.codeDims, bits: source.bitCount,
                extra: [source.madeBy.key: source.madeBy.name, "data": source.dataName])
            return store
        }
        if !meta.isEmbedding(ofModel: source.fingerprint, codeDims: source.codeDims) || meta.bits != source.bitCount {
            let made = (meta.extra["model"] ?? meta.extra["vectors"]).map { " (\($0))" } ?? ""
            throw PipelineError(
                """
                \(path) holds \(meta.count) items of model \(meta.modelFingerprint)\(made), \(meta.codeDims)-D with \(meta.bits) bits; \
                \(configuration.madeByPath) is \(source.fingerprint), \(source.codeDims)-D with \(source.bitCount) bits. \
                Use --rebuild to clear the store and start over.
                """)
        }
        return store
    }

    /// Writes one chunk's missing items in id byte order (LMDB's key order): each insert then lands
    /// at the end of a page and pages fill up, instead of splitting half-empty. Rows follow this
    /// order. A stream's items go in as they arrive (its ids need not be in byte order across
    /// chunks), so there rows follow the input, whatever its chunks. An item's code does not depend on its batch (`RowBlocks`), so any batching, thread
    /// count or partition of the input gives the same records.
    private func write(
        _ parts: [EmbedPart], of source: EmbedSource, to store: CodeStore, writer: BatchWriter,
        tally: inout Tally, reporter: any JobReporter, shouldStop: () -> Bool
    ) throws {
        let chunkTotal = parts.reduce(0) { $0 + $1.dataset.count }
        let missing = try parts.map { try store.missing($0.dataset.ids) }
        let chunkTodo = missing.reduce(0) { $0 + $1.count }
        if chunkTotal > chunkTodo && !tally.resumed {
            tally.resumed = true
            reporter.note(
                chunkTotal == source.knownTotal
                    ? "resuming: \(chunkTotal - chunkTodo) of \(chunkTotal) items already in \(configuration.store)"
                    : "resuming: items already in \(configuration.store) are skipped")
        }
        tally.total += chunkTotal
        tally.todo += chunkTodo
        reporter.itemsSkipped(chunkTotal - chunkTodo)
        var isMissing = parts.map { [Bool](repeating: false, count: $0.dataset.count) }
        for (p, m) in missing.enumerated() { for i in m { isMissing[p][i] = true } }
        let words = (source.bitCount + 63) / 64
        for (p, window) in Self.windows(parts, batch: configuration.batch, inIDOrder: source.knownAtOnce) {
            if shouldStop() || writer.error != nil { break }
            let idx = window.filter { isMissing[p][$0] }
            if idx.isEmpty { continue }
            let part = parts[p], ds = part.dataset
            let t0 = Date()
            let (codes, packed) = source.encode(ds, idx)
            let items = ItemBatch(
                ids: idx.map { ds.ids[$0] }, labels: idx.map { ds.labels[$0] }, codes: codes,
                bits: source.bitCount == 0 ? [] : packed, wordsPerItem: source.bitCount == 0 ? 0 : words,
                sources: idx.map(part.source))
            tally.embedSeconds += Date().timeIntervalSince(t0)
            writer.submit(items)  // commits in the background while the next batch is embedded
            reporter.itemsDone(writer.written)
        }
    }

    /// The parts' rows in id byte order (else in input order), cut into windows of up to `batch`
    /// rows, each from one part.
    static func windows(_ parts: [EmbedPart], batch: Int, inIDOrder: Bool = true) -> [(part: Int, rows: [Int])] {
        var order: [(part: Int, index: Int)] = []
        order.reserveCapacity(parts.reduce(0) { $0 + $1.dataset.count })
        for (p, part) in parts.enumerated() { for i in 0..<part.dataset.count { order.append((p, i)) } }
        if inIDOrder { order.sort(by: idOrder) }
        func idOrder(_ a: (part: Int, index: Int), _ b: (part: Int, index: Int)) -> Bool {
            parts[a.part].dataset.ids[a.index].utf8.lexicographicallyPrecedes(parts[b.part].dataset.ids[b.index].utf8)
        }
        var windows: [(part: Int, rows: [Int])] = []
        var cursor = 0
        while cursor < order.count {
            let p = order[cursor].part
            var end = cursor
            while end < order.count && end - cursor < batch && order[end].part == p { end += 1 }
            windows.append((p, order[cursor..<end].map(\.index)))
            cursor = end
        }
        return windows
    }

    /// Attributes go in after every item is stored (a resumed run writes them then), in one transaction.
    func writeAttributes(_ file: String, to store: CodeStore, reporter: any JobReporter) throws {
        do {
            let pairs = try readAttributesFile(file)
            let unknown = try store.setAttributes(pairs)
            reporter.note(
                "attributes: \(pairs.count - unknown.count) items from \(file)"
                    + (unknown.isEmpty
                        ? ""
                        : "; \(unknown.count) ids not in the store, e.g. \(unknown.prefix(3).joined(separator: ", "))"))
        } catch {
            throw PipelineError("--attributes \(file): \(error)")
        }
    }
}
