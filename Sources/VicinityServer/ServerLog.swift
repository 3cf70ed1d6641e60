import Foundation
import Logging
import VicinityProtocol

/// The server's log: one line on standard error for each start, stop, snapshot, slow request and
/// connection refused at the limit (swift-log's stream handler: ISO-8601 time, level, `key=value`
/// fields, message). Nothing per request at info: slow requests only.
public struct ServerLog: Sendable {
    /// The names `--log-level` takes, quietest last.
    public static let levels = Logger.Level.allCases.map(\.rawValue)

    let logger: Logger

    /// Lines at `level` or above go to standard error; throws, naming the choices, for another name.
    public init(level: String) throws {
        guard let threshold = Logger.Level(rawValue: level.lowercased()) else {
            throw ServerError("unknown log level '\(level)'; one of \(Self.levels.joined(separator: ", "))")
        }
        var logger = Logger(label: "vicinity") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = threshold
        self.logger = logger
    }

    private init(_ logger: Logger) { self.logger = logger }

    /// Writes nothing (servers run inside tests and tools).
    public static let silent = ServerLog(Logger(label: "vicinity") { _ in SwiftLogNoOpLogHandler() })

    public func started(
        address: String, store: String, items: Int, seconds: Double, metrics: String?, auth: Bool, readOnly: Bool
    ) {
        var fields: Logger.Metadata = [
            "address": "\(address)", "store": "\(store)", "items": "\(items)",
            "cold_start_seconds": "\(String(format: "%.3f", seconds))", "auth": "\(auth ? "required" : "off")",
            "read_only": "\(readOnly)",
        ]
        if let metrics { fields["metrics"] = "\(metrics)" }
        logger.info("started", metadata: fields)
    }

    public func stopped(uptimeSeconds: Int, requests: Int) {
        logger.info("stopped", metadata: ["uptime_seconds": "\(uptimeSeconds)", "requests": "\(requests)"])
    }

    public func warning(_ message: String) { logger.warning("\(message)") }

    /// The path comes from a client: scrubbed of control characters, so it cannot forge a line.
    func snapshot(path: String, items: Int, seconds: Double) {
        logger.info(
            "snapshot",
            metadata: [
                "path": "\(scrubbed(path, limit: 1024))", "items": "\(items)",
                "seconds": "\(String(format: "%.3f", seconds))",
            ])
    }

    func snapshotFailed(path: String, error: String) {
        logger.error(
            "snapshot failed",
            metadata: ["path": "\(scrubbed(path, limit: 1024))", "error": "\(scrubbed(error, limit: 512))"])
    }

    /// `command` is the metric label (a known command's name or "other"), never the client's own
    /// word, so no client text reaches the log.
    func slowRequest(command: String, microseconds: Int, peer: String) {
        logger.notice(
            "slow request", metadata: ["command": "\(command)", "microseconds": "\(microseconds)", "peer": "\(peer)"])
    }

    func refused(peer: String, limit: Int) {
        logger.warning("connection refused: MAXCLIENTS", metadata: ["peer": "\(peer)", "limit": "\(limit)"])
    }
}
