import VicinityData
import VicinityLearning
import VicinityCodes
import VicinityMath

/// Turns images into what a store keeps: the model's float codes and, when the
/// store keeps bits, their packed binary codes. `vicinity embed` and the
/// server's ADD both go through here, so an item gets the same bits either way.
public struct ItemEncoder: Sendable {
    /// Which bits to keep.
    public enum BitsChoice: String, Sendable, CaseIterable {
        /// The binary head's bits when the model has one, else bits when the code layer is
        /// logistic (threshold 0.5), else none.
        case auto
        /// Always: the head's bits, or the code thresholded (0.5 for logistic units, 0 otherwise).
        case threshold
        case none
    }

    public let model: EmbeddingModel
    /// Bits per item; 0 when no bits are kept.
    public let bits: Int
    /// Bit j is set when code value j (or head output j) is above this.
    public let threshold: Float
    /// Counts the words of a text as the model's input, for models of word counts.
    public let vocabulary: Vocabulary?

    public init(model: EmbeddingModel, bits choice: BitsChoice) {
        self.model = model
        let logistic = model.head != nil || model.architecture.activations[model.encoderDepth - 1] == .logistic
        let available = model.head?.outputDims ?? model.outputDims
        switch choice {
        case .none: bits = 0
        case .auto: bits = logistic ? available : 0
        case .threshold: bits = available
        }
        threshold = logistic ? 0.5 : 0
        vocabulary = model.textVocabulary
    }

    /// A store's encoder: the bit count it was made with (0 or the model's bits).
    public init(model: EmbeddingModel, storeBits: Int) {
        self.init(model: model, bits: storeBits == 0 ? .none : .threshold)
    }

    /// Whether this model's bits come out near-binary (a head or a logistic code layer).
    public var learned: Bool { threshold == 0.5 }

    /// Codes (N×dims) and packed bits (`bits` per row; empty codes when bits is 0).
    public func encode(_ pixels: Matrix) -> (codes: Matrix, bits: BinaryCodes) {
        let codes = model.embed(pixels)
        return (codes, self.bits(ofCodes: codes))
    }

    /// The packed bits of codes the model made (through the head when there is one).
    public func bits(ofCodes codes: Matrix) -> BinaryCodes {
        guard bits > 0 else { return BinaryCodes(bits: 1) }
        return BinaryCodes(thresholding: model.headOutputs(codes) ?? codes, at: threshold)
    }
}
