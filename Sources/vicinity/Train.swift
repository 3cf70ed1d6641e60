import ArgumentParser
import Foundation
import VicinityData
import VicinityPipeline
import VicinityLearning

extension Vicinity {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Train an embedding model (RBM pretraining, autoencoders, nonlinear NCA) and save it as a .safetensors model file.",
            discussion: """
                Recipes:
                \(Recipe.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

                Options left out take the recipe's defaults. A checkpoint (OUT.checkpoint) is written after
                every epoch; Ctrl-C saves one and exits, and --resume continues from it with the same options.
                The same --seed gives a bit-identical model on the same machine and thread count.
                """)

        @Option(help: "The recipe (see above).") var recipe: Recipe
        @OptionGroup var dataOptions: DataOptions
        @Option(help: "Where to save the model.") var out: String

        @Option(help: "Encoder layer sizes after the input, e.g. 500,500,2000,30 (the last is the code).") var layers:
            String?
        @Option(help: "Code size (replaces the last layer size).") var code: Int?
        @Option(help: "Bits of a binary code (hashing recipe; same as --code).") var bits: Int?
        @Option(help: "Bits of the binary head trained on the finished code (nca recipes; 0: none; nca default 64).")
        var headBits: Int?
        @Option(
            help:
                "Hidden layer sizes of the binary head, comma-separated (none: one layer from code to bits; default \(Self.headDefaults.headHidden.map(String.init).joined(separator: ",")))."
        )
        var headHidden: String?
        @Option(
            help:
                "Std of Gaussian noise on the binary head's bit-layer input while it trains (default \(Self.headDefaults.headNoise))."
        )
        var headNoise: Float?
        @Option(
            help:
                "Std of Gaussian noise on the code the binary head reads while it trains (default \(Self.headDefaults.headInputNoise))."
        )
        var headInputNoise: Float?
        @Option(help: "Hidden units: logistic, tanh, relu, linear.") var hidden: Activation?
        @Option(name: .customLong("code-units"), help: "Code-layer units: linear or logistic.") var codeUnits:
            Activation?
        @Option(help: "Fine-tuning epochs.") var epochs: Int?
        @Option(help: "Mini-batch size for fine-tuning.") var batch: Int?
        @Option(name: .customLong("lr"), help: "Fine-tuning learning rate.") var learningRate: Float?
        @Option(help: "adam or sgd (with momentum).") var optimizer: TrainingSettings.OptimizerKind?
        @Option(help: "Momentum for sgd.") var momentum: Float?
        @Option(help: "Learning-rate schedule: constant, cosine, or step:EVERY:FACTOR.") var schedule: String?
        @Option(help: "CD-1 epochs per RBM for pretraining (0: start from random weights).") var pretrainEpochs: Int?
        @Option(help: "CD learning rate for binary-hidden RBMs.") var rbmLr: Float?
        @Option(help: "Input corruption: none, mask:P, gauss:SIGMA, salt:P.") var noise: String?
        @Option(help: "Contractive penalty λ.") var contractive: Float?
        @Option(help: "Weight of NCA against reconstruction (nca-regularised); psd: the L1 weight λ.") var lambda:
            Float?
        @Option(help: "psd: weight α of the encoder's prediction error in the energy.") var alpha: Float?
        @Option(help: "psd: FISTA steps per mini-batch to infer the codes.") var fistaSteps: Int?
        @Option(name: .customLong("nca"), help: "NCA objective: expected (Σ P_i, the paper's) or log (Σ log P_i).")
        var ncaVariant: NCA.Variant?
        @Option(help: "Std of Gaussian noise on the code layer's input (semantic hashing).") var codeNoise: Float?
        @Option(help: "Weight decay (L2 on weights).") var weightDecay: Float?
        @Option(help: "Reconstruction loss: cross-entropy or squared-error.") var loss: ReconstructionLoss?
        @Flag(inversion: .prefixedNo, help: "Tie decoder weights to the encoder's (W* = Wᵀ).") var tied: Bool?
        @Option(help: "Training items held out for validation.") var validation: Int?
        @Option(help: "Epochs without improvement before stopping early.") var patience: Int?
        @Option(help: "Train on the first N training images only (quick runs).") var limit: Int?
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Flag(help: "Continue from OUT.checkpoint.") var resume = false
        @Option(
            help: ArgumentHelp(
                "Only train a binary head (--head-bits, default 64) on this finished model's code, saving the result as --out.",
                valueName: "model"))
        var headFor: String?
        @Option(help: "Keep the pretrained RBM stack in this file and reuse it when the pretraining settings match.")
        var pretrained: String?

        static let headDefaults = TrainingSettings(recipe: .nca, sizes: [1, 1])

        func run() throws {
            let splits = try dataOptions.splits(model: headFor.flatMap(modelGeometry), requireTest: headFor == nil)
            var data = splits.train
            if let limit {
                guard limit >= 10 else { throw ValidationError("--limit must be at least 10") }
                data = data.prefix(min(limit, data.count))
            }
            let settings = try makeSettings(inputDims: data.dims)
            let reporter = ProgressReporter()
            let stop = StopSignal()
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path,
                withIntermediateDirectories: true)
            let trainer = try Trainer(
                settings: settings, checkpointPath: out + ".checkpoint", resume: resume,
                knnError: {
                    KNNEvaluation.errorPercent(database: $0, databaseLabels: $1, queries: $2, queryLabels: $3)
                },
                progress: reporter.handle, shouldStop: { stop.isRequested })
            trainer.pretrainedCache = pretrained
            if let headFor { return try trainHead(for: headFor, data: data, trainer: trainer) }
            let items =
                data.vocabulary != nil
                ? "\(data.count) documents of \(data.dims) word counts" : "\(data.count) images of \(data.geometry)"
            let tests = "\(splits.test?.count ?? 0) test \(data.vocabulary != nil ? "documents" : "images")"
            note(
                "training \(settings.recipe.rawValue) \(settings.networkSizes.map(String.init).joined(separator: "-")) on \(items) (seed \(seed)), \(tests)"
            )
            let start = Date()
            var model = try trainer.train(data)
            model.record.figures["train_seconds"] = Date().timeIntervalSince(start)
            // Test-set figures at save time, so the file says how good it is.
            try TestFigures.record(
                in: &model, training: data, test: splits.test!,
                knn: settings.objective.needsLabels || settings.psd != nil,
                dataName: dataOptions.data)
            try model.save(to: out)
            try? FileManager.default.removeItem(atPath: out + ".checkpoint")
            note("saved \(out)")
            for (key, value) in model.record.figures.sorted(by: { $0.key < $1.key }) {
                print(String(format: "%-36@ %.4f", key, value))
            }
        }

        /// `--head-for`: the given model with a (new) binary head.
        func trainHead(for path: String, data: Dataset, trainer: Trainer) throws {
            let base = try EmbeddingModel.load(from: path)
            guard base.inputDims == data.dims else {
                throw CLIError("\(path) takes \(base.inputDims) inputs but the data has \(data.dims) per image")
            }
            note("training a \(trainer.settings.headBits)-bit head on the \(base.outputDims)-D code of \(path)")
            var model = try trainer.withBinaryHead(base, data: data)
            model.record.settings["head_for"] = path
            try model.save(to: out)
            note("saved \(out)")
            for (key, value) in model.record.figures.sorted(by: { $0.key < $1.key }) where key.hasPrefix("head_") {
                print(String(format: "%-36@ %.4f", key, value))
            }
        }
    }
}
