import Foundation
import VicinityData
import VicinityMath

/// The shape of a saved network: layer sizes, each layer's activation, and
/// where the encoder ends (the code layer). Stored as JSON under `architecture`.
public struct Architecture: Sendable, Codable, Equatable {
    public var sizes: [Int]
    public var activations: [Activation]
    /// Layers 0..<encoderDepth form the encoder; the rest, if any, the decoder.
    public var encoderDepth: Int
    /// How raw pixels become inputs; Vicinity always feeds pixels / 255 in [0, 1].
    public var inputNormalisation = "pixels/255"
    public var imageRows = 0
    public var imageCols = 0
    /// 3 for RGB inputs (pixels interleaved, D = rows·cols·3); absent for grey, so older files load unchanged.
    public var imageChannels: Int?
    /// Class names by label, for models trained on a folder of named class folders; absent otherwise.
    public var classNames: [String]?
    /// Bits of the binary head (logistic outputs on the code, thresholded at 0.5); nil without one.
    public var headBits: Int?
    /// Sizes of the head's logistic hidden layers between code and bits; nil or empty: one layer.
    public var headHidden: [Int]?
    /// For models of word counts: the vocabulary (input i counts word i) and the stop words of the
    /// tokenizer that counted the training documents, so new texts are counted the same way.
    public var vocabulary: [String]?
    public var stopWords: [String]?

    public init(network: Network, encoderDepth: Int, imageRows: Int = 0, imageCols: Int = 0) {
        sizes = network.sizes
        activations = network.layers.map(\.activation)
        self.encoderDepth = encoderDepth
        self.imageRows = imageRows
        self.imageCols = imageCols
    }

    public var codeDims: Int { sizes[encoderDepth] }

    /// The images the model takes (height × width × channels), when the file records a shape that
    /// matches its input size; nil for models of flat vectors.
    public var inputGeometry: ImageGeometry? {
        let c = imageChannels ?? 1
        guard imageRows >= 1, imageCols >= 1, c == 1 || c == 3, imageRows * imageCols * c == sizes.first else {
            return nil
        }
        return ImageGeometry(height: imageRows, width: imageCols, channels: c)
    }
    public var hasDecoder: Bool { encoderDepth < activations.count }
}

/// How a model was made: recipe, seed, data and the figures measured at save time.
public struct TrainingRecord: Sendable, Codable, Equatable {
    public var recipe: String
    public var seed: UInt64
    public var dataFingerprint: String
    public var epochs: Int = 0
    public var settings: [String: String] = [:]
    /// Validation and evaluation figures, e.g. "validation_loss", "knn_error_percent_5".
    public var figures: [String: Double] = [:]
    /// Per-epoch fine-tuning figures.
    public var history: [EpochFigures] = []
    public init(recipe: String, seed: UInt64, dataFingerprint: String) {
        self.recipe = recipe
        self.seed = seed
        self.dataFingerprint = dataFingerprint
    }
}

/// A trained network that embeds images: an encoder, and a decoder when it was
/// trained to reconstruct. Saved as a safetensors model file.
public struct EmbeddingModel: Embedding {
    public var network: Network
    public var architecture: Architecture
    public var record: TrainingRecord
    /// The file it was loaded from, for messages.
    public var source: String = ModelFile.inMemorySource

    public init(network: Network, encoderDepth: Int, record: TrainingRecord, imageRows: Int = 0, imageCols: Int = 0) {
        precondition(encoderDepth >= 1 && encoderDepth <= network.layers.count, "encoderDepth outside the network")
        self.network = network
        self.architecture = Architecture(
            network: network, encoderDepth: encoderDepth, imageRows: imageRows, imageCols: imageCols)
        self.record = record
    }

    public var name: String { URL(fileURLWithPath: source).lastPathComponent }
    public var inputDims: Int { network.inputDims }
    public var outputDims: Int { architecture.codeDims }
    public var encoderDepth: Int { architecture.encoderDepth }

    /// What turns a text into this model's input, for models of word counts (nil for others).
    public var textVocabulary: Vocabulary? {
        guard let words = architecture.vocabulary, words.count == inputDims else { return nil }
        return Vocabulary(words: words, tokenizer: Tokenizer(stopWords: architecture.stopWords ?? []))
    }

    /// The binary head: logistic layers from the code to `headBits` units, thresholded at 0.5.
    public var head: Network? {
        didSet {
            architecture.headBits = head?.outputDims
            let hidden = head.map { Array($0.sizes.dropFirst().dropLast()) } ?? []
            architecture.headHidden = hidden.isEmpty ? nil : hidden
        }
    }

    /// The binary head's outputs (in [0, 1]) for codes; nil without a head.
    public func headOutputs(_ codes: Matrix) -> Matrix? {
        guard let head else { return nil }
        return RowBlocks.map(codes, outCols: head.outputDims) {
            head.forward($0, layers: head.layers.indices, serial: true)
        }
    }

    /// The codes of the inputs, row by row in `RowBlocks`: an item's code is bit-identical
    /// whatever batch, thread count or position it is embedded in.
    public func embed(_ inputs: Matrix) -> Matrix {
        let (network, depth) = (network, encoderDepth)
        return RowBlocks.map(inputs, outCols: outputDims) { network.forward($0, layers: 0..<depth, serial: true) }
    }

    /// Decoded reconstructions of the inputs; nil for a model without a decoder.
    public func reconstruct(_ inputs: Matrix) -> Matrix? {
        guard architecture.hasDecoder else { return nil }
        let network = network
        return RowBlocks.map(inputs, outCols: network.outputDims) {
            network.forward($0, layers: network.layers.indices, serial: true)
        }
    }

    /// Decodes codes to the input space; nil without a decoder.
    public func decode(_ codes: Matrix) -> Matrix? {
        guard architecture.hasDecoder else { return nil }
        let (network, depth) = (network, encoderDepth)
        return RowBlocks.map(codes, outCols: network.outputDims) {
            network.forward($0, layers: depth..<network.layers.count, serial: true)
        }
    }
}

extension EmbeddingModel {
    static let architectureKey = "architecture"
    static let recordKey = "training"

    /// The model as a model file: tensors `layers.N.weight` (I×O) and `layers.N.bias` (O); a head's
    /// bit layer is `head.weight`/`head.bias` and its hidden layers `head.hidden.N.weight`/`.bias`.
    public func modelFile() throws -> ModelFile {
        var file = ModelFile()
        for (i, layer) in network.layers.enumerated() {
            file.setMatrix(layer.weights, forName: "layers.\(i).weight")
            file.setVector(layer.bias.storage, forName: "layers.\(i).bias")
        }
        if let head {
            for (i, layer) in head.layers.enumerated() {
                let name = i == head.layers.count - 1 ? "head" : "head.hidden.\(i)"
                file.setMatrix(layer.weights, forName: name + ".weight")
                file.setVector(layer.bias.storage, forName: name + ".bias")
            }
        }
        try file.setMetadata(architecture, forKey: Self.architectureKey)
        try file.setMetadata(record, forKey: Self.recordKey)
        return file
    }

    public func save(to path: String) throws {
        var file = try modelFile()
        try file.write(to: path)
    }

    /// Reads and validates a model file: every tensor the architecture names must be there with its shape.
    public static func load(from path: String) throws -> EmbeddingModel {
        try load(try ModelFile.read(from: path))
    }

    public static func load(_ file: ModelFile) throws -> EmbeddingModel {
        let arch = try file.requireMetadata(Architecture.self, forKey: architectureKey)
        let record = try file.requireMetadata(TrainingRecord.self, forKey: recordKey)
        let layerCount = arch.activations.count
        guard arch.sizes.count == layerCount + 1, layerCount >= 1, arch.sizes.allSatisfy({ $0 >= 1 }),
            arch.encoderDepth >= 1, arch.encoderDepth <= layerCount
        else {
            throw LearningError(
                "\(file.source): architecture is inconsistent: sizes \(arch.sizes), \(layerCount) activations, encoder depth \(arch.encoderDepth)"
            )
        }
        var layers: [DenseLayer] = []
        for i in 0..<layerCount {
            let w = try file.matrix("layers.\(i).weight", rows: arch.sizes[i], cols: arch.sizes[i + 1])
            let b = try file.vector("layers.\(i).bias", count: arch.sizes[i + 1])
            layers.append(
                DenseLayer(
                    weights: w, bias: Matrix(rows: 1, cols: b.count, storage: b), activation: arch.activations[i]))
        }
        var model = EmbeddingModel(
            network: Network(layers: layers), encoderDepth: arch.encoderDepth, record: record,
            imageRows: arch.imageRows, imageCols: arch.imageCols)
        if let bits = arch.headBits {
            guard bits >= 1 && bits <= 1024 else {
                throw LearningError("\(file.source): binary head of \(bits) bits (1…1024 allowed)")
            }
            let hidden = arch.headHidden ?? []
            guard hidden.allSatisfy({ $0 >= 1 }) else {
                throw LearningError("\(file.source): binary head hidden sizes must be positive: \(hidden)")
            }
            let sizes = [arch.codeDims] + hidden + [bits]
            var layers: [DenseLayer] = []
            for i in 0..<(sizes.count - 1) {
                let name = i == sizes.count - 2 ? "head" : "head.hidden.\(i)"
                let w = try file.matrix(name + ".weight", rows: sizes[i], cols: sizes[i + 1])
                let b = try file.vector(name + ".bias", count: sizes[i + 1])
                layers.append(
                    DenseLayer(weights: w, bias: Matrix(rows: 1, cols: b.count, storage: b), activation: .logistic))
            }
            model.head = Network(layers: layers)
        }
        model.architecture = arch
        model.source = file.source
        return model
    }
}
