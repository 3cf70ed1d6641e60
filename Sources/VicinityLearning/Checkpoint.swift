import Foundation
import VicinityMath

/// Where a run stands, saved after every epoch so `--resume` continues it.
struct CheckpointState: Codable {
    enum Phase: String, Codable { case pretrain, finetune }
    var phase: Phase
    /// The next epoch to run in this phase.
    var epoch: Int
    var rng: [UInt64]
    /// Set when the run stopped inside `epoch`: where to pick the epoch up again.
    var position: EpochPosition? = nil
    var bestValidation: Double? = nil
    var badEpochs = 0
    var history: [EpochFigures] = []
}

/// A place inside an epoch: the next mini-batch, the RNG state that drew the
/// epoch's order (so the same order is drawn again), and the loss so far.
struct EpochPosition: Codable {
    var batch: Int
    var orderRNG: [UInt64]
    var runningLoss: Double
}

/// One fine-tuning epoch's figures, kept in the model file's record.
public struct EpochFigures: Sendable, Codable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var validation: Double?
    public var seconds: Double
}

/// A checkpoint as read back: the saved state and the tensors it carries.
struct LoadedCheckpoint {
    var state: CheckpointState
    var rbms: [RBM]
    var currentRBM: (rbm: RBM, state: CDState, epoch: Int)?
    var network: Network?
    var best: Network?
    var optimizerTensors: [String: Matrix]
}

extension Trainer {
    static let stateKey = "checkpoint"
    static let settingsKey = "settings"

    func saveCheckpoint(
        _ state: CheckpointState, rbms: [RBM], current: (RBM, CDState, Int)?,
        network: Network?, best: Network?, optimizer: [String: Matrix] = [:]
    ) throws {
        var file = ModelFile()
        try file.setMetadata(state, forKey: Self.stateKey)
        try file.setMetadata(settings, forKey: Self.settingsKey)
        func put(_ m: Matrix, _ name: String) { file.setMatrix(m, forName: name) }
        for (i, r) in rbms.enumerated() { putRBM(r, "rbm.\(i)", put) }
        if let (r, s, _) = current {
            putRBM(r, "current", put)
            put(s.weights, "current.v.weight"); put(s.visibleBias, "current.v.vbias");
            put(s.hiddenBias, "current.v.hbias")
        }
        if let network { exportNetwork(network, prefix: "net").forEach { put($1, $0) } }
        if let best { exportNetwork(best, prefix: "best").forEach { put($1, $0) } }
        optimizer.forEach { put($1, $0) }
        try file.write(to: checkpointPath)
        progress(.checkpoint(path: checkpointPath))
    }

    private func putRBM(_ r: RBM, _ prefix: String, _ put: (Matrix, String) -> Void) {
        put(r.weights, "\(prefix).weight"); put(r.visibleBias, "\(prefix).vbias"); put(r.hiddenBias, "\(prefix).hbias")
    }

    /// Reads a checkpoint written by a run with identical settings; anything else is refused.
    static func loadCheckpoint(_ path: String, settings: TrainingSettings) throws -> LoadedCheckpoint {
        let file = try ModelFile.read(from: path)
        let saved = try file.requireMetadata(TrainingSettings.self, forKey: settingsKey)
        guard saved == settings else {
            throw LearningError(
                "\(path): checkpoint was made with different settings (recipe \(saved.recipe.rawValue), sizes \(saved.sizes), seed \(saved.seed)); resume with the same options or delete it"
            )
        }
        let state = try file.requireMetadata(CheckpointState.self, forKey: stateKey)
        var tensors: [String: Matrix] = [:]
        for name in file.tensorNames {
            let t = try file.tensor(name)
            guard t.shape.count == 2 else { throw LearningError("\(path): tensor \(name) is not a matrix") }
            tensors[name] = Matrix(rows: t.shape[0], cols: t.shape[1], storage: t.values)
        }
        func rbm(_ prefix: String, _ index: Int) throws -> RBM? {
            guard let w = tensors["\(prefix).weight"], let vb = tensors["\(prefix).vbias"],
                let hb = tensors["\(prefix).hbias"]
            else { return nil }
            let top = index == settings.sizes.count - 2
            let hidden: UnitKind = top && settings.codeActivation == .linear ? .linear : .binary
            guard w.rows == settings.sizes[index], w.cols == settings.sizes[index + 1],
                vb.count == w.rows, hb.count == w.cols
            else {
                throw LearningError("\(path): RBM tensors \(prefix).* do not match sizes \(settings.sizes)")
            }
            var seed = SeededRNG(seed: 0)
            var r = RBM(visibleUnits: w.rows, hiddenUnits: w.cols, hidden: hidden, rng: &seed)
            (r.weights, r.visibleBias, r.hiddenBias) = (w, vb, hb)
            return r
        }
        var rbms: [RBM] = []
        while rbms.count < settings.sizes.count - 1, let r = try rbm("rbm.\(rbms.count)", rbms.count) { rbms.append(r) }
        var current: (RBM, CDState, Int)? = nil
        if rbms.count < settings.sizes.count - 1, let r = try rbm("current", rbms.count),
            let vw = tensors["current.v.weight"], let vv = tensors["current.v.vbias"],
            let vh = tensors["current.v.hbias"]
        {
            var s = CDState(for: r)
            (s.weights, s.visibleBias, s.hiddenBias) = (vw, vv, vh)
            current = (r, s, state.epoch)
        }
        let shape = Trainer.emptyNetwork(settings)
        let network = importNetwork(tensors, prefix: "net", shape: shape)
        let best = importNetwork(tensors, prefix: "best", shape: shape)
        if state.phase == .finetune && network == nil {
            throw LearningError("\(path): checkpoint is missing the network tensors")
        }
        return LoadedCheckpoint(
            state: state, rbms: rbms, currentRBM: current, network: network, best: best,
            optimizerTensors: tensors.filter { $0.key.hasPrefix("adam.") || $0.key.hasPrefix("sgd.") })
    }
}
