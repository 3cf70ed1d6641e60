import NIOCore

/// The decoder as a SwiftNIO single-step decoder, so NIO's own `ByteToMessageDecoderVerifier`
/// (drip-fed bytes, many requests per buffer, one per buffer) checks it; `next` stays the one
/// decoding path.
extension RequestDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Request

    public mutating func decode(buffer: inout ByteBuffer) throws -> Request? { try next(&buffer) }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Request? { try next(&buffer) }
}
