import VicinityMath

extension Trainer {
    /// Greedy layer-wise RBM pretraining of the encoder sizes; the top RBM gets linear
    /// hidden units when the code layer is linear. Resumes from `state` when given.
    // Long: the layer loop shares the resume state (the checkpoint, the layer in progress and its epoch).
    func pretrain(_ data: Matrix, rng: inout SeededRNG) throws -> [RBM] {
        let sizes = settings.sizes
        var stack = checkpoint?.rbms ?? []
        var input = data
        for rbm in stack { input = rbm.hiddenMeans(input) }
        while stack.count < sizes.count - 1 {
            let i = stack.count
            let top = i == sizes.count - 2
            let hiddenKind: UnitKind = top && settings.codeActivation == .linear ? .linear : .binary
            let visibleKind = i == 0 ? settings.inputUnits ?? .binary : .binary
            var cd = settings.cd
            if hiddenKind == .linear { cd.learningRate = settings.linearRBMLearningRate }
            if visibleKind != .binary, let rate = settings.inputRBMLearningRate { cd.learningRate = rate }
            var rbm: RBM
            var state: CDState
            var firstEpoch = 0
            var position: EpochPosition? = nil
            if let saved = checkpoint?.currentRBM, saved.rbm.visibleUnits == sizes[i],
                saved.rbm.hiddenUnits == sizes[i + 1]
            {
                (rbm, state, firstEpoch) = (saved.rbm, saved.state, saved.epoch)
                position = checkpoint?.state.position
                checkpoint?.currentRBM = nil
            } else {
                rbm = RBM(
                    visibleUnits: sizes[i], hiddenUnits: sizes[i + 1], visible: visibleKind, hidden: hiddenKind,
                    rng: &rng)
                state = CDState(for: rbm)
            }
            let batch = 100
            let batches = input.rows / batch
            progress(
                .phase(
                    name:
                        "pretrain RBM \(sizes[i])-\(sizes[i + 1]) (\(visibleKind.rawValue) visible, \(hiddenKind.rawValue) hidden)",
                    epochs: settings.pretrainEpochs, batchesPerEpoch: batches, samplesPerBatch: batch))
            for epoch in firstEpoch..<settings.pretrainEpochs {
                let clock = ContinuousClock.now
                var cursor = EpochCursor(count: input.rows, rng: &rng, resuming: position)
                position = nil
                let momentum = epoch < cd.momentumSwitchEpoch ? cd.initialMomentum : cd.finalMomentum
                for b in cursor.firstBatch..<batches {
                    let v = input.rows(cursor.order[b * batch..<(b + 1) * batch])
                    let err = rbm.contrastiveDivergence(v, settings: cd, momentum: momentum, state: &state, rng: &rng)
                    cursor.runningLoss += Double(err)
                    progress(.batch(epoch: epoch, batch: b, loss: err))
                    if shouldStop() && b + 1 < batches {
                        try saveCheckpoint(
                            .init(
                                phase: .pretrain, epoch: epoch, rng: rng.state, position: cursor.position(next: b + 1)),
                            rbms: stack, current: (rbm, state, epoch), network: nil, best: nil)
                        throw TrainingInterrupted(checkpoint: checkpointPath)
                    }
                }
                progress(
                    .epoch(
                        epoch: epoch, loss: Float(cursor.runningLoss / Double(max(batches, 1))), validation: nil,
                        seconds: clock.duration(to: .now).seconds))
                try saveCheckpoint(
                    .init(phase: .pretrain, epoch: epoch + 1, rng: rng.state), rbms: stack,
                    current: (rbm, state, epoch + 1), network: nil, best: nil)
                if shouldStop() && (epoch + 1 < settings.pretrainEpochs || stack.count + 1 < sizes.count - 1) {
                    throw TrainingInterrupted(checkpoint: checkpointPath)
                }
            }
            stack.append(rbm)
            input = rbm.hiddenMeans(input)
        }
        return stack
    }
}

/// The order of one epoch's mini-batches, drawn so that an interrupted epoch
/// can be drawn again identically and picked up at the batch where it stopped.
struct EpochCursor {
    let order: [Int]
    let orderRNG: [UInt64]
    let firstBatch: Int
    var runningLoss: Double

    /// Draws the epoch's order from `rng`; when `resuming`, redraws the saved epoch's
    /// order and leaves `rng` where the interrupted run left it.
    init(count: Int, rng: inout SeededRNG, resuming: EpochPosition?) {
        var drawer = rng
        if let p = resuming { drawer.state = p.orderRNG }
        orderRNG = drawer.state
        order = drawer.permutation(count)
        if resuming == nil { rng = drawer }
        firstBatch = resuming?.batch ?? 0
        runningLoss = resuming?.runningLoss ?? 0
    }

    func position(next batch: Int) -> EpochPosition {
        EpochPosition(batch: batch, orderRNG: orderRNG, runningLoss: runningLoss)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Unrolls an RBM stack into an encoder, and a decoder with transposed (then untied) weights when asked.
public func unroll(_ stack: [RBM], withDecoder: Bool) -> Network {
    let encoder = stack.map(\.asEncoderLayer)
    let decoder = withDecoder ? stack.reversed().map(\.asDecoderLayer) : []
    return Network(layers: encoder + decoder)
}
