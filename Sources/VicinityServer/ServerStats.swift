import Foundation
import Synchronization

/// Counters shown by INFO, updated from every event loop.
public final class ServerStats: Sendable {
    private struct Counts {
        var requests = 0
        var errors = 0
        var protocolErrors = 0
        var nanoseconds: UInt64 = 0
        var perCommand: [String: Int] = [:]
        var connections = 0
        var totalConnections = 0
        var refusedConnections = 0
    }
    private let counts = Mutex(Counts())
    public let started = Date()

    public init() {}

    func record(command: String, nanoseconds: Int64, failed: Bool) {
        counts.withLock {
            $0.requests += 1
            $0.nanoseconds &+= UInt64(max(0, nanoseconds))
            if failed { $0.errors += 1 }
            $0.perCommand[command.uppercased(), default: 0] += 1
        }
    }

    func recordProtocolError() { counts.withLock { $0.protocolErrors += 1 } }

    /// Admits a connection unless `limit` are open already.
    func admit(limit: Int) -> Bool {
        counts.withLock {
            guard $0.connections < limit else { $0.refusedConnections += 1; return false }
            $0.connections += 1
            $0.totalConnections += 1
            return true
        }
    }

    func release() { counts.withLock { $0.connections -= 1 } }

    public var openConnections: Int { counts.withLock { $0.connections } }

    public func fields() -> [(String, String)] {
        let c = counts.withLock { $0 }
        let mean = c.requests == 0 ? 0 : Double(c.nanoseconds) / Double(c.requests) / 1000
        return [
            ("uptime_seconds", String(Int(Date().timeIntervalSince(started)))),
            ("connections", "\(c.connections)"), ("connections_total", "\(c.totalConnections)"),
            ("connections_refused", "\(c.refusedConnections)"),
            ("requests", "\(c.requests)"), ("request_errors", "\(c.errors)"), ("protocol_errors", "\(c.protocolErrors)"),
            ("mean_request_microseconds", String(format: "%.1f", mean)),
            ("requests_by_command", c.perCommand.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
        ]
    }
}
