import NIOCore

/// Image queries from every connection of one event loop, embedded by the model in one
/// pass. A connection hands over the images of the requests it has read and waits; the
/// pass runs once the loop has handled the reads that arrived in the same turn (and at
/// most `wait` later, when a wait is set), so a reply waits for company no longer than
/// that. Each code is what its image gets alone (`RowBlocks`), whatever its company.
/// Used only on its own loop, like the connections it serves.
final class EmbedBatcher {
    private let loop: any EventLoop
    private let engine: any SearchEngine
    private let stats: ServerStats
    private let wait: TimeAmount
    private var images: [[Float]] = []
    private var waiters: [(range: Range<Int>, resume: ([[Float]]?) -> Void)] = []
    private var scheduled = false

    /// More images than this go through the model now rather than wait for more.
    static let most = 256

    init(loop: any EventLoop, engine: any SearchEngine, stats: ServerStats, wait: TimeAmount) {
        self.loop = loop
        self.engine = engine
        self.stats = stats
        self.wait = wait
    }

    /// Queues `batch` for the next pass; `resume` gets its codes in order (nil when the model
    /// refused them, so each request is embedded alone and gets its own error). Never calls
    /// `resume` before returning: the caller sets its waiting state first.
    func submit(_ batch: [[Float]], resume: @escaping ([[Float]]?) -> Void) {
        loop.preconditionInEventLoop()
        waiters.append((images.count..<images.count + batch.count, resume))
        images += batch
        let bound = NIOLoopBound(self, eventLoop: loop)
        if images.count >= Self.most || wait == .zero {
            if !scheduled || images.count >= Self.most {
                scheduled = true
                loop.execute { bound.value.flush() }
            }
        } else if !scheduled {
            scheduled = true
            loop.scheduleTask(in: wait) { bound.value.flush() }
        }
    }

    /// Embeds every queued image in one pass and resumes their connections in the order they came.
    private func flush() {
        scheduled = false
        let (batch, resumed) = (images, waiters)
        images = []
        waiters = []
        guard !batch.isEmpty else { return }
        let codes = try? engine.embed(images: batch)
        stats.recordEmbedPass(images: batch.count)
        for w in resumed { w.resume(codes.map { Array($0[w.range]) }) }
    }
}

/// The batcher of each event loop of a server, found by the loop a connection runs on.
/// Immutable after start; each batcher is touched only on its own loop.
final class EmbedBatchers: @unchecked Sendable {
    private let byLoop: [ObjectIdentifier: EmbedBatcher]

    init(group: any EventLoopGroup, engine: any SearchEngine, stats: ServerStats, wait: TimeAmount) {
        var byLoop: [ObjectIdentifier: EmbedBatcher] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = EmbedBatcher(loop: loop, engine: engine, stats: stats, wait: wait)
        }
        self.byLoop = byLoop
    }

    func batcher(for loop: any EventLoop) -> EmbedBatcher { byLoop[ObjectIdentifier(loop)]! }
}
