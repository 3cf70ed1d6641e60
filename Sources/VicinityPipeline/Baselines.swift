import Foundation
import VicinityData
import VicinityHashers
import VicinityLearning
import VicinityMath

/// What a `--model` value names: a seeded baseline fitted on the training set (`pixels`, `pca:N`,
/// for documents `lsa:N` and `tfidf`; `lsh:B`, `pca-hash:B`, `itq:B`, `itq-faiss:B`, `spectral:B`)
/// or a model file.
public enum Baselines {
    /// The hashing baseline `spec` names (`lsh:64`, `pca-hash:64`, `itq:64`, `itq-faiss:64`,
    /// `spectral:64`), fitted on the training set; nil for anything else.
    public static func hasher(_ spec: String, training: Dataset, reporter: any JobReporter) throws -> (
        any BinaryHasher
    )? {
        // `itq:32@lsa:128`: the hasher fitted on (and applied to) another embedding's codes.
        if let at = spec.firstIndex(of: "@") {
            let inner = try embedding(String(spec[spec.index(after: at)...]), training: training, reporter: reporter)
            let codes = Dataset(
                name: "\(training.name) \(inner.name)", features: inner.embed(training.features),
                labels: training.labels, ids: training.ids, imageRows: 1, imageCols: inner.outputDims)
            guard let outer = try hasher(String(spec[..<at]), training: codes, reporter: reporter) else {
                throw PipelineError("--model \(spec): expected a hashing baseline before '@', e.g. itq:32@lsa:128")
            }
            return ComposedHasher(embedding: inner, hasher: outer)
        }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, ["lsh", "pca-hash", "itq", "itq-faiss", "spectral"].contains(parts[0]) else {
            return nil
        }
        guard let bits = Int(parts[1]), bits >= 1, bits <= 1024 else {
            throw PipelineError("--model \(spec): expected \(parts[0]):BITS with BITS in 1...1024")
        }
        if parts[0] != "lsh" && bits > training.dims {
            throw PipelineError(
                "--model \(spec): \(parts[0]) takes at most \(training.dims) bits (one per principal direction)")
        }
        reporter.note("fitting \(spec) on \(training.count) training images…")
        switch parts[0] {
        case "lsh": return try RandomHyperplaneLSH.fit(training.features, bits: bits, seed: 1)
        case "pca-hash": return try PCAHash.fit(training.features, bits: bits)
        case "itq": return try ITQ.fit(training.features, bits: bits, seed: 1).hasher
        case "itq-faiss": return try ITQ.fit(training.features, bits: bits, update: .faiss, seed: 1).hasher
        default: return try SpectralHashing.fit(training.features, bits: bits)
        }
    }

    /// The embedding `spec` names: `pixels`, `pca:N`, `lsa:N`, `tfidf` (fitted on the training set) or a model file
    /// whose input matches the data.
    public static func embedding(_ spec: String, training: Dataset, reporter: any JobReporter) throws -> any Embedding {
        if spec == "pixels" { return PixelEmbedding(dims: training.dims) }
        if spec == "tfidf" { return TFIDFEmbedding(fitting: training.features) }
        if spec.hasPrefix("lsa:") {
            guard let n = Int(spec.dropFirst(4)), n >= 1, n <= training.dims else {
                throw PipelineError("--model \(spec): expected lsa:N with N in 1...\(training.dims)")
            }
            reporter.note("fitting LSA-\(n) on \(training.count) training documents…")
            return try LSAEmbedding(fitting: training.features, components: n)
        }
        if spec.hasPrefix("pca:") {
            guard let n = Int(spec.dropFirst(4)), n >= 1, n <= training.dims else {
                throw PipelineError("--model \(spec): expected pca:N with N in 1...\(training.dims)")
            }
            reporter.note("fitting PCA-\(n) on \(training.count) training images…")
            return try PCAEmbedding(fitting: training.features, components: n)
        }
        guard FileManager.default.fileExists(atPath: spec) else {
            throw PipelineError("--model \(spec): no such model file (use pixels, pca:N, or a .safetensors path)")
        }
        let model = try EmbeddingModel.load(from: spec)
        guard model.inputDims == training.dims else {
            throw PipelineError(
                "\(spec): the model takes \(model.inputDims) inputs but the data has \(training.dims) pixels per image")
        }
        return model
    }
}

/// A hasher that reads another embedding's codes: `hasher.project(embedding.embed(x))`.
struct ComposedHasher: BinaryHasher {
    let embedding: any Embedding
    let hasher: any BinaryHasher
    var kind: String { "\(hasher.kind)@\(embedding.name)" }
    var bits: Int { hasher.bits }
    var inputDims: Int { embedding.inputDims }
    func project(_ x: Matrix) -> Matrix { hasher.project(embedding.embed(x)) }
}
