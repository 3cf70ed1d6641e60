import Foundation
import VicinityData
import VicinityMath

/// Recipe `psd`: per mini-batch, z* by FISTA on the full energy (D and F fixed, started from F(x)),
/// then one optimiser step on the dictionary (rows renormalised after it) and on the encoder.
/// No checkpoints: a default run takes minutes.
extension Trainer {
    // Long: the epoch loop, validation and the closing figures share one split and one network.
    func trainPSD(_ data: Dataset) throws -> EmbeddingModel {
        let psd = settings.psd ?? PSDSettings()
        let k = settings.sizes[settings.sizes.count - 1]
        var rng = SeededRNG(seed: settings.seed)
        let order = rng.permutation(data.count)
        let validationCount = min(settings.validation, data.count / 5)
        let validation = data.subset(Array(order[..<validationCount]))
        let training = data.subset(Array(order[validationCount...]))

        // Atoms start as random training images less the mean, so none starts far from the data.
        let mean = training.features.columnMeans()
        var atoms = training.features.rows((0..<k).map { _ in rng.below(training.count) })
        atoms.addToRows(mean, scaledBy: -1)
        atoms.add(Matrix(rows: k, cols: data.dims, storage: rng.gaussians(k * data.dims, std: 0.01)))
        var network = PSD.network(atoms: atoms, mean: mean, rng: &rng)
        var optimizer = makeOptimizer(for: network)
        var best = network
        var state = CheckpointState(phase: .finetune, epoch: 0, rng: rng.state)
        let batch = min(settings.batch, training.count)
        let batches = training.count / batch
        progress(.phase(name: "psd", epochs: settings.epochs, batchesPerEpoch: batches, samplesPerBatch: batch))
        for epoch in 0..<settings.epochs where state.badEpochs < settings.patience {
            let clock = ContinuousClock.now
            optimizer.learningRate = settings.schedule.rate(base: settings.learningRate, epoch: epoch)
            var cursor = EpochCursor(count: training.count, rng: &rng, resuming: nil)
            for b in 0..<batches {
                let x = training.features.rows(cursor.order[b * batch..<(b + 1) * batch])
                let p = PSD.predict(network, x)
                let coder = SparseCoding(dictionary: PSD.dictionary(network), lambda: psd.lambda, alpha: psd.alpha)
                let z = coder.infer(PSD.centred(x, network), start: p, predictions: p, iterations: psd.iterations)
                let (loss, grads) = PSD.parameterGradient(network, x: x, codes: z, alpha: psd.alpha)
                let energy = loss + psd.lambda * z.storage.reduce(0) { $0 + abs($1) } / Float(batch)
                guard energy.isFinite else {
                    throw LearningError(
                        "training diverged (energy \(energy)) in epoch \(epoch + 1); lower the learning rate")
                }
                optimizer.step(&network, gradients: grads)
                network.layers[2].weights.normaliseRows()
                cursor.runningLoss += Double(energy)
                progress(.batch(epoch: epoch, batch: b, loss: energy))
                if shouldStop() { throw LearningError("interrupted: psd runs keep no checkpoint; start again") }
            }
            let figure = validation.count > 0 ? Self.meanEncoderEnergy(network, validation.features, psd) : nil
            let seconds = clock.duration(to: .now).seconds
            let meanLoss = cursor.runningLoss / Double(max(batches, 1))
            state.history.append(EpochFigures(epoch: epoch + 1, loss: meanLoss, validation: figure, seconds: seconds))
            Self.track(figure, of: network, state: &state, best: &best)
            progress(.epoch(epoch: epoch, loss: Float(meanLoss), validation: figure, seconds: seconds))
        }
        var record = TrainingRecord(
            recipe: settings.recipe.rawValue, seed: settings.seed, dataFingerprint: data.fingerprint)
        record.epochs = state.history.count
        record.settings = settingsSummary.merging(psdSummary(psd, codeDims: k)) { $1 }
        record.history = state.history
        if let v = state.bestValidation { record.figures["validation_psd_encoder_energy"] = v }
        let probe = validation.count > 0 ? validation : training
        for (key, value) in Self.codeFigures(best, probe.features.rows(in: 0..<min(probe.count, 2000)), psd) {
            record.figures[key] = value
        }
        return EmbeddingModel(
            network: best, encoderDepth: PSD.encoderDepth, record: record, imageRows: data.imageRows,
            imageCols: data.imageCols)
    }

    func psdSummary(_ psd: PSDSettings, codeDims k: Int) -> [String: String] {
        let d = settings.sizes[0]
        return [
            "sizes": "\(d)-\(k)-\(k)-\(d)", "hidden": "tanh", "code": "linear (per-unit gain)", "objective": "psd",
            "loss": "energy", "psd_lambda": "\(psd.lambda)", "psd_alpha": "\(psd.alpha)",
            "psd_iterations": "\(psd.iterations)",
        ]
    }

    /// Mean sparse-coding energy ‖x − m − F(x)·D‖² + λ‖F(x)‖₁ over `x`, in blocks.
    static func meanEncoderEnergy(_ network: Network, _ x: Matrix, _ psd: PSDSettings) -> Double {
        var total: Double = 0
        for start in stride(from: 0, to: x.rows, by: 1000) {
            let e = PSD.encoderEnergy(network, x.rows(in: start..<min(start + 1000, x.rows)), lambda: psd.lambda)
            total += e.reduce(0) { $0 + Double($1) }
        }
        return total / Double(max(x.rows, 1))
    }

    /// What the model file says about its codes, on held-out items: the encoder's sparse-coding energy
    /// against the optimum's (FISTA, α = 0, 300 steps), how many optimal codes are non-zero, and how many
    /// of the encoder's values exceed 0.05 in size (tanh codes are never exactly 0).
    static func codeFigures(_ network: Network, _ x: Matrix, _ psd: PSDSettings) -> [String: Double] {
        let coder = SparseCoding(dictionary: PSD.dictionary(network), lambda: psd.lambda, alpha: 0)
        let xc = PSD.centred(x, network)
        let f = PSD.predict(network, x)
        let z = coder.infer(xc, start: f, iterations: 300)
        let ef = coder.energy(xc, codes: f), ez = coder.energy(xc, codes: z)
        let encoder = Double(zip(ef.reconstruction, ef.sparsity).reduce(0) { $0 + $1.0 + $1.1 })
        let optimum = Double(zip(ez.reconstruction, ez.sparsity).reduce(0) { $0 + $1.0 + $1.1 })
        let n = Double(max(x.rows, 1)), cells = Double(max(z.count, 1))
        return [
            "heldout_psd_encoder_energy": encoder / n, "heldout_sparse_coding_optimum_energy": optimum / n,
            "heldout_encoder_to_optimum_energy_ratio": encoder / max(optimum, 1e-12),
            "heldout_optimal_code_nonzero_percent": 100 * Double(z.storage.filter { $0 != 0 }.count) / cells,
            "heldout_encoder_code_above_0.05_percent": 100 * Double(f.storage.filter { abs($0) > 0.05 }.count) / cells,
        ]
    }
}
