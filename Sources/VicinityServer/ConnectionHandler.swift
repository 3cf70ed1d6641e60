import VicinityProtocol
import NIOCore

/// One client connection: splits the byte stream into requests, runs each
/// through the command table in order, and writes the replies in the request's
/// style. A framing error gets one error reply, then the connection closes; no
/// error here ever reaches the server itself.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: any SearchEngine
    private let sets: VectorSets
    private let policy: CommandPolicy
    private let stats: ServerStats
    private let batcher: EmbedBatcher
    private var decoder: RequestDecoder
    private var session: Session
    private var pending: ByteBuffer?
    private var closing = false
    /// The client has finished sending (e.g. `nc` at end of input): answer what it sent, then close.
    private var inputClosed = false

    init(
        engine: any SearchEngine, sets: VectorSets, policy: CommandPolicy, limits: ProtocolLimits, stats: ServerStats,
        batcher: EmbedBatcher, clientID: Int
    ) {
        self.batcher = batcher
        self.engine = engine
        self.sets = sets
        self.policy = policy
        self.stats = stats
        decoder = RequestDecoder(limits: limits)
        session = Session(authenticated: policy.authToken == nil, clientID: clientID)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        session.peer = Self.describe(context.channel.remoteAddress)
        session.local = Self.describe(context.channel.localAddress)
        stats.register(session)
    }

    private static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "" }
        return "\(ip):\(port)"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var incoming = unwrapInboundIn(data)
        if pending == nil { pending = incoming } else { pending!.writeBuffer(&incoming) }
        processPending(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Requests that waited while the client was not reading run now.
        if context.channel.isWritable { processPending(context: context); context.flush() }
        context.fireChannelWritabilityChanged()
    }

    /// Runs every complete request in the buffer, pausing while the client is not
    /// reading its replies (the BackPressureHandler then stops reading from it too),
    /// and while the event loop's batcher embeds the image queries of the requests taken.
    private func processPending(context: ChannelHandlerContext) {
        guard waiting == nil, var buffer = pending else { return }
        defer { pending = buffer.readableBytes > 0 ? buffer : nil }
        var out = context.channel.allocator.buffer(capacity: 256)
        while !closing && context.channel.isWritable {
            // Take what has arrived (up to a window), so that image queries pipelined
            // together are embedded in one pass; none waits for requests not yet here.
            var batch: [Request] = []
            var failure: Failure?
            do {
                while batch.count < Self.window, let request = try decoder.next(&buffer) {
                    if !request.words.isEmpty { batch.append(request) }
                }
            } catch let error as ProtocolError {
                // The reply's style is that of the request the error is in.
                let resp = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "*")
                failure = Failure(error: error, style: resp ? .resp : .inline)
            } catch {
                closing = true
                context.close(promise: nil)
                return
            }
            let images = CommandTable.imageQueries(in: batch, engine: engine)
            if !images.isEmpty {
                // Replies stay in order: nothing after this batch runs until its codes are back.
                waiting = Waiting(batch: batch, owners: images.map(\.request), failure: failure)
                let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
                let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
                batcher.submit(images.map(\.pixels)) { codes in
                    bound.value.resume(codes, context: boundContext.value)
                }
                break
            }
            guard run(batch, failure: failure, into: &out, context: context) else { return }
            if batch.count < Self.window { break }
        }
        if out.readableBytes > 0 { context.write(wrapOutboundOut(out), promise: nil) }
    }

    /// Requests read and held while their image queries are being embedded.
    private struct Waiting {
        var batch: [Request]
        var owners: [Int]
        var failure: Failure?
    }

    /// A framing error met after a batch's requests, answered after them.
    private struct Failure {
        var error: ProtocolError
        var style: Request.Style
    }
    private var waiting: Waiting?

    /// The codes of the waiting batch are back: answer it, then carry on with what has arrived since.
    private func resume(_ codes: [[Float]]?, context: ChannelHandlerContext) {
        guard var w = waiting else { return }
        waiting = nil
        guard !closing, context.channel.isActive else { return }
        if let codes { for (i, code) in zip(w.owners, codes) { w.batch[i].code = code } }
        var out = context.channel.allocator.buffer(capacity: 256)
        guard run(w.batch, failure: w.failure, into: &out, context: context) else { return }
        if out.readableBytes > 0 { context.write(wrapOutboundOut(out), promise: nil) }
        processPending(context: context)
        context.flush()
        closeIfDone(context: context)
    }

    /// Answers the requests of one batch into `out`, then its framing error if it ended in one.
    /// Returns false when the connection is closing.
    private func run(
        _ batch: [Request], failure: Failure?, into out: inout ByteBuffer, context: ChannelHandlerContext
    ) -> Bool {
        for request in batch where !closing {
            let started = NIODeadline.now()
            let reply = CommandTable.dispatch(
                request, engine: engine, sets: sets, policy: policy, stats: stats,
                session: &session)
            finished(reply, request: request, started: started, into: &out)
            if out.readableBytes > 64 * 1024 {  // keep replies to pipelined bursts moving
                context.write(wrapOutboundOut(out), promise: nil)
                out = context.channel.allocator.buffer(capacity: 256)
            }
            if session.closeAfterReply {
                closing = true
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
                return false
            }
        }
        if let failure {
            fail(failure.error, style: failure.style, out: &out, context: context)
            return false
        }
        return true
    }

    /// Most requests taken from the buffer at once.
    static let window = 64

    /// Records and encodes a reply.
    private func finished(_ reply: Reply, request: Request, started: NIODeadline, into out: inout ByteBuffer) {
        stats.record(
            request.words, nanoseconds: (NIODeadline.now() - started).nanoseconds, failed: reply.isError,
            session: session, slowMicroseconds: policy.slowlogMicroseconds, slowLength: policy.slowlogLength)
        reply.write(to: &out, ReplyEncoding(style: request.style, protocolVersion: session.protocolVersion))
    }

    /// After a half-close, closes once every request received has been answered.
    private func closeIfDone(context: ChannelHandlerContext) {
        guard inputClosed, !closing, waiting == nil else { return }
        closing = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func fail(
        _ error: ProtocolError, style: Request.Style, out: inout ByteBuffer, context: ChannelHandlerContext
    ) {
        closing = true
        stats.recordProtocolError()
        if error.kind != .httpRequest {
            Reply.err("PROTOCOL", error.message + "; closing the connection")
                .write(to: &out, ReplyEncoding(style: style, protocolVersion: session.protocolVersion))
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            inputClosed = true
            closeIfDone(context: context)
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            closing = true
            context.close(promise: nil)  // idle too long
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A vanished or misbehaving client: drop it; the server carries on.
        closing = true
        context.close(promise: nil)
    }
}
