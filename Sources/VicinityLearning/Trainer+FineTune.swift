import Foundation
import VicinityData
import VicinityMath

/// Fine-tuning the unrolled network on the recipe's objective, with checkpoints and early stopping.
extension Trainer {
    // Long: the epoch loop shares the resume state (cursor, checkpoint, early stopping) with every step.
    func fineTune(
        _ start: Network, encoderDepth: Int, training: Dataset, validation: Dataset, rng: inout SeededRNG,
        fingerprint: String, imageRows: Int, imageCols: Int
    ) throws -> EmbeddingModel {
        var network = start
        var optimizer = makeOptimizer(for: network)
        var state = checkpoint?.state ?? CheckpointState(phase: .finetune, epoch: 0, rng: rng.state)
        if state.phase != .finetune { state = CheckpointState(phase: .finetune, epoch: 0, rng: rng.state) }
        var best = checkpoint?.best ?? network
        let batch = min(settings.batch, training.count)
        let batches = training.count / batch
        let objective = settings.objective
        progress(
            .phase(
                name: "fine-tune \(objective.kind.rawValue)", epochs: settings.epochs,
                batchesPerEpoch: batches, samplesPerBatch: batch))
        var epoch = state.epoch
        var position = state.position
        while epoch < settings.epochs && state.badEpochs < settings.patience {
            let clock = ContinuousClock.now
            optimizer.learningRate = settings.schedule.rate(base: settings.learningRate, epoch: epoch)
            var cursor = EpochCursor(count: training.count, rng: &rng, resuming: position)
            position = nil
            for b in cursor.firstBatch..<batches {
                let rows = Array(cursor.order[b * batch..<(b + 1) * batch])
                let x = training.features.rows(rows)
                let labels = rows.map { training.labels[$0] }
                let (loss, grads) = objective.evaluate(
                    network, encoderDepth: encoderDepth, batch: x, labels: labels, rng: &rng)
                guard loss.isFinite else {
                    throw LearningError(
                        "training diverged (loss \(loss)) in epoch \(epoch + 1); lower the learning rate")
                }
                optimizer.step(&network, gradients: grads)
                if objective.tied { network.tieDecoder(encoderDepth: encoderDepth) }
                cursor.runningLoss += Double(loss)
                progress(.batch(epoch: epoch, batch: b, loss: loss))
                if shouldStop() && b + 1 < batches {
                    (state.epoch, state.rng, state.position) = (epoch, rng.state, cursor.position(next: b + 1))
                    try saveCheckpoint(
                        state, rbms: [], current: nil, network: network, best: best,
                        optimizer: optimizerState(optimizer))
                    throw TrainingInterrupted(checkpoint: checkpointPath)
                }
            }
            let figure = validationFigure(
                network, encoderDepth: encoderDepth, training: training, validation: validation)
            let seconds = clock.duration(to: .now).seconds
            let meanLoss = cursor.runningLoss / Double(max(batches, 1))
            state.history.append(EpochFigures(epoch: epoch + 1, loss: meanLoss, validation: figure, seconds: seconds))
            Self.track(figure, of: network, state: &state, best: &best)
            progress(.epoch(epoch: epoch, loss: Float(meanLoss), validation: figure, seconds: seconds))
            epoch += 1
            (state.epoch, state.rng, state.position) = (epoch, rng.state, nil)
            try saveCheckpoint(
                state, rbms: [], current: nil, network: network, best: best, optimizer: optimizerState(optimizer))
            if shouldStop() && epoch < settings.epochs { throw TrainingInterrupted(checkpoint: checkpointPath) }
        }
        if state.badEpochs >= settings.patience {
            progress(.message("early stop: no better validation figure for \(settings.patience) epochs"))
        }
        var record = TrainingRecord(recipe: settings.recipe.rawValue, seed: settings.seed, dataFingerprint: fingerprint)
        record.epochs = state.history.count
        record.settings = settingsSummary
        if let best = state.bestValidation { record.figures["validation_\(validationName)"] = best }
        record.history = state.history
        return EmbeddingModel(
            network: best, encoderDepth: encoderDepth, record: record, imageRows: imageRows, imageCols: imageCols)
    }

    /// The optimiser the settings name, its state restored from the checkpoint when resuming.
    func makeOptimizer(for network: Network) -> any Optimizer {
        switch settings.optimizer {
        case .adam:
            var adam = Adam(learningRate: settings.learningRate)
            if let t = checkpoint?.optimizerTensors { adam.restore(t, shape: network) }
            return adam
        case .sgd:
            var sgd = SGD(learningRate: settings.learningRate, momentum: settings.momentum)
            if let t = checkpoint?.optimizerTensors { sgd.restore(t, shape: network) }
            return sgd
        }
    }

    /// Early stopping's bookkeeping after an epoch: a better validation figure makes this network
    /// the best so far; with nothing held out the latest network is the result.
    static func track(_ figure: Double?, of network: Network, state: inout CheckpointState, best: inout Network) {
        guard let figure else {
            best = network
            return
        }
        if state.bestValidation == nil || figure < state.bestValidation! {
            state.bestValidation = figure
            state.badEpochs = 0
            best = network
        } else {
            state.badEpochs += 1
        }
    }

    func optimizerState(_ o: any Optimizer) -> [String: Matrix] {
        (o as? Adam)?.stateTensors ?? (o as? SGD)?.stateTensors ?? [:]
    }

    /// What early stopping watches: kNN error (k=5, %) for labelled objectives, else the reconstruction loss.
    var validationName: String {
        settings.objective.needsLabels && knnError != nil
            ? "knn_error_percent_5" : "\(settings.objective.kind.rawValue)_loss"
    }
}
