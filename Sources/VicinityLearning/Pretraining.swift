import VicinityMath

extension Trainer {
    /// Greedy layer-wise RBM pretraining of the encoder sizes; the top RBM gets linear
    /// hidden units when the code layer is linear. Resumes from `state` when given.
    func pretrain(_ data: Matrix, rng: inout SeededRNG) throws -> [RBM] {
        let sizes = settings.sizes
        var stack = checkpoint?.rbms ?? []
        var input = data
        for rbm in stack { input = rbm.hiddenMeans(input) }
        while stack.count < sizes.count - 1 {
            let i = stack.count
            let top = i == sizes.count - 2
            let hiddenKind: UnitKind = top && settings.codeActivation == .linear ? .linear : .binary
            var cd = settings.cd
            if hiddenKind == .linear { cd.learningRate = settings.linearRBMLearningRate }
            var rbm = RBM(visibleUnits: sizes[i], hiddenUnits: sizes[i + 1], hidden: hiddenKind, rng: &rng)
            var state = CDState(for: rbm)
            var firstEpoch = 0
            if let saved = checkpoint?.currentRBM, saved.rbm.visibleUnits == sizes[i], saved.rbm.hiddenUnits == sizes[i + 1] {
                (rbm, state, firstEpoch) = (saved.rbm, saved.state, saved.epoch)
                checkpoint?.currentRBM = nil
            }
            let batch = 100
            let batches = input.rows / batch
            progress(.phase(name: "pretrain RBM \(sizes[i])-\(sizes[i + 1]) (\(hiddenKind.rawValue) hidden)",
                            epochs: settings.pretrainEpochs, batchesPerEpoch: batches, samplesPerBatch: batch))
            for epoch in firstEpoch..<settings.pretrainEpochs {
                let clock = ContinuousClock.now
                let order = rng.permutation(input.rows)
                let momentum = epoch < cd.momentumSwitchEpoch ? cd.initialMomentum : cd.finalMomentum
                var total: Float = 0
                for b in 0..<batches {
                    let v = input.rows(order[b * batch ..< (b + 1) * batch])
                    let err = rbm.contrastiveDivergence(v, settings: cd, momentum: momentum, state: &state, rng: &rng)
                    total += err
                    progress(.batch(epoch: epoch, batch: b, loss: err))
                    if shouldStop() {
                        try saveCheckpoint(.init(phase: .pretrain, epoch: epoch, rng: rng.state), rbms: stack,
                                           current: (rbm, state, epoch), network: nil, best: nil)
                        throw TrainingInterrupted(checkpoint: checkpointPath)
                    }
                }
                progress(.epoch(epoch: epoch, loss: total / Float(max(batches, 1)), validation: nil,
                                seconds: clock.duration(to: .now).seconds))
                try saveCheckpoint(.init(phase: .pretrain, epoch: epoch + 1, rng: rng.state), rbms: stack,
                                   current: (rbm, state, epoch + 1), network: nil, best: nil)
            }
            stack.append(rbm)
            input = rbm.hiddenMeans(input)
        }
        return stack
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
