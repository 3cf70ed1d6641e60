import Foundation
import Testing
import VicinityClient
import VicinityServer

/// `vicinity serve --metrics-port`: a real server on a real store, requests over real sockets,
/// `GET /metrics` over another; the counts must be exactly the requests sent and what INFO
/// counts, and Prometheus's own parser must read the page. Then the log lines on stderr.
@Suite(.serialized) struct MetricsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized

    @Test func countsAreTheRequestsSentAndWhatInfoCounts() throws {
        let fixture = try ServedStore()
        let server = try MetricsServer(fixture)
        defer { server.stop() }
        // Before any request: nothing counted, no snapshot yet.
        let empty = try server.scrape()
        #expect(empty["vicinity_connections_total"] == 0 && empty["vicinity_connections_open"] == 0)
        #expect(empty["vicinity_store_items"] == 300 && empty["vicinity_last_snapshot_timestamp_seconds"] == 0)
        #expect(!empty.keys.contains { $0.hasPrefix("vicinity_requests_total") })

        let c = try server.client()
        let before = Date().timeIntervalSince1970.rounded(.down)
        try sendKnownRequests(c, fixture)
        let after = Date().timeIntervalSince1970.rounded(.up)
        let other = try server.client()
        #expect(try other.plain("PING") == "PONG")
        let gone = try server.client()
        #expect(try gone.plain("QUIT") == "OK" && gone.readsEOF())

        var m = try server.scrape()
        for _ in 0..<100 where m["vicinity_connections_open"] != 2 {  // the QUIT's close is counted just after
            usleep(20_000)
            m = try server.scrape()
        }
        let requests: [String: Double] = [
            "ping": 7, "count": 3, "knn": 6, "get": 2, "other": 3, "snapshot": 2, "add": 1, "quit": 1,
        ]
        let errors: [String: Double] = ["ping": 0, "count": 0, "knn": 2, "get": 0, "other": 3, "snapshot": 1, "add": 0]
        #expect(series(m, "vicinity_requests_total") == requests)
        #expect(series(m, "vicinity_request_errors_total") == errors.merging(["quit": 0]) { $1 })
        #expect(series(m, "vicinity_request_duration_seconds_count") == requests)
        for (command, n) in requests {
            #expect(m["vicinity_request_duration_seconds_bucket{command=\"\(command)\",le=\"+Inf\"}"] == n)
            let buckets = ServerMetrics.latencyBuckets.map {
                m["vicinity_request_duration_seconds_bucket{command=\"\(command)\",le=\"\($0)\"}"] ?? -1
            }
            #expect(buckets == buckets.sorted() && buckets[0] >= 0 && buckets.last! <= n, "\(command): \(buckets)")
        }
        #expect(m["vicinity_connections_total"] == 3 && m["vicinity_connections_open"] == 2)
        #expect(m["vicinity_connections_refused_total"] == 0 && m["vicinity_protocol_errors_total"] == 0)
        #expect(m["vicinity_store_items"] == 301)
        #expect(m["vicinity_store_bytes"] == Double(try storeBytes(fixture.store)))
        let snapshot = m["vicinity_last_snapshot_timestamp_seconds"] ?? 0
        #expect(snapshot >= before && snapshot <= after, "\(snapshot) not in \(before)…\(after)")
        #expect((m["vicinity_uptime_seconds"] ?? -1) >= 0 && (m["vicinity_uptime_seconds"] ?? 600) < 600)
        try expectSameAsInfo(m, c)
    }

    /// 6 PING, 3 COUNT, 6 KNN (2 failing), 2 GET, 3 unknown commands, 2 SNAPSHOT (the second refused), 1 ADD.
    func sendKnownRequests(_ c: RESPClient, _ fixture: ServedStore) throws {
        for _ in 0..<5 { #expect(try c.plain("PING") == "PONG") }
        #expect(try c.call(["PING"]) == .status("PONG"))
        for _ in 0..<3 { #expect(try c.call(["COUNT"]) == .integer(300)) }
        for i in 0..<4 { #expect(try c.plainRows("KNN 3 ID train-\(i)").count == 3) }
        #expect(try c.plain("KNN 0 ID train-1").hasPrefix("ERR BADARG"))
        #expect(try c.plain("KNN 5 ID nobody").hasPrefix("ERR NOTFOUND"))
        for _ in 0..<2 { #expect(try c.plainRows("GET train-2").count == 4) }
        #expect(try c.plain("NOPE").hasPrefix("ERR UNKNOWN"))
        #expect(try c.plain("nope").hasPrefix("ERR UNKNOWN"))
        if case .error = try c.call(["FOOBAR", "x"]) {} else { Issue.record("FOOBAR answered") }
        let folder = try temporaryFolder().appendingPathComponent("snap").path
        #expect(try c.plain("SNAPSHOT \(folder)") == "300")
        #expect(try c.plain("SNAPSHOT \(folder)").hasPrefix("ERR SNAPSHOT"))
        let pixels = fixture.test[0].map(String.init).joined(separator: ",")
        #expect(try c.plain("ADD new-1 1 RAW \(pixels)") == "OK")
    }

    /// INFO's command stats and totals are the same numbers (unknown commands summed into "other").
    func expectSameAsInfo(_ m: [String: Double], _ c: RESPClient) throws {
        guard case .bulk(let info) = try c.call(["INFO", "commandstats", "stats"]) else {
            Issue.record("INFO: not a bulk string"); return
        }
        var calls: [String: Double] = [:], failed: [String: Double] = [:]
        var totals: [String: Double] = [:]
        for line in info.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            guard parts[0].hasPrefix("cmdstat_") else { totals[parts[0]] = Double(parts[1]); continue }
            let label = ServerMetrics.label(String(parts[0].dropFirst("cmdstat_".count)))
            let fields = Dictionary(
                uniqueKeysWithValues: parts[1].split(separator: ",").map {
                    let kv = $0.split(separator: "=")
                    return (String(kv[0]), Double(kv[1]) ?? -1)
                })
            calls[label, default: 0] += fields["calls"] ?? -1
            failed[label, default: 0] += fields["failed_calls"] ?? -1
        }
        #expect(calls == series(m, "vicinity_requests_total"))
        #expect(failed == series(m, "vicinity_request_errors_total"))
        #expect(totals["total_commands_processed"] == series(m, "vicinity_requests_total").values.reduce(0, +))
        #expect(totals["total_error_replies"] == series(m, "vicinity_request_errors_total").values.reduce(0, +))
        #expect(totals["total_connections_received"] == m["vicinity_connections_total"])
    }

    @Test func otherPathsAre404AndOtherMethods405() throws {
        let fixture = try ServedStore()
        let server = try MetricsServer(fixture)
        defer { server.stop() }
        for path in ["/", "/metricsx", "/metrics/", "/favicon.ico"] {
            let r = try server.http("GET", path)
            #expect(r.status == 404 && r.body.contains("/metrics"), "\(path): \(r.status)")
        }
        for method in ["POST", "PUT", "DELETE"] {
            let r = try server.http(method, "/metrics")
            #expect(r.status == 405 && r.headers["allow"] == "GET", "\(method): \(r.status) \(r.headers)")
        }
        let ok = try server.http("GET", "/metrics?name=x")
        #expect(ok.status == 200 && ok.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(ok.headers["content-length"] == String(ok.body.utf8.count))
        #expect(ok.body.contains("# TYPE vicinity_requests_total counter") == false)  // no request yet: no series
        #expect(ok.body.contains("# TYPE vicinity_connections_open gauge"))
        // Keep-alive: two requests on one connection, then a 404 on it, each answered in turn.
        let kept = try server.client(metrics: true)
        for path in ["/metrics", "/metrics", "/nope"] {
            try kept.sendRaw(Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(try readHTTP(kept).status == (path == "/nope" ? 404 : 200))
        }
        // The main port still answers, and the metrics saw no request there.
        #expect(try server.client().plain("PING") == "PONG")
    }

    @Test func prometheusParserReadsTheEndpoint() throws {
        let python = Self.root.appendingPathComponent(".venv-test/bin/python").path
        try #require(
            FileManager.default.isExecutableFile(atPath: python), "no \(python): run scripts/setup (scripts/test does)")
        let fixture = try ServedStore()
        let server = try MetricsServer(fixture)
        defer { server.stop() }
        let c = try server.client()
        for _ in 0..<7 { _ = try c.call(["PING"]) }
        for _ in 0..<4 { _ = try c.plainRows("KNN 2 ID train-3") }
        _ = try c.plain("KNN 2 ID nobody")
        _ = try c.plain("WHATEVER 1 2")
        let r = try runProgram(
            URL(fileURLWithPath: python),
            [
                Self.root.appendingPathComponent("scripts/tests/prometheus_metrics.py").path,
                "--url", "http://127.0.0.1:\(server.metricsPort)/metrics",
            ])
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Double] ?? [:]
        #expect(parsed["vicinity_requests_total{command=ping}"] == 7)
        #expect(parsed["vicinity_requests_total{command=knn}"] == 5)
        #expect(parsed["vicinity_request_errors_total{command=knn}"] == 1)
        #expect(parsed["vicinity_requests_total{command=other}"] == 1)
        #expect(parsed["vicinity_request_errors_total{command=other}"] == 1)
        #expect(parsed["vicinity_request_duration_seconds_count{command=knn}"] == 5)
        #expect(parsed["vicinity_connections_total"] == 1 && parsed["vicinity_connections_open"] == 1)
        #expect(parsed["vicinity_store_items"] == 300 && parsed["vicinity_last_snapshot_timestamp_seconds"] == 0)
        #expect(parsed["vicinity_store_bytes"] == Double(try storeBytes(fixture.store)))
    }
}
