import Foundation
import Testing
import VicinityClient
import VicinityServer

/// `vicinity serve`'s log on stderr: one ISO-8601-stamped line for start, slow requests,
/// snapshots, MAXCLIENTS refusals and stop; nothing per request at info; `--log-level`
/// filters; bad options and a taken metrics port fail with one clear line.
@Suite(.serialized) struct ServerLogTests {
    /// "2025-12-01T14:20:00+0000 info vicinity: k=v … [VicinityServer] message"
    static var linePattern: Regex<(Substring, Substring, Substring?)> {
        #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (trace|debug|info|notice|warning|error|critical) vicinity:( .*)? \[VicinityServer\] .+$/#
    }

    @Test func oneLineForStartSlowRequestSnapshotRefusalAndStop() throws {
        let fixture = try ServedStore()
        let server = try MetricsServer(fixture, ["--max-connections", "1", "--slowlog-log-slower-than", "0"])
        let c = try server.client()
        #expect(try c.plainRows("KNN 3 ID train-1").count == 3)
        let folder = try temporaryFolder().appendingPathComponent("snap").path
        #expect(try c.plain("SNAPSHOT \(folder)") == "300")
        try withExtendedLifetime(c) {
            let extra = try server.client()
            #expect(try extra.readLine().hasPrefix("ERR MAXCLIENTS"))
        }
        server.stop()
        #expect(server.process.terminationStatus == 0)
        let lines = server.log.split(separator: "\n").map(String.init)
        for line in lines { #expect(line.wholeMatch(of: Self.linePattern) != nil, "\(line)") }
        func one(_ level: String, _ message: String) -> String {
            let found = lines.filter { $0.contains(" \(level) vicinity:") && $0.hasSuffix("] \(message)") }
            #expect(found.count == 1, "\(level) \(message): \(found) in\n\(lines.joined(separator: "\n"))")
            return found.first ?? ""
        }
        let started = one("info", "started")
        #expect(started.contains("address=127.0.0.1:\(server.port) "))
        #expect(started.contains("items=300 ") && started.contains("store=\(fixture.store) "))
        #expect(started.contains("metrics=127.0.0.1:\(server.metricsPort) "))
        #expect(started.contains(#/cold_start_seconds=\d+\.\d{3} /#))
        let slow = lines.filter { $0.contains(" notice vicinity:") && $0.hasSuffix("] slow request") }
        // KNN and SNAPSHOT, each slower than 0 µs (the refused connection sent no request).
        #expect(slow.count == 2, "\(slow)")
        #expect(slow.first?.contains(#/command=knn microseconds=\d+ peer=127\.0\.0\.1:\d+ /#) == true, "\(slow)")
        let snapshot = one("info", "snapshot")
        #expect(snapshot.contains("items=300 ") && snapshot.contains("path=\(folder) "))
        #expect(snapshot.contains(#/seconds=\d+\.\d{3} /#))
        let refused = one("warning", "connection refused: MAXCLIENTS")
        #expect(refused.contains("limit=1 ") && refused.contains(#/peer=127\.0\.0\.1:\d+ /#))
        #expect(one("info", "stopped").contains("requests=2 "))
        #expect(lines.count == 6, "\(lines.joined(separator: "\n"))")
    }

    @Test func nothingPerRequestAtInfoAndLevelsFilter() throws {
        let fixture = try ServedStore()
        // A threshold no PING reaches, even on a busy machine: any line would be per request.
        let quiet = try MetricsServer(fixture, ["--slowlog-log-slower-than", "1000000", "--max-connections", "16"])
        let c = try quiet.client()
        for _ in 0..<50 { #expect(try c.plain("PING") == "PONG") }
        _ = try c.plain("NOPE")
        quiet.stop()
        let lines = quiet.log.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasSuffix("] started") && lines[1].hasSuffix("] stopped"), "\(lines)")

        let warnings = try MetricsServer(fixture, ["--log-level", "warning", "--max-connections", "1"])
        let held = try warnings.client()
        #expect(try held.plain("PING") == "PONG")
        try withExtendedLifetime(held) {
            let extra = try warnings.client()
            #expect(try extra.readLine().hasPrefix("ERR MAXCLIENTS"))
        }
        warnings.stop()
        let only = warnings.log.split(separator: "\n")
        #expect(only.count == 1 && only[0].contains(" warning vicinity: ") == true, "\(only)")
    }

    @Test func badOptionsAndATakenMetricsPortFailWithOneClearLine() throws {
        let fixture = try ServedStore()
        let base = ["serve", "--store", fixture.store, "--port", "0"]
        let level = try runVicinity(base + ["--log-level", "loud"])
        #expect(level.status != 0 && level.stderr.contains("--log-level must be one of trace, debug, info"))
        let range = try runVicinity(base + ["--metrics-port", "70000"])
        #expect(range.status != 0 && range.stderr.contains("--metrics-port must be 0–65535"))
        let alone = try runVicinity(base + ["--metrics-host", "127.0.0.1"])
        #expect(alone.status != 0 && alone.stderr.contains("--metrics-host needs --metrics-port"))
        let running = try MetricsServer(fixture)
        defer { running.stop() }
        let taken = try runVicinity(base + ["--metrics-port", String(running.metricsPort)])
        #expect(taken.status != 0, "\(taken.stderr)")
        #expect(
            taken.stderr.contains(
                "cannot serve metrics on 127.0.0.1:\(running.metricsPort) (--metrics-port): the address is already in use"
            ), "\(taken.stderr)")
        let help = try runVicinity(["serve", "--help"])
        for option in ["--metrics-port", "--metrics-host", "--log-level", "--slowlog-log-slower-than"] {
            #expect(help.stdout.contains(option), "\(option)")
        }
    }
}
