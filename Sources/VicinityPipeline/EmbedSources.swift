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
    /// Items in every part; nil for a stream, whose parts arrive a chunk at a time.
    var knownTotal: Int?
    /// The next chunk of parts (each written in id byte order); nil at the end.
    var nextParts: () throws -> [EmbedPart]? = { nil }
    /// The float codes and packed bit words of some rows of a part's data set.
    var encode: (Dataset, [Int]) -> (codes: Matrix, words: [UInt64])

    /// Parts read up front, handed out as one chunk.
    mutating func setParts(_ parts: [EmbedPart]) {
        knownTotal = parts.reduce(0) { $0 + $1.dataset.count }
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
        var parts: [EmbedPart] = []
        switch config.input {
        case .csvStream(let handle):
            source.stream(handle, dims: net.inputDims, batch: config.batch, idPrefix: config.idPrefix)
            return source
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
        case .dataset(let spec, let split):
            let splits: [Split] = split == .all ? [.train, .test] : [split == .train ? .train : .test]
            for s in splits {
                let ds = try Dataset.load(spec, split: s)
                parts.append(EmbedPart(dataset: ds, source: { [name = ds.name] in "\(name)#\($0)" }))
            }
            source.dataName = "\(spec) (\(split.rawValue))"
        case .vectors:
            preconditionFailure("vectors are read above")
        }
        try reportSkipped(source.skipped, strict: config.strict, reporter: reporter)
        for p in parts where p.dataset.dims != net.inputDims {
            throw PipelineError(
                "\(model): the model takes \(net.inputDims) inputs but \(p.dataset.name) has \(p.dataset.dims) pixels per image"
            )
        }
        source.setParts(parts.map { EmbedPart(dataset: $0.dataset.withIDPrefix(config.idPrefix), source: $0.source) })
        return source
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

private func isDirectory(_ path: String) -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}
