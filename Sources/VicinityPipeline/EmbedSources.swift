import Foundation
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityStore

/// One input set, with where each of its rows came from.
struct EmbedPart {
    var dataset: Dataset
    var source: (Int) -> String
}

/// What an embed run reads, and how its rows become what the store keeps.
struct EmbedSource {
    /// The store's identity for these codes: fingerprint of what made them, code size, bit count.
    var fingerprint: String
    var codeDims: Int
    var bitCount: Int
    /// The meta entry naming what made the codes: `model` or `vectors`, and that file's name.
    var madeBy: (key: String, name: String)
    var dataName = ""
    var skipped: [ImageFailure] = []
    /// Items in every part; nil for a stream of unknown length.
    var knownTotal: Int?
    /// Whether every part was read up front (else they arrive a chunk at a time).
    var knownAtOnce = false
    /// Every part of an input read whole (empty for a stream).
    var whole: [EmbedPart] = []
    /// The next chunk of parts (each written in id byte order); nil at the end.
    var nextParts: () throws -> [EmbedPart]? = { nil }
    /// The float codes and packed bit words of some rows of a part's data set.
    var encode: (Dataset, [Int]) -> (codes: Matrix, words: [UInt64])

    /// Parts read up front, handed out as one chunk.
    mutating func setParts(_ parts: [EmbedPart]) {
        knownTotal = parts.reduce(0) { $0 + $1.dataset.count }
        knownAtOnce = true
        whole = parts
        var once: [EmbedPart]? = parts
        nextParts = {
            defer { once = nil }
            return once
        }
    }
}

extension EmbedSource {
    /// Reads the configured input (all of it, except a stream) and says how its rows become codes.
    static func open(_ config: EmbedConfiguration, reporter: any JobReporter) throws -> EmbedSource {
        if case .vectors(let path, let bits, let ids, let labels) = config.input {
            return try vectors(path, bits: bits, ids: ids, labels: labels, idPrefix: config.idPrefix)
        }
        guard let model = config.model else {
            throw PipelineError("an embed run needs a model file (or vectors as the codes)")
        }
        guard FileManager.default.fileExists(atPath: model) else {
            throw PipelineError("--model \(model): no such model file")
        }
        let net = try EmbeddingModel.load(from: model)
        let fingerprint = try CodeStore.fingerprint(ofFile: model)
        let encoder = ItemEncoder(model: net, bits: config.bits)
        var source = EmbedSource(
            fingerprint: fingerprint, codeDims: net.outputDims, bitCount: encoder.bits,
            madeBy: ("model", (model as NSString).lastPathComponent),
            encode: { ds, rows in
                let (codes, packed) = encoder.encode(ds.features.rows(rows))
                return (codes, encoder.bits == 0 ? [] : packed.words)
            })
        if try source.openStream(config, model: net, modelPath: model) { return source }
        var parts: [EmbedPart] = []
        switch config.input {
        case .csvStream, .perturbed, .vectors:
            preconditionFailure("streams and vectors are opened above")
        case .images(let images, let labels, let fit):
            let (ds, bad) = try Dataset.loadSkippingBad(
                images: images, labels: labels,
                geometry: net.architecture.inputGeometry, fit: fit)
            let base = (images as NSString).standardizingPath
            if isDirectory(images) {
                parts.append(EmbedPart(dataset: ds, source: { [ids = ds.ids] in "\(base)/\(ids[$0])" }))
            } else {
                parts.append(EmbedPart(dataset: ds, source: { "\(base)#\($0)" }))
            }
            (source.dataName, source.skipped) = (base, bad)
        case .documents(let path):
            guard let vocabulary = net.textVocabulary else {
                throw PipelineError(
                    "\(model) was not trained on word counts (it records no vocabulary); --documents needs such a model"
                )
            }
            let ds = try Dataset.loadDocumentLines(path, vocabulary: vocabulary)
            parts.append(EmbedPart(dataset: ds, source: { [name = ds.name] in "\(name)#\($0)" }))
            source.dataName = ds.name
        case .dataset(let spec, let split):
            let splits: [Split] = split == .all ? [.train, .test] : [split == .train ? .train : .test]
            for s in splits {
                let ds = try Dataset.load(spec, split: s)
                parts.append(EmbedPart(dataset: ds, source: { [name = ds.name] in "\(name)#\($0)" }))
            }
            source.dataName = "\(spec) (\(split.rawValue))"
        }
        try reportSkipped(source.skipped, strict: config.strict, reporter: reporter)
        for p in parts { try requireInputs(net.inputDims, p.dataset.dims, of: p.dataset.name, model: model) }
        source.setParts(parts.map { EmbedPart(dataset: $0.dataset.withIDPrefix(config.idPrefix), source: $0.source) })
        return source
    }

    /// Sets up the inputs read a batch at a time as they are embedded (perturbed copies, CSV on
    /// standard input, IDX files); false for the others.
    mutating func openStream(_ config: EmbedConfiguration, model net: EmbeddingModel, modelPath: String) throws
        -> Bool
    {
        switch config.input {
        case .csvStream(let handle):
            stream(handle, dims: net.inputDims, batch: config.batch, idPrefix: config.idPrefix)
        case .perturbed(let spec, let count, let seed):
            let images = PerturbedImages(base: try Dataset.load(spec, split: .train), count: count, seed: seed)
            try Self.requireInputs(net.inputDims, images.dims, of: spec, model: modelPath)
            stream(images, batch: config.batch, idPrefix: config.idPrefix)
        case .images(let images, let labels, _):
            guard isIDXFile(images), let idx = try IDXStream(images) else { return false }
            try Self.requireInputs(net.inputDims, idx.dims, of: images, model: modelPath)
            try stream(idx, labels: labels, batch: config.batch, idPrefix: config.idPrefix)
        default:
            return false
        }
        return true
    }

    /// Vectors made elsewhere as the codes, with their bits when given.
    static func vectors(_ path: String, bits: String?, ids: String?, labels: String?, idPrefix: String?) throws
        -> EmbedSource
    {
        let set = try VectorSet.load(vectors: path, bits: bits, ids: ids, labels: labels)
        let fingerprint = "npy-" + (try CodeStore.fingerprint(ofFile: path))
        let base = (path as NSString).standardizingPath
        let ds = Dataset(
            name: base, features: set.codes, labels: set.labels, ids: set.ids, imageRows: 1, imageCols: set.codes.cols)
        let words = set.wordsPerItem, all = set.bits
        var source = EmbedSource(
            fingerprint: fingerprint, codeDims: set.codes.cols, bitCount: set.bitCount,
            madeBy: ("vectors", (path as NSString).lastPathComponent), dataName: base,
            encode: { ds, rows in (ds.features.rows(rows), rows.flatMap { all[($0 * words)..<(($0 + 1) * words)] }) })
        source.setParts([EmbedPart(dataset: ds.withIDPrefix(idPrefix), source: { "\(base)#\($0)" })])
        return source
    }

    /// CSV lines read `batch` at a time as they arrive.
    mutating func stream(_ handle: FileHandle, dims: Int, batch: Int, idPrefix: String?) {
        let stream = CSVStream(handle, name: "stdin", dims: dims)
        var line = 0
        dataName = "stdin"
        knownTotal = nil
        nextParts = {
            guard let chunk = try stream.next(batch) else { return nil }
            let ds = Dataset(
                name: "stdin", features: chunk.pixels, labels: chunk.labels, ids: chunk.ids,
                imageRows: 1, imageCols: dims
            ).withIDPrefix(idPrefix)
            let first = line
            line += ds.count
            return [EmbedPart(dataset: ds, source: { "stdin#\(first + $0)" })]
        }
    }

    /// `images`, `batch` at a time as they are made; where each came from is in the store's meta.
    mutating func stream(_ images: PerturbedImages, batch: Int, idPrefix: String?) {
        let name = "\(images.baseName) perturbed ×\(images.count), seed \(images.seed)"
        (dataName, knownTotal) = (name, images.count)
        var next = 0
        nextParts = {
            guard next < images.count else { return nil }
            let end = min(images.count, next + batch)
            defer { next = end }
            return [
                EmbedPart(dataset: images.items(next..<end, name: name).withIDPrefix(idPrefix), source: { _ in "" })
            ]
        }
    }

    /// An IDX file's rows, `batch` at a time as they are read; ids are the row numbers.
    mutating func stream(_ stream: IDXStream, labels: String?, batch: Int, idPrefix: String?) throws {
        let base = (stream.path as NSString).standardizingPath
        let labels = try labels.map(readLabels) ?? [Int](repeating: -1, count: stream.count)
        guard labels.count == stream.count else {
            throw PipelineError(
                "\(stream.path) holds \(stream.count) images but its labels file \(labels.count) labels")
        }
        (dataName, knownTotal) = (base, stream.count)
        nextParts = {
            let first = stream.position
            guard let pixels = try stream.next(batch) else { return nil }
            let rows = first..<(first + pixels.rows)
            let ds = Dataset(
                name: base, features: pixels, labels: Array(labels[rows]), ids: rows.map { String($0) },
                imageRows: stream.imageRows, imageCols: stream.imageCols)
            return [EmbedPart(dataset: ds.withIDPrefix(idPrefix), source: { "\(base)#\(first + $0)" })]
        }
    }

    static func requireInputs(_ inputs: Int, _ pixels: Int, of name: String, model: String) throws {
        guard inputs != pixels else { return }
        throw PipelineError("\(model): the model takes \(inputs) inputs but \(name) has \(pixels) pixels per image")
    }

    /// Images that could not be used: an error with `strict` (before anything is written), else a note.
    static func reportSkipped(_ skipped: [ImageFailure], strict: Bool, reporter: any JobReporter) throws {
        guard !skipped.isEmpty else { return }
        let shown = skipped.prefix(5).map(\.description).joined(separator: "\n  ")
        let more = skipped.count > 5 ? "\n  … and \(skipped.count - 5) more" : ""
        let message = "\(skipped.count) image\(skipped.count == 1 ? "" : "s") could not be used:\n  \(shown)\(more)"
        if strict { throw PipelineError(message + "\n(--strict: nothing was written)") }
        reporter.note("skipping " + message)
    }
}

extension Dataset {
    /// The data set with `prefix` before every id.
    func withIDPrefix(_ prefix: String?) -> Dataset {
        guard let prefix, !prefix.isEmpty else { return self }
        return Dataset(
            name: name, features: features, labels: labels, ids: ids.map { prefix + $0 },
            imageRows: imageRows, imageCols: imageCols, imageChannels: imageChannels, classNames: classNames)
    }
}

/// A file the IDX readers take (not a folder, CSV or .npy file).
private func isIDXFile(_ path: String) -> Bool {
    let lower = path.lowercased()
    return !isDirectory(path) && ![".csv", ".csv.gz", ".npy"].contains { lower.hasSuffix($0) }
}

private func isDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}
