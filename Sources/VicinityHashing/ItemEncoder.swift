import VicinityLearning
import VicinityMath

/// Turns images into what a store keeps: the model's float codes and, when the
/// store keeps bits, their packed binary codes. `vicinity embed` and the
/// server's ADD both go through here, so an item gets the same bits either way.
public struct ItemEncoder: Sendable {
    /// Which bits to keep.
    public enum BitsChoice: String, Sendable, CaseIterable {
        /// Bits when the code layer is logistic (threshold 0.5), none otherwise.
        case auto
        /// Always: 0.5 for logistic code units, 0 otherwise.
        case threshold
        case none
    }

    public let model: EmbeddingModel
    /// Bits per item; 0 when no bits are kept.
    public let bits: Int
    /// Bit j is set when code value j is above this.
    public let threshold: Float

    public init(model: EmbeddingModel, bits choice: BitsChoice) {
        self.model = model
        let logistic = model.architecture.activations[model.encoderDepth - 1] == .logistic
        switch choice {
        case .none: bits = 0
        case .auto: bits = logistic ? model.outputDims : 0
        case .threshold: bits = model.outputDims
        }
        threshold = logistic ? 0.5 : 0
    }

    /// A store's encoder: the bit count it was made with (0 or the code size).
    public init(model: EmbeddingModel, storeBits: Int) {
        self.init(model: model, bits: storeBits == 0 ? .none : .threshold)
    }

    /// Codes (N×dims) and packed bits (`bits` per row; empty codes when bits is 0).
    public func encode(_ pixels: Matrix) -> (codes: Matrix, bits: BinaryCodes) {
        let codes = model.embed(pixels)
        guard bits > 0 else { return (codes, BinaryCodes(bits: 1)) }
        return (codes, BinaryCodes(thresholding: codes, at: threshold))
    }
}
