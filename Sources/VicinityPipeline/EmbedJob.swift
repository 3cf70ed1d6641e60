import Foundation
import VicinityData
import VicinityMath
import VicinityStore

/// The resumable embed job: reads an image set (or vectors), writes every item the store does
/// not hold yet, `batch` per transaction, then writes the attributes and rewrites the store in
/// canonical form (rows in id byte order). Running it again with the same inputs resumes. With a
/// partition it writes only its share of the input's windows (`EmbedPartition`).
public struct EmbedJob {
    public var configuration: EmbedConfiguration

    public init(_ configuration: EmbedConfiguration) { self.configuration = configuration }

    /// Runs the job. `shouldStop` is first asked when writing begins (the command arms its Ctrl-C
    /// handler then), then before every batch; after a stop the summary says the run is incomplete.
    public func run(reporter: any JobReporter, shouldStop: () -> Bool = { false }) throws -> EmbedSummary {
        let source = try EmbedSource.open(configuration, reporter: reporter)
        let loadSeconds = Date().timeIntervalSince(configuration.started)
        let store = try openStore(for: source, reporter: reporter)
        let (batch, partition) = (configuration.batch, configuration.partition)
        // An input read whole is cut once, in id order; a stream's chunks are its windows.
        let whole = source.knownAtOnce ? Self.windows(source.whole, batch: batch) : nil
        reporter.itemsBegin(total: Self.share(of: whole, total: source.knownTotal, batch: batch, partition))
        let writer = BatchWriter(store: store)
        var tally = Tally()
        var exhausted = false
        while !shouldStop(), writer.error == nil {
            guard let parts = try source.nextParts() else {
                exhausted = true
                break
            }
            let windows = tally.claim(
                whole ?? Self.windows(parts, batch: batch, inIDOrder: false), of: parts, partition)
            try write(
                parts, windows, of: source, to: store, writer: writer, tally: &tally, reporter: reporter,
                shouldStop: shouldStop)
            if whole != nil {
                exhausted = true  // that one chunk was all of it
                break
            }
        }
        writer.finish()
        reporter.itemsDone(writer.written)
        if let error = writer.error { throw PipelineError("\(error)") }
        reporter.itemsEnd()
        let count = try store.count()
        let complete = exhausted && writer.written >= tally.todo
        var canonical = false
        if complete {
            if partition != nil {
                // The mark of a finished part, and what merge checks its fellow parts against.
                try store.setMeta(EmbedPartition.itemsKey, String(tally.inputItems))
                try store.setMeta(EmbedPartition.idsKey, tally.ids.hex)
            }
            if let attributes = configuration.attributes {
                try writeAttributes(attributes, to: store, reporter: reporter)
            }
            // Same items, same bytes: whatever batches, threads, partitions or resumed runs wrote them.
            canonical = try store.rewriteCanonically()
            // Then the clustering a server would otherwise compute at every start (k-means over every
            // row); a part leaves it to the merged store. A rewritten store is new files: open them.
            let served = canonical ? try CodeStore(path: configuration.store) : store
            if partition == nil, try served.savedIndex(knnIndexName) == nil { try saveSearchIndexes(served) }
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
            loadSeconds: loadSeconds, embedSeconds: tally.embedSeconds, writeSeconds: writer.seconds,
            partition: partition, partitionInputItems: partition == nil ? nil : tally.inputItems)
    }

    typealias Window = (part: Int, rows: [Int])

    /// Running totals over a run's chunks.
    private struct Tally {
        /// This run's share of the input, and what of it was missing.
        var total = 0
        var todo = 0
        var embedSeconds = 0.0
        var resumed = false
        /// Windows numbered across the whole input, its items, and its ids in window order.
        var windows = 0
        var inputItems = 0
        var ids = FNV1a64()

        /// Numbers `windows` and returns the partition's (all of them without one).
        mutating func claim(_ windows: [Window], of parts: [EmbedPart], _ partition: EmbedPartition?) -> [Window] {
            var ours: [Window] = []
            for window in windows {
                inputItems += window.rows.count
                if partition != nil {
                    for r in window.rows {
                        Array(parts[window.part].dataset.ids[r].utf8).withUnsafeBytes { ids.combine(bytes: $0) }
                        ids.combine(0)
                    }
                }
                if partition?.owns(window: self.windows) ?? true { ours.append(window) }
                self.windows += 1
            }
            return ours
        }
    }

    /// Items in the partition's windows (all, without one); nil when a stream's size is unknown.
    static func share(of whole: [Window]?, total: Int?, batch: Int, _ partition: EmbedPartition?) -> Int? {
        guard let partition else { return total }
        if let whole {
            return whole.indices.reduce(0) { partition.owns(window: $1) ? $0 + whole[$1].rows.count : $0 }
        }
        guard let total, total > 0 else { return total }
        return stride(from: partition.index, to: (total + batch - 1) / batch, by: partition.count).reduce(0) {
            $0 + min(batch, total - $1 * batch)
        }
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
        let input = source.partitionInput(batch: configuration.batch, idPrefix: configuration.idPrefix)
        guard let meta = try store.meta() else {
            var extra = [source.madeBy.key: source.madeBy.name, "data": source.dataName]
            if let partition = configuration.partition {
                extra[EmbedPartition.partKey] = partition.description
                extra[EmbedPartition.inputKey] = input
            }
            try store.configure(
                modelFingerprint: source.fingerprint, codeDims: source.codeDims, bits: source.bitCount, extra: extra)
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
        try checkPartition(of: meta, input: input)
        return store
    }

    /// A store resumes only the run that made it: the same partition of the same input and batch.
    func checkPartition(of meta: StoreMeta, input: String) throws {
        let path = configuration.store
        let held = meta.extra[EmbedPartition.partKey], wanted = configuration.partition?.description
        let rebuild = "Use another --store or --rebuild to clear this one."
        switch (held, wanted) {
        case (nil, nil): return
        case (nil, let wanted?):
            throw PipelineError(
                "\(path) holds an embed of a whole input, not partition \(wanted); a part goes into a store of its own (by convention \(EmbedPartition.partStore("stores/NAME", index: configuration.partition!.index))). \(rebuild)"
            )
        case (let held?, nil):
            throw PipelineError(
                "\(path) holds partition \(held) of an input; give --partition \(held) to resume it. \(rebuild)")
        case (let held?, let wanted?) where held != wanted:
            throw PipelineError(
                "\(path) holds partition \(held) of an input, not \(wanted); give --partition \(held) to resume it. \(rebuild)"
            )
        default:
            guard meta.extra[EmbedPartition.inputKey] != input else { return }
            throw PipelineError(
                "\(path) holds partition \(held!) of another input (\(meta.extra["data"] ?? "?")), --id-prefix or --batch; resume it with the same ones. \(rebuild)"
            )
        }
    }

    /// Writes the missing items of one chunk's windows (those of this run's partition) in window
    /// order. Windows of an input read whole are in id byte order (LMDB's key order): each insert
    /// then lands at the end of a page and pages fill up, instead of splitting half-empty. A
    /// stream's items go in as they arrive; the canonical rewrite puts rows in id order for both.
    /// An item's code does not depend on its batch (`RowBlocks`), so any batching, thread count or
    /// partition of the input gives the same records.
    private func write(
        _ parts: [EmbedPart], _ windows: [Window], of source: EmbedSource, to store: CodeStore, writer: BatchWriter,
        tally: inout Tally, reporter: any JobReporter, shouldStop: () -> Bool
    ) throws {
        let missing = try windows.map { w in
            try store.missing(w.rows.map { parts[w.part].dataset.ids[$0] }).map { w.rows[$0] }
        }
        let chunkTotal = windows.reduce(0) { $0 + $1.rows.count }
        let chunkTodo = missing.reduce(0) { $0 + $1.count }
        if chunkTotal > chunkTodo && !tally.resumed {
            tally.resumed = true
            reporter.note(
                source.knownAtOnce
                    ? "resuming: \(chunkTotal - chunkTodo) of \(chunkTotal) items already in \(configuration.store)"
                    : "resuming: items already in \(configuration.store) are skipped")
        }
        tally.total += chunkTotal
        tally.todo += chunkTodo
        reporter.itemsSkipped(chunkTotal - chunkTodo)
        let words = (source.bitCount + 63) / 64
        for (w, window) in windows.enumerated() {
            if shouldStop() || writer.error != nil { break }
            let idx = missing[w]
            if idx.isEmpty { continue }
            let part = parts[window.part], ds = part.dataset
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
    static func windows(_ parts: [EmbedPart], batch: Int, inIDOrder: Bool = true) -> [Window] {
        var order: [(part: Int, index: Int)] = []
        order.reserveCapacity(parts.reduce(0) { $0 + $1.dataset.count })
        for (p, part) in parts.enumerated() { for i in 0..<part.dataset.count { order.append((p, i)) } }
        if inIDOrder { order.sort(by: idOrder) }
        func idOrder(_ a: (part: Int, index: Int), _ b: (part: Int, index: Int)) -> Bool {
            parts[a.part].dataset.ids[a.index].utf8.lexicographicallyPrecedes(parts[b.part].dataset.ids[b.index].utf8)
        }
        var windows: [Window] = []
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
                        : "; \(unknown.count) ids not in \(configuration.partition == nil ? "the store" : "this part"), e.g. \(unknown.prefix(3).joined(separator: ", "))")
            )
        } catch {
            throw PipelineError("--attributes \(file): \(error)")
        }
    }
}
