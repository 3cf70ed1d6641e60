/// What a training run reports as it goes; the CLI turns these into a progress bar.
public enum TrainingEvent: Sendable {
    /// A phase begins: "pretrain 784-500 (binary)", "fine-tune nca", …
    case phase(name: String, epochs: Int, batchesPerEpoch: Int, samplesPerBatch: Int)
    /// A mini-batch finished.
    case batch(epoch: Int, batch: Int, loss: Float)
    /// An epoch finished, with the mean training loss and the validation figure (lower is better).
    case epoch(epoch: Int, loss: Float, validation: Double?, seconds: Double)
    case checkpoint(path: String)
    case message(String)
}

/// Thrown when training stops on request (Ctrl-C) after saving a checkpoint.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let checkpoint: String
    public var description: String { "interrupted; checkpoint saved to \(checkpoint) (continue with --resume)" }
}
