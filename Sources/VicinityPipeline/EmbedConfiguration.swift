import Foundation
import VicinityData

/// Which splits of a named data set an embed run reads: train, test, or all (train then test).
public enum EmbedSplit: String, Sendable, CaseIterable {
    case train, test, all
}

/// Everything one embed run needs, as plain values (`vicinity embed` fills it from its options).
public struct EmbedConfiguration {
    /// Where the items come from.
    public enum Input {
        /// `fashion-mnist` or an MNIST-layout folder; ids `train-17`, `test-3`.
        case dataset(String, split: EmbedSplit)
        /// An image folder, IDX file or CSV file, with `labels` (a labels file) replacing its own.
        case images(String, labels: String?, fit: ImageFit)
        /// Texts as JSON lines (`id`, `text`, optional `label`), counted with a model's vocabulary.
        case documents(String)
        /// `count` perturbed copies of a named data set's training images (`PerturbedImages`),
        /// made a batch at a time as they are embedded; ids `p00000000`, ….
        case perturbed(String, count: Int, seed: UInt64)
        /// CSV lines `id,label,p1,…,pD` (pixels 0–255), embedded as they arrive; named `stdin`.
        case csvStream(FileHandle)
        /// Vectors made elsewhere (.npy) are the codes themselves, no model: `bits` a packed uint8
        /// .npy, `ids` one per line, `labels` an integer .npy.
        case vectors(String, bits: String?, ids: String?, labels: String?)
    }

    public var input: Input
    /// The model file; nil with `.vectors`.
    public var model: String?
    /// Which bits a model's items keep.
    public var bits: ItemEncoder.BitsChoice
    /// The store directory.
    public var store: String
    /// Put before every id.
    public var idPrefix: String?
    /// Items per transaction and per embedding batch.
    public var batch: Int
    /// Fail, writing nothing, if any image cannot be used.
    public var strict: Bool
    /// Clear the store first.
    public var rebuild: Bool
    /// Per-item attributes (JSON lines or CSV with an id column), written once every item is stored.
    public var attributes: String?
    /// Only this part of the input's windows (`vicinity embed --partition i/n`); nil: all of it.
    public var partition: EmbedPartition?
    /// When the run began: its load time counts from here.
    public var started: Date

    public init(
        input: Input, model: String?, store: String, bits: ItemEncoder.BitsChoice = .auto,
        idPrefix: String? = nil, batch: Int = 5000, strict: Bool = false, rebuild: Bool = false,
        attributes: String? = nil, partition: EmbedPartition? = nil, started: Date = Date()
    ) {
        self.input = input
        self.model = model
        self.bits = bits
        self.store = store
        self.idPrefix = idPrefix
        self.batch = batch
        self.strict = strict
        self.rebuild = rebuild
        self.attributes = attributes
        self.partition = partition
        self.started = started
    }

    /// What the store and the messages call the codes' maker: the model file, or the vectors file.
    var madeByPath: String {
        if case .vectors(let path, _, _, _) = input { return path }
        return model ?? ""
    }
}
