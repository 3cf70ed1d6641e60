import ArgumentParser
import Foundation
import VicinityPipeline
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityStore

extension Vicinity {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed an image set in batches through a model and write every item's codes into an LMDB store.",
            discussion: """
            Input: --data (fashion-mnist or an MNIST-layout folder; --split train by default, the
            database half, or test, or all = train then test) or --images (an image folder, an IDX
            file, or a CSV file, with --labels to supply labels). Ids come from the data set:
            train-17 / test-3 for --data, the row number for IDX and CSV files, the file name
            (3/x for labelled folders) for folders.

            Codes are written in transactions of --batch items; each is on disk when it commits.
            Items are written in id order (byte-wise), which keeps LMDB's pages full; rows (the
            dense numbering servers use) follow that order.
            Running again with the same inputs resumes: ids already in the store are skipped.
            The store remembers the model's fingerprint (FNV-1a 64 of the model file); another
            model is refused unless --rebuild, which clears the store first.

            Bits: `auto` keeps bits when the code layer is logistic (threshold 0.5), `threshold`
            always (0.5 for logistic codes, else 0), `none` never. Stores of at most 32 bits also
            get an address table (code → ids).

            Image folders may hold JPEG, PNG, PGM and PPM files of any size, grey or colour: each is
            brought to the model's input (its recorded height × width × channels) — resized by area
            averaging to shrink and bilinear to grow, --fit to its aspect, grey and RGB converted.
            Images that cannot be decoded are skipped and reported with the reason; with --strict they
            make the command fail before anything is written.
            """)

        enum SplitChoice: String, ExpressibleByArgument, CaseIterable { case train, test, all }

        @Option(help: ArgumentHelp("The model file (.safetensors).", valueName: "file")) var model: String?
        @Option(help: ArgumentHelp("Instead of a model and images: float32/float64 vectors of shape (N, D), C order, as the codes.", valueName: "X.npy"))
        var vectors: String?
        @Option(help: ArgumentHelp("With --vectors: one id per line (default: the row numbers).", valueName: "ids.txt"))
        var ids: String?
        @Option(help: ArgumentHelp("`fashion-mnist` or an MNIST-layout folder (default: fashion-mnist unless --images).", valueName: "name|dir"))
        var data: String?
        @Option(help: "With --data: train (default), test, or all.") var split: SplitChoice?
        @Option(help: ArgumentHelp("An image folder, IDX file (.gz) or CSV file; `-`: CSV lines id,label,p1,…,pD (pixels 0–255) on standard input, embedded as they arrive.", valueName: "path|-"))
        var images: String?
        @Option(help: ArgumentHelp("Put this before every id (global ids when several runs fill one store).", valueName: "P"))
        var idPrefix: String?
        @Option(help: ArgumentHelp("With --images: labels (IDX labels file or one integer per line); with --vectors: an integer .npy of shape (N,).", valueName: "file"))
        var labels: String?
        @Option(help: ArgumentHelp("The store directory, e.g. stores/NAME.", valueName: "dir")) var store: String
        @Option(help: "With an --images folder: how images of another aspect reach the model's size: crop, pad, stretch.")
        var fit: ImageFit = .crop
        @Option(help: "Items per transaction (and per embedding batch).") var batch = 5000
        @Option(help: ArgumentHelp("Packed bits to keep: auto, threshold, none; with --vectors: a uint8 .npy of shape (N, bytes), packed as faiss's IndexBinary takes them.", valueName: "choice|B.npy"))
        var bits = "auto"
        @Flag(help: "Fail (writing nothing) if any image cannot be used.") var strict = false
        @Flag(help: "Clear the store first (needed to switch models).") var rebuild = false
        @Flag(help: "Print the summary as one JSON object.") var json = false
        @Option(help: ArgumentHelp("Per-item attributes for FILTER: JSON lines with an id field, or CSV with an id column.",
                                   valueName: "file"))
        var attributes: String?

        func validate() throws {
            if (model == nil) == (vectors == nil) { throw ValidationError("give --model (with --data or --images) or --vectors") }
            if vectors != nil && (images != nil || data != nil || split != nil) {
                throw ValidationError("--vectors are the codes themselves: no --data, --images or --split")
            }
            if vectors == nil && ids != nil { throw ValidationError("--ids goes with --vectors") }
            if model != nil && ItemEncoder.BitsChoice(rawValue: bits) == nil {
                throw ValidationError("--bits must be auto, threshold or none with --model, got '\(bits)'")
            }
            if images != nil && data != nil { throw ValidationError("give --data or --images, not both") }
            if images == "-" && labels != nil { throw ValidationError("--images - carries its labels in each line; no --labels") }
            if let idPrefix, idPrefix.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                throw ValidationError("--id-prefix cannot hold spaces")
            }
            if images == nil && vectors == nil && labels != nil { throw ValidationError("--labels goes with --images or --vectors") }
            if images != nil && split != nil { throw ValidationError("--split goes with --data") }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        }

        /// One input set, with where each row came from.
        struct Part {
            var dataset: Dataset
            var source: (Int) -> String
        }

        func run() throws {
            let start = Date()
            // Read the input, and say how a part's rows become codes and packed bits.
            var parts: [Part] = []
            var skipped: [ImageFailure] = []
            var dataName: String
            let fingerprint: String, codeDims: Int, bitCount: Int, madeBy: String
            let encode: @Sendable (Dataset, [Int]) -> (codes: Matrix, words: [UInt64])
            if let vectors {
                let set: VectorSet
                do {
                    let bitsFile = ["auto", "none"].contains(bits) ? nil : bits
                    set = try VectorSet.load(vectors: vectors, bits: bitsFile, ids: ids, labels: labels)
                } catch let e as DataError { throw CLIError("\(e)") }
                fingerprint = "npy-" + (try CodeStore.fingerprint(ofFile: vectors))
                (codeDims, bitCount, madeBy) = (set.codes.cols, set.bitCount, (vectors as NSString).lastPathComponent)
                let base = (vectors as NSString).standardizingPath
                let ds = Dataset(name: base, features: set.codes, labels: set.labels, ids: set.ids, imageRows: 1, imageCols: codeDims)
                parts.append(Part(dataset: prefixed(ds), source: { "\(base)#\($0)" }))
                dataName = base
                let words = set.wordsPerItem, all = set.bits
                encode = { ds, rows in (ds.features.rows(rows), rows.flatMap { all[($0 * words)..<(($0 + 1) * words)] }) }
                return try write(parts: parts, skipped: [], dataName: dataName, fingerprint: fingerprint, codeDims: codeDims,
                                 bitCount: bitCount, madeBy: madeBy, encode: encode, start: start)
            }
            let model = model!
            guard FileManager.default.fileExists(atPath: model) else { throw CLIError("--model \(model): no such model file") }
            let net = try EmbeddingModel.load(from: model)
            fingerprint = try CodeStore.fingerprint(ofFile: model)
            let encoder = ItemEncoder(model: net, bits: ItemEncoder.BitsChoice(rawValue: bits)!)
            (codeDims, bitCount, madeBy) = (net.outputDims, encoder.bits, (model as NSString).lastPathComponent)
            encode = { ds, rows in
                let (codes, packed) = encoder.encode(ds.features.rows(rows))
                return (codes, encoder.bits == 0 ? [] : packed.words)
            }
            if images == "-" {
                let stream = CSVStream(FileHandle.standardInput, name: "stdin", dims: net.inputDims)
                var line = 0
                return try write(knownTotal: nil, nextParts: {
                    let chunk: (ids: [String], labels: [Int], pixels: Matrix)?
                    do { chunk = try stream.next(batch) } catch let e as DataError { throw CLIError("\(e)") }
                    guard let chunk else { return nil }
                    let ds = prefixed(Dataset(name: "stdin", features: chunk.pixels, labels: chunk.labels, ids: chunk.ids,
                                              imageRows: 1, imageCols: net.inputDims))
                    let first = line
                    line += ds.count
                    return [Part(dataset: ds, source: { "stdin#\(first + $0)" })]
                }, skipped: [], dataName: "stdin", fingerprint: fingerprint, codeDims: codeDims, bitCount: bitCount,
                   madeBy: madeBy, encode: encode, start: start)
            }
            if let images {
                let (ds, bad) = try Dataset.loadSkippingBad(images: images, labels: labels, geometry: net.architecture.inputGeometry, fit: fit)
                skipped = bad
                let base = (images as NSString).standardizingPath
                if pathIsDirectory(images) {
                    parts.append(Part(dataset: ds, source: { [ids = ds.ids] in "\(base)/\(ids[$0])" }))
                } else {
                    parts.append(Part(dataset: ds, source: { "\(base)#\($0)" }))
                }
                dataName = base
            } else {
                let spec = data ?? "fashion-mnist"
                let choice = split ?? .train
                let splits: [Split] = choice == .all ? [.train, .test] : [choice == .train ? .train : .test]
                for s in splits {
                    let ds = try Dataset.load(spec, split: s)
                    parts.append(Part(dataset: ds, source: { [name = ds.name] in "\(name)#\($0)" }))
                }
                dataName = "\(spec) (\(choice.rawValue))"
            }
            if !skipped.isEmpty {
                let shown = skipped.prefix(5).map(\.description).joined(separator: "\n  ")
                let more = skipped.count > 5 ? "\n  … and \(skipped.count - 5) more" : ""
                let message = "\(skipped.count) image\(skipped.count == 1 ? "" : "s") could not be used:\n  \(shown)\(more)"
                if strict { throw CLIError(message + "\n(--strict: nothing was written)") }
                note("skipping " + message)
            }
            for p in parts where p.dataset.dims != net.inputDims {
                throw CLIError("\(model): the model takes \(net.inputDims) inputs but \(p.dataset.name) has \(p.dataset.dims) pixels per image")
            }
            return try write(parts: parts.map { Part(dataset: prefixed($0.dataset), source: $0.source) }, skipped: skipped,
                             dataName: dataName, fingerprint: fingerprint, codeDims: codeDims, bitCount: bitCount, madeBy: madeBy,
                             encode: encode, start: start)
        }

        /// The data set with --id-prefix before every id.
        func prefixed(_ ds: Dataset) -> Dataset {
            guard let idPrefix, !idPrefix.isEmpty else { return ds }
            return Dataset(name: ds.name, features: ds.features, labels: ds.labels, ids: ds.ids.map { idPrefix + $0 },
                           imageRows: ds.imageRows, imageCols: ds.imageCols, imageChannels: ds.imageChannels, classNames: ds.classNames)
        }

        /// Writes every part's missing items into the store, in id byte order, --batch at a time.
        func write(parts: [Part], skipped: [ImageFailure], dataName: String, fingerprint: String, codeDims: Int, bitCount: Int,
                   madeBy: String, encode: (Dataset, [Int]) -> (codes: Matrix, words: [UInt64]), start: Date) throws {
            var once: [Part]? = parts
            try write(knownTotal: parts.reduce(0) { $0 + $1.dataset.count }, nextParts: { defer { once = nil }; return once },
                      skipped: skipped, dataName: dataName, fingerprint: fingerprint, codeDims: codeDims, bitCount: bitCount,
                      madeBy: madeBy, encode: encode, start: start)
        }

        /// Writes the parts `nextParts` hands out until it returns nil (a stream: one chunk at a time,
        /// each in id byte order; `knownTotal` nil).
        func write(knownTotal: Int?, nextParts: () throws -> [Part]?, skipped: [ImageFailure], dataName: String, fingerprint: String,
                   codeDims: Int, bitCount: Int, madeBy: String, encode: (Dataset, [Int]) -> (codes: Matrix, words: [UInt64]),
                   start: Date) throws {
            let loadSeconds = Date().timeIntervalSince(start)

            // Open the store and check it belongs to this model.
            let codeStore: CodeStore
            do { codeStore = try CodeStore(path: store, create: true) } catch { throw CLIError("\(error)") }
            let extra = [vectors == nil ? "model" : "vectors": madeBy, "data": dataName]
            if rebuild {
                try codeStore.clear()
                note("--rebuild: cleared \(store)")
            }
            if let meta = try codeStore.meta() {
                if meta.modelFingerprint != fingerprint || meta.codeDims != codeDims || meta.bits != bitCount {
                    let made = (meta.extra["model"] ?? meta.extra["vectors"]).map { " (\($0))" } ?? ""
                    throw CLIError("""
                        \(store) holds \(meta.count) items of model \(meta.modelFingerprint)\(made), \(meta.codeDims)-D with \(meta.bits) bits; \
                        \(model ?? vectors!) is \(fingerprint), \(codeDims)-D with \(bitCount) bits. Use --rebuild to clear the store and start over.
                        """)
                }
            } else {
                try codeStore.configure(modelFingerprint: fingerprint, codeDims: codeDims, bits: bitCount, extra: extra)
            }

            let progress = EmbedProgress(total: knownTotal)
            let stop = StopSignal()
            let words = (bitCount + 63) / 64
            let writes = BatchWriter(store: codeStore)
            var embedSeconds = 0.0
            var total = 0, todo = 0
            while !stop.isRequested, writes.error == nil, let parts = try nextParts() {
                // What is left to do.
                let chunkTotal = parts.reduce(0) { $0 + $1.dataset.count }
                let missing = try parts.map { try codeStore.missing($0.dataset.ids) }
                let chunkTodo = missing.reduce(0) { $0 + $1.count }
                if knownTotal != nil && chunkTotal > chunkTodo { note("resuming: \(chunkTotal - chunkTodo) of \(chunkTotal) items already in \(store)") }
                total += chunkTotal
                todo += chunkTodo
                progress.skip(chunkTotal - chunkTodo)

                // Write in id byte order (LMDB's key order): each insert then lands at the end of a
                // page and pages fill up, instead of splitting half-empty. Rows follow this order.
                // An item's code does not depend on its batch (`RowBlocks`), so any batching, thread
                // count or partition of the input gives the same records.
                var order: [(part: Int, index: Int)] = []
                order.reserveCapacity(chunkTotal)
                for (p, part) in parts.enumerated() { for i in 0..<part.dataset.count { order.append((p, i)) } }
                order.sort { parts[$0.part].dataset.ids[$0.index].utf8.lexicographicallyPrecedes(parts[$1.part].dataset.ids[$1.index].utf8) }
                var isMissing = parts.map { [Bool](repeating: false, count: $0.dataset.count) }
                for (p, m) in missing.enumerated() { for i in m { isMissing[p][i] = true } }

                var cursor = 0
                while cursor < order.count && !stop.isRequested && writes.error == nil {
                    // One window: up to --batch items, all from one part.
                    let p = order[cursor].part
                    var end = cursor
                    while end < order.count && end - cursor < batch && order[end].part == p { end += 1 }
                    let window = order[cursor ..< end].map(\.index)
                    cursor = end
                    let idx = window.filter { isMissing[p][$0] }
                    if idx.isEmpty { continue }
                    let part = parts[p], ds = part.dataset
                    let t0 = Date()
                    let (codes, packed) = encode(ds, idx)
                    let items = ItemBatch(ids: idx.map { ds.ids[$0] }, labels: idx.map { ds.labels[$0] }, codes: codes,
                                          bits: bitCount == 0 ? [] : packed, wordsPerItem: bitCount == 0 ? 0 : words,
                                          sources: idx.map(part.source))
                    embedSeconds += Date().timeIntervalSince(t0)
                    writes.submit(items)   // commits in the background while the next batch is embedded
                    progress.update(done: writes.written)
                }
            }
            let already = total - todo
            writes.finish()
            progress.update(done: writes.written)
            if let error = writes.error { throw CLIError("\(error)") }
            let written = writes.written, writeSeconds = writes.seconds
            progress.finish()
            let count = try codeStore.count()
            let interrupted = written < todo
            var canonical = false
            if !interrupted {
                if let attributes { try writeAttributes(attributes, to: codeStore) }
                // Same items, same bytes: whatever --batch, threads or resumed runs wrote them.
                canonical = try codeStore.rewriteCanonically()
                if !canonical { note("\(store) is open in another process (a server?), so its files were left as written; `vicinity snapshot` writes a canonical copy") }
            }
            let seconds = Date().timeIntervalSince(start)
            let rate = Double(written) / max(seconds, 1e-9)
            if json {
                try printJSON(["store": store, "model": model ?? vectors!, "model_fingerprint": fingerprint, "dims": codeDims,
                               "bits": bitCount, "input_items": total, "embedded": written, "already_stored": already,
                               "skipped": skipped.count, "skipped_names": skipped.prefix(20).map(\.name), "count": count,
                               "complete": !interrupted, "seconds": seconds, "items_per_second": rate,
                               "canonical": canonical, "load_seconds": loadSeconds, "embed_seconds": embedSeconds, "write_seconds": writeSeconds])
            } else {
                print("embedded \(written) items into \(store) in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", rate)) items/s; load \(String(format: "%.2f", loadSeconds)) s, embed \(String(format: "%.2f", embedSeconds)) s, write \(String(format: "%.2f", writeSeconds)) s)")
                print("store holds \(count) items: \(codeDims)-D codes\(bitCount > 0 ? ", \(bitCount) bits" : ""); \(already) were already there, \(skipped.count) images skipped")
            }
            if interrupted { throw CLIError("stopped after \(written) of \(todo) items; run the same command again to finish") }
        }
    }
}

/// Commits batches on a background queue, one at a time and in order, with at most
/// one more waiting, so writing overlaps embedding. After an error nothing more is written.
final class BatchWriter: @unchecked Sendable {
    private let store: CodeStore
    private let queue = DispatchQueue(label: "vicinity.embed.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var _written = 0
    private var _seconds = 0.0
    private var _error: (any Error)?

    init(store: CodeStore) { self.store = store }

    var written: Int { lock.withLock { _written } }
    var seconds: Double { lock.withLock { _seconds } }
    var error: (any Error)? { lock.withLock { _error } }

    func submit(_ batch: ItemBatch) {
        slots.wait()
        group.enter()
        queue.async {
            defer { self.slots.signal(); self.group.leave() }
            guard self.error == nil else { return }
            let t0 = Date()
            do {
                try self.store.put(batch)
                self.lock.withLock { self._written += batch.count; self._seconds += Date().timeIntervalSince(t0) }
            } catch {
                self.lock.withLock { self._error = error }
            }
        }
    }

    /// Waits until everything submitted is committed (or failed).
    func finish() { group.wait() }
}

func pathIsDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}

/// A progress bar with items/s and ETA on a terminal; a plain line every few seconds otherwise.
final class EmbedProgress {
    private var total: Int
    /// A stream's total is not known in advance: then only counts and rates are shown.
    private let known: Bool
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var last = Date.distantPast
    private var drew = false

    init(total: Int?) { self.total = total ?? 0; known = total != nil }

    /// Lowers the total by items found already stored.
    func skip(_ count: Int) { if known { total -= count } }

    func update(done: Int) {
        let now = Date()
        guard now.timeIntervalSince(last) >= (isTerminal ? 0.2 : 2) || (known && done == total) else { return }
        last = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        guard known else {
            if isTerminal {
                FileHandle.standardError.write(Data(String(format: "\r  %d items  %.0f items/s ", done, rate).utf8))
                drew = true
            } else {
                note(String(format: "  %d items  %.0f items/s", done, rate))
            }
            return
        }
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if isTerminal {
            let width = 28
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r  [%@] %d/%d  %.0f items/s  ETA %.0fs ", bar, done, total, rate, eta).utf8))
            drew = true
        } else {
            note(String(format: "  %d/%d items  %.0f items/s  ETA %.0fs", done, total, rate, eta))
        }
    }

    func finish() {
        if drew { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

extension ItemEncoder.BitsChoice: ExpressibleByArgument {}

/// Attributes go in after every item is stored (a resumed run writes them then), in one transaction.
func writeAttributes(_ file: String, to store: CodeStore) throws {
    do {
        let pairs = try readAttributesFile(file)
        let unknown = try store.setAttributes(pairs)
        note("attributes: \(pairs.count - unknown.count) items from \(file)"
             + (unknown.isEmpty ? "" : "; \(unknown.count) ids not in the store, e.g. \(unknown.prefix(3).joined(separator: ", "))"))
    } catch {
        throw CLIError("--attributes \(file): \(error)")
    }
}
extension ImageFit: ExpressibleByArgument {}
