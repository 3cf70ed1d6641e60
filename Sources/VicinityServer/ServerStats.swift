import VicinityProtocol
import Foundation
import Synchronization

/// Counters shown by INFO, the slow log and the client list, updated from every event loop.
public final class ServerStats: Sendable {
    struct CommandCounts: Sendable {
        var calls = 0
        var failed = 0
        var nanoseconds: UInt64 = 0
    }
    /// What CLIENT LIST shows of one connection.
    struct ClientRecord: Sendable {
        var session: Session
        var connected: Date
        var lastActive: Date
        var lastCommand = "NULL"

        mutating func touch(_ now: Session, command: String, at time: Date) {
            session = now
            lastActive = time
            lastCommand = command
        }
    }
    /// One slow request (SLOWLOG GET).
    struct SlowEntry: Sendable {
        var id: Int
        var time: Int
        var microseconds: Int
        var arguments: [String]
        var peer: String
        var name: String
    }
    private struct Counts {
        var requests = 0
        var errors = 0
        var protocolErrors = 0
        var embedPasses = 0
        var imagesEmbedded = 0
        var nanoseconds: UInt64 = 0
        var perCommand: [String: CommandCounts] = [:]
        var connections = 0
        var totalConnections = 0
        var refusedConnections = 0
        var nextClientID = 1
        var clients: [Int: ClientRecord] = [:]
        var slowlog: [SlowEntry] = []
        var nextSlowID = 0
    }
    private let counts = Mutex(Counts())
    public let started = Date()
    /// The Prometheus view of the same counts, fed here as they are counted.
    public let metrics = ServerMetrics()
    public let log: ServerLog

    public init(log: ServerLog = .silent) { self.log = log }

    /// Counts one request; requests slower than `slowMicroseconds` (≥ 0) enter the slow log.
    func record(
        _ words: [String], nanoseconds: Int64, failed: Bool, session: Session, slowMicroseconds: Int = -1,
        slowLength: Int = 128
    ) {
        let label = ServerMetrics.label(words.first)
        let name = label != ServerMetrics.otherLabel ? label : words.first?.lowercased() ?? ""
        let ns = UInt64(max(0, nanoseconds))
        metrics.recordRequest(label: label, nanoseconds: ns, failed: failed)
        let us = Int(ns / 1000)
        if slowMicroseconds >= 0 && us >= slowMicroseconds {
            log.slowRequest(command: label, microseconds: us, peer: session.peer)
        }
        let now = Date()
        counts.withLock {
            $0.requests += 1
            $0.nanoseconds &+= ns
            if failed { $0.errors += 1 }
            Self.count(&$0.perCommand[name, default: CommandCounts()], ns, failed)
            // Changed in place: copying the record out and back cost a retain per field.
            $0.clients[session.clientID]?.touch(session, command: name, at: now)
            if slowMicroseconds >= 0 && us >= slowMicroseconds && slowLength > 0 {
                let args = words.prefix(32).map {
                    $0.count > 128 ? String($0.prefix(128)) + "... (\($0.count - 128) more bytes)" : $0
                }
                $0.slowlog.insert(
                    SlowEntry(
                        id: $0.nextSlowID, time: Int(Date().timeIntervalSince1970), microseconds: us,
                        arguments: args, peer: session.peer, name: session.name), at: 0)
                $0.nextSlowID += 1
                if $0.slowlog.count > slowLength { $0.slowlog.removeLast($0.slowlog.count - slowLength) }
            }
        }
    }

    private static func count(_ c: inout CommandCounts, _ ns: UInt64, _ failed: Bool) {
        c.calls += 1
        c.nanoseconds &+= ns
        if failed { c.failed += 1 }
    }

    /// One pass of the model over image queries that arrived together.
    func recordEmbedPass(images: Int) {
        counts.withLock {
            $0.embedPasses += 1
            $0.imagesEmbedded += images
        }
    }

    func recordProtocolError() {
        counts.withLock { $0.protocolErrors += 1 }
        metrics.recordProtocolError()
    }

    /// A finished SNAPSHOT: its time for the metrics, a line for the log.
    func recordSnapshot(path: String, items: Int, seconds: Double) {
        metrics.recordSnapshot(at: Date())
        log.snapshot(path: path, items: items, seconds: seconds)
    }

    /// Admits a connection unless `limit` are open already; returns its client id, or nil.
    func admit(limit: Int) -> Int? {
        let id: Int? = counts.withLock { c in
            guard c.connections < limit else { c.refusedConnections += 1; return nil }
            c.connections += 1
            c.totalConnections += 1
            c.nextClientID += 1
            return c.nextClientID - 1
        }
        metrics.recordConnection(admitted: id != nil)
        return id
    }

    /// Lists a connection for CLIENT LIST from its first request on.
    func register(_ session: Session) {
        counts.withLock {
            $0.clients[session.clientID] = ClientRecord(session: session, connected: Date(), lastActive: Date())
        }
    }

    func release(clientID: Int?) {
        counts.withLock {
            $0.connections -= 1
            if let clientID { $0.clients[clientID] = nil }
        }
    }

    public var openConnections: Int { counts.withLock { $0.connections } }

    /// What `GET /metrics` answers: the metrics, with the engine's and the connections' gauges read now.
    func exposition(engine: any SearchEngine) -> [UInt8] {
        metrics.exposition(
            openConnections: openConnections, items: engine.count(), storeBytes: engine.storeBytes(), started: started)
    }

    /// Requests answered since start.
    public var requests: Int { counts.withLock { $0.requests } }

    var clients: [ClientRecord] {
        counts.withLock { $0.clients.values.sorted { $0.session.clientID < $1.session.clientID } }
    }
    func client(_ id: Int) -> ClientRecord? { counts.withLock { $0.clients[id] } }

    var commandCounts: [(String, CommandCounts)] { counts.withLock { $0.perCommand.sorted { $0.key < $1.key } } }

    func slowlog(_ count: Int) -> [SlowEntry] { counts.withLock { Array($0.slowlog.prefix(count)) } }
    var slowlogLength: Int { counts.withLock { $0.slowlog.count } }
    func resetSlowlog() { counts.withLock { $0.slowlog.removeAll() } }

    /// Totals for Redis-format INFO.
    var totals: (requests: Int, errors: Int, connections: Int, total: Int, refused: Int) {
        counts.withLock { ($0.requests, $0.errors, $0.connections, $0.totalConnections, $0.refusedConnections) }
    }

    /// The plain-text INFO's server fields, as they always were.
    public func fields() -> [(String, String)] {
        let c = counts.withLock { $0 }
        let mean = c.requests == 0 ? 0 : Double(c.nanoseconds) / Double(c.requests) / 1000
        let byCommand = c.perCommand.sorted { $0.key < $1.key }.map { "\($0.key.uppercased())=\($0.value.calls)" }
        return [
            ("uptime_seconds", String(Int(Date().timeIntervalSince(started)))),
            ("connections", "\(c.connections)"), ("connections_total", "\(c.totalConnections)"),
            ("connections_refused", "\(c.refusedConnections)"),
            ("requests", "\(c.requests)"), ("request_errors", "\(c.errors)"),
            ("protocol_errors", "\(c.protocolErrors)"),
            ("mean_request_microseconds", String(format: "%.1f", mean)),
            ("requests_by_command", byCommand.joined(separator: ",")),
            ("image_queries_embedded", "\(c.imagesEmbedded)"), ("embed_passes", "\(c.embedPasses)"),
        ]
    }
}
