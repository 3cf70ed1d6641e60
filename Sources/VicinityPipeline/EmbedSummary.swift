import VicinityData

/// What an embed run did: the figures `vicinity embed` prints.
public struct EmbedSummary: Sendable {
    public var store: String
    /// The model file (or vectors file) the codes came from, as given.
    public var model: String
    public var fingerprint: String
    public var codeDims: Int
    public var bits: Int
    /// Items in the input (in its partition, for a part).
    public var inputItems: Int
    /// Items written by this run.
    public var embedded: Int
    /// Input items the store held already (a resumed run).
    public var alreadyStored: Int
    /// Images that could not be used.
    public var skipped: [ImageFailure]
    /// Items in the store at the end.
    public var count: Int
    /// False when the run stopped on request before every missing item was written.
    public var complete: Bool
    /// Whether the store was rewritten in canonical form (not while another process has it open).
    public var canonical: Bool
    public var seconds: Double
    /// Reading the input, until the store opened.
    public var loadSeconds: Double
    public var embedSeconds: Double
    public var writeSeconds: Double
    /// The part of the input this run embedded, and how many items the whole input has.
    public var partition: EmbedPartition? = nil
    public var partitionInputItems: Int? = nil

    public var itemsPerSecond: Double { Double(embedded) / max(seconds, 1e-9) }

    /// The error an incomplete run ends with (after its summary is shown); nil when complete.
    public var stopped: EmbedStopped? {
        complete ? nil : EmbedStopped(written: embedded, todo: inputItems - alreadyStored)
    }
}

/// An embed run stopped on request: running it again finishes it.
public struct EmbedStopped: Error, CustomStringConvertible, Sendable {
    public var written: Int
    public var todo: Int
    public var description: String { "stopped after \(written) of \(todo) items; run the same command again to finish" }
}
