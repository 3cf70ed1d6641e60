import VicinityProtocol
import Foundation
import NIOCore
import NIOPosix

/// Settings of a running server.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 7878
    public var maxConnections = 1024
    /// Seconds a connection may sit with no traffic before it is closed.
    public var idleTimeout: Int64 = 300
    public var limits = ProtocolLimits()
    public var policy = CommandPolicy()
    public var threads = System.coreCount
    /// Where `GET /metrics` is served (Prometheus text); no port: not served. The host defaults to `host`.
    public var metricsHost: String?
    public var metricsPort: Int?
    /// How long an image query may wait for others to be embedded with (zero: only those
    /// read in the same turn of its event loop).
    public var embedWaitMicroseconds = 0
    public init() {}

    /// Whether `host` is a loopback address (binding elsewhere needs a token).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The SwiftNIO server: a bootstrap around `ConnectionHandler`.
public final class NetworkServer: Sendable {
    public let configuration: ServerConfiguration
    public let stats: ServerStats
    private let engine: any SearchEngine
    public let sets: VectorSets
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let metrics: MetricsEndpoint?

    /// Binds and starts accepting. Throws with a clear message when the address is taken or refused.
    public init(
        engine: any SearchEngine, sets: VectorSets = VectorSets(), configuration: ServerConfiguration,
        stats: ServerStats = ServerStats()
    ) throws {
        self.stats = stats
        if !configuration.isLoopback && configuration.policy.authToken == nil {
            throw ServerError(
                "refusing to listen on \(configuration.host) without --auth-token (only loopback addresses may go without one)"
            )
        }
        self.engine = engine
        self.sets = sets
        var configuration = configuration
        configuration.policy.settings.merge([
            "port": "\(configuration.port)", "bind": configuration.host,
            "maxclients": "\(configuration.maxConnections)",
            "timeout": "\(configuration.idleTimeout)", "requirepass": "",
        ]) { old, _ in old }
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let config = configuration
        let batchers = EmbedBatchers(
            group: group, engine: engine, stats: stats, wait: .microseconds(Int64(configuration.embedWaitMicroseconds)))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // `nc` half-closes after its input: the replies to what it sent still go out.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.accept(
                        channel, config: config, engine: engine, sets: sets, stats: stats,
                        batcher: batchers.batcher(for: channel.eventLoop))
                }
            }
        do {
            channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ServerError("cannot listen on \(configuration.host):\(configuration.port): \(describe(error))")
        }
        do {
            if let port = configuration.metricsPort {
                metrics = try MetricsEndpoint(
                    host: config.metricsHost ?? config.host, port: port, group: group,
                    exposition: { stats.exposition(engine: engine) })
            } else {
                metrics = nil
            }
        } catch {
            try? channel.close().wait()
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Sets up a new connection, or refuses it with MAXCLIENTS when `maxConnections` are open.
    private static func accept(
        _ channel: any Channel, config: ServerConfiguration, engine: any SearchEngine, sets: VectorSets,
        stats: ServerStats, batcher: EmbedBatcher
    ) throws {
        guard let clientID = stats.admit(limit: config.maxConnections) else {
            stats.log.refused(peer: channel.remoteAddress.map(Self.text(of:)) ?? "", limit: config.maxConnections)
            var b = channel.allocator.buffer(capacity: 64)
            Reply.err("MAXCLIENTS", "too many connections (\(config.maxConnections)); try again later")
                .write(to: &b, .plain)
            channel.writeAndFlush(b).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        channel.closeFuture.whenComplete { _ in stats.release(clientID: clientID) }
        try channel.pipeline.syncOperations.addHandlers([
            // Idle as Redis's `timeout` means it: no command for that long. (Watching writes
            // too cost a promise, an allocation, on every reply.)
            IdleStateHandler(readTimeout: .seconds(config.idleTimeout)),
            BackPressureHandler(),
            ConnectionHandler(
                engine: engine, sets: sets, policy: config.policy, limits: config.limits, stats: stats,
                batcher: batcher, clientID: clientID),
        ])
    }

    /// `ip:port`, as CLIENT LIST and the log show a peer.
    static func text(of address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "" }
        return "\(ip):\(port)"
    }

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? configuration.port }

    /// The metrics endpoint's port actually bound; nil when it is off.
    public var metricsPort: Int? { metrics?.port }

    /// Stops accepting, lets open connections finish what they have read, then closes them and stops the loops.
    public func shutdown(grace: TimeAmount = .seconds(2)) {
        metrics?.close()
        try? channel.close().wait()
        let deadline = NIODeadline.now() + grace
        while stats.openConnections > 0 && NIODeadline.now() < deadline { usleep(20_000) }
        try? group.syncShutdownGracefully()
    }

    /// Blocks until the listening socket closes.
    public func wait() throws { try channel.closeFuture.wait() }
}

public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A bind failure in words a person acts on.
func describe(_ error: Error) -> String {
    let text = "\(error)"
    if text.contains("Address already in use") || text.contains("errno: 98") { return "the address is already in use" }
    return text
}

/// Raises the soft limit on open files to the hard limit, so `maxConnections`
/// sockets fit; returns the limit now in force.
@discardableResult
public func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }
    return Int(limit.rlim_cur)
}

#if canImport(Glibc)
    private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
    private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
