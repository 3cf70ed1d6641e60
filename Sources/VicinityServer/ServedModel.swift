import VicinityCodes
import VicinityMath
import VicinityPipeline

/// How every engine embeds what a client sends (RAW, U8 and ADD pixels) with its optional model,
/// and the errors a client gets when there is none or the size is wrong.
extension Optional where Wrapped == ItemEncoder {
    /// The codes of several images in one pass; each equals what the image gets embedded alone.
    public func embedImages(_ images: [[Float]]) throws -> [[Float]] {
        guard let encoder = self else {
            throw EngineError("NOMODEL", "the server was started without --model; RAW needs one")
        }
        let d = encoder.model.inputDims
        guard images.allSatisfy({ $0.count == d }) else {
            throw EngineError("DIM", "an image does not have \(d) pixels")
        }
        let codes = encoder.model.embed(Matrix(rows: images.count, cols: d, storage: images.flatMap { $0 }))
        return (0..<codes.rows).map { codes.row($0) }
    }

    /// A text as the model's input: how often each word of the model's vocabulary occurs in it.
    public func input(ofText text: String) throws -> [Float] {
        guard let encoder = self else {
            throw EngineError("NOMODEL", "the server was started without --model; TEXT needs one")
        }
        guard let vocabulary = encoder.vocabulary else {
            throw EngineError(
                "BADARG",
                "\(encoder.model.name) was not trained on word counts (it records no vocabulary); TEXT needs such a model"
            )
        }
        let counts = vocabulary.counts(of: text)
        // All zeros would still embed, to a code that says nothing about the text.
        guard counts.contains(where: { $0 > 0 }) else {
            throw EngineError("BADARG", "the text has none of the model's \(vocabulary.count) vocabulary words")
        }
        return counts
    }

    /// The packed bits (as BITS bytes) the model gives an input (pixels, or a text's counts).
    public func bitsBytes(ofInput input: [Float]) throws -> [UInt8] {
        if let encoder = self, encoder.bits == 0 { throw EngineError("NOBITS", "this store keeps no binary codes") }
        return try embedPixels(input).bits.toBytes()
    }

    /// One image's code and bits.
    public func embedPixels(_ pixels: [Float]) throws -> (codes: Matrix, bits: BinaryCodes) {
        guard let encoder = self else {
            throw EngineError("NOMODEL", "the server was started without --model; RAW needs one")
        }
        guard pixels.count == encoder.model.inputDims else {
            throw EngineError("DIM", "RAW has \(pixels.count) pixels; the model takes \(encoder.model.inputDims)")
        }
        return encoder.encode(Matrix(rows: 1, cols: pixels.count, storage: pixels))
    }
}
