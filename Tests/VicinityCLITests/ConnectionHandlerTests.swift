import NIOCore
import NIOEmbedded
import Testing
import VicinityProtocol
@testable import VicinityServer

/// The connection handler and command table in process, on an EmbeddedChannel over a real store:
/// requests split across reads, pipelined, in both styles; auth; a framing error closes.
@Suite struct ConnectionHandlerTests {
    static let fixture = Result { try ServedStore() }

    func connect(token: String? = nil) throws -> EmbeddedChannel {
        let fixture = try Self.fixture.get()
        let engine = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: true)
        let channel = EmbeddedChannel()
        let stats = ServerStats()
        let handler = ConnectionHandler(
            engine: engine, sets: VectorSets(), policy: CommandPolicy(authToken: token),
            limits: ProtocolLimits(), stats: stats,
            batcher: EmbedBatcher(loop: channel.eventLoop, engine: engine, stats: stats, wait: .zero), clientID: 1)
        try channel.pipeline.syncOperations.addHandler(handler)
        return channel
    }

    /// Feeds `chunks` as separate reads and returns everything written back.
    func exchange(_ channel: EmbeddedChannel, _ chunks: [String]) throws -> String {
        var out = ""
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(string: chunk))
            channel.embeddedEventLoop.run()  // the batcher's pass over image queries
            while let reply = try channel.readOutbound(as: ByteBuffer.self) { out += String(buffer: reply) }
        }
        return out
    }

    @Test func pipelinedRequestsSplitAcrossReadsAnswerInOrder() throws {
        let channel = try connect()
        let text = "PING\r\nCOUNT\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nGET train-3\r\n"
        let whole = try exchange(channel, [text])
        #expect(whole.hasPrefix("PONG\n300\n$2\r\nhi\r\nid train-3\n"), "\(whole)")
        // The same bytes one at a time give the same replies.
        let split = try exchange(try connect(), text.map { String($0) })
        #expect(split == whole)
        // KNN in both styles lists the same ids.
        let plain = try exchange(channel, ["KNN 3 ID train-7\r\n"])
        let resp = try exchange(channel, ["*4\r\n$3\r\nKNN\r\n$1\r\n3\r\n$2\r\nID\r\n$7\r\ntrain-7\r\n"])
        let plainIDs = plain.split(separator: "\n").dropLast().map { $0.split(separator: " ")[1] }
        #expect(plainIDs.count == 3 && plainIDs.allSatisfy { resp.contains($0) }, "\(plain) vs \(resp)")
    }

    @Test func authIsRequiredWhenATokenIsSet() throws {
        let channel = try connect(token: "s3cret")
        #expect(try exchange(channel, ["COUNT\r\n"]).hasPrefix("ERR NOAUTH"))
        #expect(try exchange(channel, ["AUTH wrong\r\n"]).hasPrefix("ERR"))
        #expect(try exchange(channel, ["AUTH s3cret\r\n", "COUNT\r\n"]) == "OK\n300\n")
    }

    @Test func aFramingErrorGetsOneReplyThenTheConnectionCloses() throws {
        let channel = try connect()
        let reply = try exchange(channel, ["*2\r\n$x\r\n"])
        #expect(reply.hasPrefix("-PROTOCOL malformed RESP request") && reply.hasSuffix("\r\n"), "\(reply)")
        #expect(!channel.isActive)
    }
}
