import Foundation
import VicinityData
import VicinityMath

/// Runs a recipe: optional greedy RBM pretraining, then fine-tuning of the
/// unrolled network on the recipe's objective with mini-batches, a validation
/// split, early stopping, and a checkpoint after every epoch.
public final class Trainer {
    public let settings: TrainingSettings
    let checkpointPath: String
    let progress: (TrainingEvent) -> Void
    let shouldStop: () -> Bool
    let knnError: KNNErrorFunction?
    var checkpoint: LoadedCheckpoint?

    /// kNN error (percent) of query codes against database codes: supplied by the
    /// caller (the search module sits below this one), used for early stopping.
    public typealias KNNErrorFunction = (
        _ database: Matrix, _ databaseLabels: [Int],
        _ queries: Matrix, _ queryLabels: [Int]
    ) -> Double

    /// - Parameters:
    ///   - checkpointPath: written after each epoch; read first when `resume` is true.
    ///   - shouldStop: polled between mini-batches; when true, a checkpoint is saved and `TrainingInterrupted` thrown.
    ///   - knnError: when given, labelled objectives stop early on validation kNN error (k=5) instead of their loss.
    public init(
        settings: TrainingSettings, checkpointPath: String, resume: Bool,
        knnError: KNNErrorFunction? = nil,
        progress: @escaping (TrainingEvent) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }
    ) throws {
        try settings.validate()
        self.knnError = knnError
        self.settings = settings
        self.checkpointPath = checkpointPath
        self.progress = progress
        self.shouldStop = shouldStop
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else {
                throw LearningError("--resume: no checkpoint at \(checkpointPath)")
            }
            checkpoint = try Trainer.loadCheckpoint(checkpointPath, settings: settings)
        }
    }

    /// Where to keep the unrolled RBM stack so later runs with the same pretraining skip it.
    public var pretrainedCache: String?

    /// The unrolled RBM stack: from `pretrainedCache` when it holds one made with the same
    /// pretraining settings, seed and data (the RNG continues exactly as if pretraining had run), else trained now.
    func pretrainedNetwork(_ data: Matrix, fingerprint: String, rng: inout SeededRNG) throws -> Network {
        var key =
            "\(settings.sizes)|\(settings.codeActivation)|\(settings.pretrainEpochs)|\(settings.cd)|\(settings.linearRBMLearningRate)|\(settings.seed)|\(settings.validation)|\(fingerprint)"
        // Only when set, so stacks cached before count units existed keep their key.
        if let units = settings.inputUnits, units != .binary {
            key += "|\(units.rawValue)|\(settings.inputRBMLearningRate ?? settings.cd.learningRate)"
        }
        if let path = pretrainedCache, FileManager.default.fileExists(atPath: path) {
            let cached = try EmbeddingModel.load(from: path)
            if cached.record.settings["pretraining"] == key, let words = cached.record.settings["rng_state"] {
                let state = words.split(separator: ",").compactMap { UInt64($0) }
                if state.count == 5 {
                    rng.state = state
                    progress(.message("using the pretrained stack in \(path)"))
                    let n = cached.network
                    return settings.objective.needsDecoder
                        ? n : Network(layers: Array(n.layers[0..<cached.encoderDepth]))
                }
            }
            progress(.message("\(path) was pretrained with other settings; pretraining again"))
        }
        let stack = try pretrain(data, rng: &rng)
        if let path = pretrainedCache {
            var record = TrainingRecord(recipe: "rbm-stack", seed: settings.seed, dataFingerprint: fingerprint)
            record.settings = ["pretraining": key, "rng_state": rng.state.map(String.init).joined(separator: ",")]
            try EmbeddingModel(network: unroll(stack, withDecoder: true), encoderDepth: stack.count, record: record)
                .save(to: path)
        }
        return unroll(stack, withDecoder: settings.objective.needsDecoder)
    }

    /// A network of the settings' shape (values irrelevant): the template for importing tensors.
    static func emptyNetwork(_ s: TrainingSettings) -> Network {
        var rng = SeededRNG(seed: 0)
        return makeNetwork(s, rng: &rng, scale: 0)
    }

    static func makeNetwork(_ s: TrainingSettings, rng: inout SeededRNG, scale: Float? = nil) -> Network {
        let sizes = s.networkSizes
        let encoderDepth = s.sizes.count - 1
        var layers: [DenseLayer] = []
        for i in 0..<(sizes.count - 1) {
            let act: Activation
            if i == encoderDepth - 1 {
                act = s.codeActivation
            } else if i == sizes.count - 2 {
                act = s.objective.loss.outputActivation
            } else {
                act = s.hidden
            }
            layers.append(DenseLayer(inputs: sizes[i], outputs: sizes[i + 1], activation: act, scale: scale, rng: &rng))
        }
        var net = Network(layers: layers)
        if s.objective.tied { net.tieDecoder(encoderDepth: encoderDepth) }
        return net
    }

    /// Trains on `data` and returns the model with the best validation figure.
    public func train(_ data: Dataset) throws -> EmbeddingModel {
        guard data.dims == settings.sizes[0] else {
            throw LearningError(
                "the network takes \(settings.sizes[0]) inputs but \(data.name) has \(data.dims) per image")
        }
        if settings.objective.needsLabels && data.labels.contains(where: { $0 < 0 }) {
            throw LearningError(
                "recipe \(settings.recipe.rawValue) needs class labels, and \(data.name) has unlabelled items")
        }
        if settings.recipe == .psd { return try trainPSD(data) }
        let encoderDepth = settings.sizes.count - 1
        var rng = SeededRNG(seed: settings.seed)
        // The validation split is drawn first, so it is the same whatever happens later.
        let order = rng.permutation(data.count)
        let validationCount = min(settings.validation, data.count / 5)
        let validation = data.subset(Array(order[..<validationCount]))
        let training = data.subset(Array(order[validationCount...]))
        if let saved = checkpoint { rng.state = saved.state.rng }

        // Pretraining, unless a checkpoint shows it is done.
        var network: Network
        if checkpoint?.state.phase == .finetune, let saved = checkpoint?.network {
            network = saved
        } else if settings.pretrainEpochs > 0 {
            network = try pretrainedNetwork(training.features, fingerprint: data.fingerprint, rng: &rng)
            if settings.objective.tied { network.tieDecoder(encoderDepth: encoderDepth) }
            checkpoint = nil
        } else {
            network = Trainer.makeNetwork(settings, rng: &rng)
            checkpoint = nil
        }
        var model = try fineTune(
            network, encoderDepth: encoderDepth, training: training, validation: validation, rng: &rng,
            fingerprint: data.fingerprint, imageRows: data.imageRows, imageCols: data.imageCols)
        model.architecture.imageChannels = data.imageChannels == 1 ? nil : data.imageChannels
        model.architecture.classNames = data.classNames.isEmpty ? nil : data.classNames
        model.architecture.vocabulary = data.vocabulary?.words
        model.architecture.stopWords = data.vocabulary.map { $0.tokenizer.stopWords.sorted() }
        return settings.headBits > 0 ? try withBinaryHead(model, data: data) : model
    }

    /// Trains a binary head of `settings.headBits` on a finished model's codes (a run of its own, not
    /// checkpointed: it takes seconds), replacing any head the model had.
    public func withBinaryHead(_ model: EmbeddingModel, data: Dataset) throws -> EmbeddingModel {
        let codes = model.embed(data.features)
        let codeSet = Dataset(
            name: "\(data.name) codes", features: codes, labels: data.labels, ids: data.ids,
            imageRows: 1, imageCols: codes.cols)
        let shape = (settings.headHidden + [settings.headBits]).map(String.init).joined(separator: "-")
        progress(.message("binary head: \(shape) logistic units on the \(codes.cols)-D code"))
        let headTrainer = try Trainer(
            settings: settings.headSettings(), checkpointPath: checkpointPath + ".head", resume: false,
            knnError: knnError, progress: progress, shouldStop: shouldStop)
        let trained = try headTrainer.train(codeSet)
        try? FileManager.default.removeItem(atPath: checkpointPath + ".head")
        var out = model
        out.head = trained.network
        for (key, value) in trained.record.figures { out.record.figures["head_" + key] = value }
        return out
    }

    /// The validation figure (lower is better); nil when nothing is held out.
    func validationFigure(_ network: Network, encoderDepth: Int, training: Dataset, validation: Dataset) -> Double? {
        guard validation.count > 0 else { return nil }
        if settings.objective.needsLabels, let knnError {
            // kNN of the held-out items against (at most 20k) training items, as the eval command does.
            let database = training.prefix(min(training.count, 20_000))
            let model = EmbeddingModel(
                network: network, encoderDepth: encoderDepth,
                record: TrainingRecord(recipe: "", seed: 0, dataFingerprint: ""))
            // Codes trained to become binary are judged as the bits they become: 0/1 values, whose
            // squared distance is the Hamming distance.
            let binary = settings.objective.codeNoise > 0 && settings.codeActivation == .logistic
            func codes(_ x: Matrix) -> Matrix {
                var c = model.embed(x)
                if binary { c.applyElementwise { v in for i in v.indices { v[i] = v[i] > 0.5 ? 1 : 0 } } }
                return c
            }
            return knnError(codes(database.features), database.labels, codes(validation.features), validation.labels)
        }
        var clean = settings.objective
        clean.corruption = .none
        clean.codeNoise = 0
        var rng = SeededRNG(seed: 0)
        var total: Double = 0
        let step = 1000
        for start in stride(from: 0, to: validation.count, by: step) {
            let rows = Array(start..<min(start + step, validation.count))
            total +=
                Double(
                    clean.evaluate(
                        network, encoderDepth: encoderDepth, batch: validation.features.rows(rows),
                        labels: rows.map { validation.labels[$0] }, rng: &rng
                    ).loss) * Double(rows.count)
        }
        return total / Double(validation.count)
    }

    var settingsSummary: [String: String] {
        let s = settings
        return [
            "sizes": s.networkSizes.map(String.init).joined(separator: "-"),
            "hidden": s.hidden.rawValue, "code": s.codeActivation.rawValue,
            "pretrain_epochs": "\(s.pretrainEpochs)", "epochs": "\(s.epochs)", "batch": "\(s.batch)",
            "optimizer": s.optimizer.rawValue, "learning_rate": "\(s.learningRate)",
            "objective": s.objective.kind.rawValue, "loss": s.objective.loss.rawValue,
            "noise": s.objective.corruption.text, "contractive": "\(s.objective.contractive)",
            "lambda": "\(s.objective.ncaWeight)", "tied": "\(s.objective.tied)",
            "weight_decay": "\(s.objective.weightDecay)",
        ]
    }
}
