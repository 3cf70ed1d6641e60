import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityMath
@testable import VicinityLearning

/// Three noisy prototypes in [0,1]^16: a small labelled set every recipe can learn.
func syntheticDataset(count: Int = 300, dims: Int = 16, seed: UInt64 = 4) -> Dataset {
    var rng = SeededRNG(seed: seed)
    let prototypes = (0..<3).map { _ in rng.uniforms(dims) }
    var values: [Float] = []
    var labels: [Int] = []
    for i in 0..<count {
        let c = i % 3
        labels.append(c)
        values += prototypes[c].map { min(max($0 + 0.15 * rng.gaussian(), 0), 1) }
    }
    return Dataset(
        name: "synthetic", features: Matrix(rows: count, cols: dims, storage: values), labels: labels,
        ids: (0..<count).map { "s\($0)" }, imageRows: 4, imageCols: dims / 4)
}

func temporaryPath(_ name: String) -> String { VicinityTestSupport.temporaryPath("vicinity-train-\(name)") }

@Suite struct TrainingTests {
    @Test func linearAutoencoderLearnsThePCASubspace() throws {
        // Data with a clear 3-D principal subspace in 10-D.
        var rng = SeededRNG(seed: 8)
        let latent = Matrix(rows: 2000, cols: 3, storage: rng.gaussians(6000))
        var data = latent.multiplied(by: Matrix(rows: 3, cols: 10, storage: rng.gaussians(30)))
        data.add(Matrix(rows: 2000, cols: 10, storage: rng.gaussians(20000, std: 0.05)))
        data.addToRows(rng.gaussians(10))
        var s = TrainingSettings(recipe: .autoencoder, sizes: [10, 3])
        s.hidden = .linear
        s.codeActivation = .linear
        s.objective = Objective(kind: .reconstruction)
        s.objective.loss = .squaredError
        s.epochs = 60
        s.batch = 50
        s.learningRate = 3e-3
        s.validation = 0
        s.patience = 100
        let set = Dataset(
            name: "lin", features: data, labels: [Int](repeating: 0, count: 2000),
            ids: (0..<2000).map { "\($0)" }, imageRows: 1, imageCols: 10)
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("lin.ckpt"), resume: false).train(set)
        // Principal angles: singular values of Qaᵀ·Qb for orthonormal bases of both subspaces are their cosines.
        let pca = try PCA.fit(data, components: 3)
        let decoderRows = model.network.layers[1].weights  // 3×10: spans the learned subspace
        let (_, _, vt) = try LAPACK.svd(decoderRows)  // orthonormal rows spanning it
        let (_, cosines, _) = try LAPACK.svd(vt.multiplied(by: pca.components, transposeOther: true))
        #expect(cosines.allSatisfy { $0 > 0.995 }, "cosines of principal angles \(cosines)")
    }

    @Test func cdOneLowersReconstructionError() {
        let data = syntheticDataset(count: 600).features
        var rng = SeededRNG(seed: 2)
        var rbm = RBM(visibleUnits: 16, hiddenUnits: 12, rng: &rng)
        var state = CDState(for: rbm)
        let before = squaredErrorPerImage(rbm.visibleMeans(rbm.hiddenMeans(data)), data)
        for epoch in 0..<20 {
            for b in 0..<6 {
                rbm.contrastiveDivergence(
                    data.rows(in: b * 100..<(b + 1) * 100), settings: CDSettings(),
                    momentum: epoch < 5 ? 0.5 : 0.9, state: &state, rng: &rng)
            }
        }
        let after = squaredErrorPerImage(rbm.visibleMeans(rbm.hiddenMeans(data)), data)
        #expect(after < 0.5 * before, "before \(before) after \(after)")
    }

    static func smallNCASettings() -> TrainingSettings {
        var s = Recipe.nca.defaults(inputDims: 16)
        s.sizes = [16, 12, 4]
        s.pretrainEpochs = 2
        s.epochs = 3
        s.batch = 60
        s.validation = 60
        s.headBits = 0
        return s
    }

    @Test func ncaRecipeAddsABinaryHeadThatRoundTrips() throws {
        #expect(Recipe.nca.defaults(inputDims: 16).headBits == 64)
        var s = Self.smallNCASettings()
        s.headBits = 10
        s.headHidden = []
        let data = syntheticDataset()
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("head"), resume: false).train(data)
        let head = try #require(model.head)
        #expect(
            head.outputDims == 10 && head.layers.allSatisfy { $0.activation == .logistic }
                && model.architecture.headBits == 10)
        #expect(model.record.figures.keys.contains { $0.hasPrefix("head_") })
        let bits = model.headOutputs(model.embed(data.features))!
        #expect(bits.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
        let path = temporaryPath("head.safetensors")
        try model.save(to: path)
        let back = try EmbeddingModel.load(from: path)
        #expect(back.head == model.head && back.architecture == model.architecture)

        // A file that declares other head bits than its tensors hold is refused, naming the tensor.
        var file = try model.modelFile()
        var arch = model.architecture
        arch.headBits = 12
        try file.setMetadata(arch, forKey: "architecture")
        let bad = temporaryPath("badhead.safetensors")
        try file.write(to: bad)
        #expect(throws: (any Error).self) { try EmbeddingModel.load(from: bad) }
        do { _ = try EmbeddingModel.load(from: bad) } catch {
            #expect("\(error)".contains("head.weight"), "\(error)")
        }
        // A one-layer head keeps the keys older files have: no hidden sizes, no head.hidden tensors.
        #expect(model.architecture.headHidden == nil && !file.tensorNames.contains { $0.hasPrefix("head.hidden") })
    }

    @Test func twoLayerHeadRoundTripsAndMismatchedShapesAreRefused() throws {
        var s = Self.smallNCASettings()
        s.headBits = 10
        s.headHidden = [6]
        let data = syntheticDataset()
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("head2"), resume: false).train(data)
        let head = try #require(model.head)
        #expect(head.sizes == [4, 6, 10] && head.layers.allSatisfy { $0.activation == .logistic })
        #expect(model.architecture.headBits == 10 && model.architecture.headHidden == [6])
        let path = temporaryPath("head2.safetensors")
        try model.save(to: path)
        let back = try EmbeddingModel.load(from: path)
        #expect(back.head == model.head && back.architecture == model.architecture)
        let codes = model.embed(data.features)
        let outputs = try #require(back.headOutputs(codes))
        #expect(outputs == model.headOutputs(codes))
        // The head's function: within rounding of the plain (sgemm) forward pass.
        #expect(zip(outputs.storage, head.forward(codes).storage).allSatisfy { abs($0 - $1) < 1e-5 })

        func refusal(_ edit: (inout Architecture, inout ModelFile) throws -> Void) throws -> String {
            var file = try model.modelFile()
            var arch = model.architecture
            try edit(&arch, &file)
            try file.setMetadata(arch, forKey: "architecture")
            let bad = temporaryPath("badhead2.safetensors")
            try file.write(to: bad)
            do { _ = try EmbeddingModel.load(from: bad) } catch { return "\(error)" }
            Issue.record("a malformed head was accepted")
            return ""
        }
        // Hidden sizes that disagree with the tensors, a missing hidden layer, a non-positive size.
        #expect(try refusal { arch, _ in arch.headHidden = [7] }.contains("head.hidden.0.weight"))
        #expect(try refusal { arch, _ in arch.headHidden = nil }.contains("head.weight"))
        #expect(try refusal { _, file in file.tensors["head.hidden.0.bias"] = nil }.contains("head.hidden.0.bias"))
        #expect(try refusal { arch, _ in arch.headHidden = [0] }.contains("positive"))
    }

    @Test func sameSeedGivesABitIdenticalModel() throws {
        let data = syntheticDataset()
        let a = try Trainer(settings: Self.smallNCASettings(), checkpointPath: temporaryPath("a"), resume: false).train(
            data)
        let b = try Trainer(settings: Self.smallNCASettings(), checkpointPath: temporaryPath("b"), resume: false).train(
            data)
        #expect(a.network == b.network)
        var other = Self.smallNCASettings()
        other.seed = 2
        let c = try Trainer(settings: other, checkpointPath: temporaryPath("c"), resume: false).train(data)
        #expect(a.network != c.network)
    }

    @Test(arguments: [1, 3, 5, 8, 9, 12, 16])
    func interruptedThenResumedEqualsUninterrupted(stopAfterBatches: Int) throws {
        let data = syntheticDataset()
        let whole = try Trainer(settings: Self.smallNCASettings(), checkpointPath: temporaryPath("w"), resume: false)
            .train(data)
        let path = temporaryPath("r")
        var batches = 0
        let first = try Trainer(
            settings: Self.smallNCASettings(), checkpointPath: path, resume: false,
            progress: { if case .batch = $0 { batches += 1 } }, shouldStop: { batches >= stopAfterBatches })
        #expect(throws: TrainingInterrupted.self) { try first.train(data) }
        let resumed = try Trainer(settings: Self.smallNCASettings(), checkpointPath: path, resume: true).train(data)
        #expect(resumed.network == whole.network)
    }

    @Test func corruptOrMismatchedCheckpointIsRefused() throws {
        let data = syntheticDataset()
        let path = temporaryPath("bad")
        var batches = 0
        let first = try Trainer(
            settings: Self.smallNCASettings(), checkpointPath: path, resume: false,
            progress: { if case .batch = $0 { batches += 1 } }, shouldStop: { batches >= 12 })
        #expect(throws: TrainingInterrupted.self) { try first.train(data) }
        var other = Self.smallNCASettings()
        other.seed = 9
        #expect { try Trainer(settings: other, checkpointPath: path, resume: true) } throws: { error in
            "\(error)".contains("different settings") && "\(error)".contains(path)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(bytes.count / 3)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect { try Trainer(settings: Self.smallNCASettings(), checkpointPath: path, resume: true) } throws: {
            error in
            "\(error)".contains(path)
        }
        #expect {
            try Trainer(settings: Self.smallNCASettings(), checkpointPath: temporaryPath("none"), resume: true)
        } throws: { error in
            "\(error)".contains("no checkpoint")
        }
    }

    @Test func hashingRecipeTrainsLogisticCodesUnderCodeNoise() throws {
        var s = Recipe.hashing.defaults(inputDims: 16)
        #expect(s.codeActivation == .logistic && s.objective.codeNoise > 0 && s.sizes.last == 64)
        s.sizes = [16, 12, 8]
        s.pretrainEpochs = 1
        s.epochs = 3
        s.batch = 60
        s.validation = 30
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("h"), resume: false).train(
            syntheticDataset())
        #expect(model.architecture.activations.last == .logistic && model.outputDims == 8)
        #expect(model.embed(syntheticDataset().features).storage.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func savedModelRoundTripsWithItsRecord() throws {
        let data = syntheticDataset()
        var s = Recipe.denoising.defaults(inputDims: 16)
        s.sizes = [16, 8]
        s.epochs = 2
        s.validation = 30
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("d"), resume: false).train(data)
        let path = temporaryPath("m.safetensors")
        try model.save(to: path)
        let back = try EmbeddingModel.load(from: path)
        #expect(back.network == model.network && back.record == model.record && back.architecture == model.architecture)
        #expect(back.record.settings["noise"] == "mask:0.25" && back.record.history.count == 2)
        #expect(back.reconstruct(data.features)!.cols == 16 && back.embed(data.features).cols == 8)
    }
}
