import NIOCore
import NIOTestUtils
import Testing
import VicinityProtocol

/// SwiftNIO's decoder verifier over inline and RESP requests, blank lines and empty arrays.
@Suite struct DecoderVerifierTests {
    @Test func nioVerifierAcceptsTheDecoder() throws {
        let pairs: [(String, [Request])] = [
            ("PING\r\n", [Request(words: ["PING"], style: .inline)]),
            ("KNN 5 ID train-1\n", [Request(words: ["KNN", "5", "ID", "train-1"], style: .inline)]),
            ("\nCOUNT\n", [Request(words: ["COUNT"], style: .inline)]),
            ("*3\r\n$3\r\nGET\r\n$2\r\nab\r\n$0\r\n\r\n", [Request(words: ["GET", "ab", ""], style: .resp)]),
            ("*2\r\n$4\r\nECHO\r\n$5\r\na b c\r\n", [Request(words: ["ECHO", "a b c"], style: .resp)]),
            ("ECHO \"two words\"\n", [Request(words: ["ECHO", "two words"], style: .inline)]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) {
            RequestDecoder(limits: ProtocolLimits())
        }
    }
}
