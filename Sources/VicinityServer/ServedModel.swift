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
