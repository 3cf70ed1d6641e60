import Foundation
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in one registry: fed where `ServerStats` counts
/// (requests, connections, snapshots), the rest read at scrape time (`exposition`).
public final class ServerMetrics: Sendable {
    /// Latency buckets in seconds: 50 µs to 1 s, about three per decade.
    public static let latencyBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]
    /// The label of requests whose first word is no command: client-chosen words must not
    /// become series of their own.
    public static let otherLabel = "other"

    struct PerCommand: Sendable {
        let requests: Counter
        let errors: Counter
        let latency: ValueHistogram
    }

    public let registry = PrometheusCollectorRegistry()
    private let perCommand = Mutex([String: PerCommand]())
    private let connectionsTotal: Counter
    private let connectionsRefused: Counter
    private let protocolErrors: Counter
    private let connectionsOpen: Gauge
    private let storeItems: Gauge
    private let storeBytes: Gauge
    private let lastSnapshot: Gauge
    private let uptime: Gauge

    public init() {
        let registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.name(name, "total", help))
        }
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.name(name, unit, help))
        }
        connectionsTotal = counter("connections", "Connections accepted since start.")
        connectionsRefused = counter("connections_refused", "Connections refused at the connection limit (MAXCLIENTS).")
        protocolErrors = counter("protocol_errors", "Connections closed for a framing error.")
        connectionsOpen = gauge("connections_open", "", "Client connections open now.")
        storeItems = gauge("store_items", "", "Items in the served store.")
        storeBytes = gauge("store", "bytes", "Bytes of the store's files on disk.")
        lastSnapshot = gauge(
            "last_snapshot_timestamp", "seconds", "Unix time the last SNAPSHOT finished (0: none since start).")
        uptime = gauge("uptime", "seconds", "Seconds since the server started.")
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "vicinity", metricName: metric, unitName: unit, helpText: help)
    }

    /// The label a request is counted under: its command's lower-case name, or "other".
    public static func label(_ word: String?) -> String {
        guard let word, CommandTable.byName[word.uppercased()] != nil else { return otherLabel }
        return word.lowercased()
    }

    /// Counts a request under `label` (`label(_:)` of its first word).
    func recordRequest(label: String, nanoseconds: UInt64, failed: Bool) {
        let series = series(label)
        series.requests.increment()
        if failed { series.errors.increment() }
        series.latency.record(Double(nanoseconds) / 1e9)
    }

    /// A command's three series, made on its first request (so an error count reads 0, not absent).
    private func series(_ label: String) -> PerCommand {
        if let known = perCommand.withLock({ $0[label] }) { return known }
        let labels = [("command", label)]
        let made = PerCommand(
            requests: registry.makeCounter(
                descriptor: Self.name("requests", "total", "Requests answered, by command."), labels: labels),
            errors: registry.makeCounter(
                descriptor: Self.name("request_errors", "total", "Requests answered with an error, by command."),
                labels: labels),
            latency: registry.makeValueHistogram(
                descriptor: Self.name("request_duration", "seconds", "Time to answer a request, by command."),
                labels: labels, buckets: Self.latencyBuckets))
        // The registry hands back the same series for the same labels, so a race here is harmless.
        return perCommand.withLock { table in
            if let first = table[label] { return first }
            table[label] = made
            return made
        }
    }

    func recordConnection(admitted: Bool) {
        if admitted { connectionsTotal.increment() } else { connectionsRefused.increment() }
    }

    func recordProtocolError() { protocolErrors.increment() }

    func recordSnapshot(at time: Date) { lastSnapshot.set(time.timeIntervalSince1970) }

    /// The text exposition, with the values read at scrape time brought up to date first.
    func exposition(openConnections: Int, items: Int, storeBytes bytes: Int, started: Date) -> [UInt8] {
        connectionsOpen.set(Double(openConnections))
        storeItems.set(Double(items))
        storeBytes.set(Double(bytes))
        uptime.set(Date().timeIntervalSince(started))
        return registry.emitToBuffer()
    }
}

/// The sizes of the regular files directly in `folder` (a store's `data.mdb` and `lock.mdb`).
func fileBytes(in folder: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.reduce(0) { total, name in
        let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else { return total }
        return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }
}
