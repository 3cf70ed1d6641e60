import ArgumentParser
import Foundation
import VicinityMilvus
import VicinityServer

extension Vicinity {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Serve exact k-NN, Hamming k-NN and radius lookups from a store over a line protocol that nc and Redis clients speak.",
            discussion: """
                docs/PROTOCOL.md is the contract. Type `HELP` in `nc 127.0.0.1 7878` for the commands.
                SIGTERM or Ctrl-C stops accepting, finishes the requests already read, and closes the store.
                """)

        @Option(help: "The store directory (made by vicinity embed).") var store: String?
        @Option(help: "Answer from Milvus instead: milvus://HOST:PORT/NAME (made by vicinity export --to).")
        var backend: String?
        @Option(help: "The model the store was embedded with: enables KNN … RAW and ADD.") var model: String?
        @Option(help: "Address to listen on (a non-loopback address needs --auth-token).") var host = "127.0.0.1"
        @Option(help: "TCP port (0 picks a free one).") var port = 7878
        @Option(help: "Require AUTH with this token (default: $VICINITY_AUTH_TOKEN).") var authToken: String?
        @Flag(help: "Refuse ADD and DEL.") var readOnly = false
        @Option(help: "Most open connections.") var maxConnections = 1024
        @Option(help: "Seconds a connection may stay idle.") var idleTimeout: Int64 = 300
        @Option(help: "Largest k a query may ask for.") var maxK = 1000
        @Option(help: "Event-loop threads (default: one per core).") var threads: Int?
        @Option(
            help:
                "Microseconds an image query (RAW, U8) may wait for others to embed with (default 0: those read in the same turn of the event loop)."
        )
        var embedWaitUs = 0
        @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (0 picks a free port; default: none).")
        var metricsPort: Int?
        @Option(help: "Address of the metrics endpoint (default: --host); it takes no AUTH.") var metricsHost: String?
        @Option(help: "Log lines to stderr at this level and above: \(ServerLog.levels.joined(separator: ", ")).")
        var logLevel = "info"
        @Option(help: "Microseconds after which a request is slow: logged and kept for SLOWLOG (negative: never).")
        var slowlogLogSlowerThan = 10_000

        func validate() throws {
            guard (store == nil) != (backend == nil) else {
                throw ValidationError("give --store stores/NAME or --backend milvus://HOST:PORT/NAME (one of them)")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
            guard (0...1_000_000).contains(embedWaitUs) else {
                throw ValidationError("--embed-wait-us must be 0–1000000 (microseconds)")
            }
            guard maxConnections >= 1, idleTimeout >= 1, maxK >= 1 else {
                throw ValidationError("--max-connections, --idle-timeout and --max-k must be positive")
            }
            if let metricsPort, !(0...65535).contains(metricsPort) {
                throw ValidationError("--metrics-port must be 0–65535")
            }
            if metricsHost != nil && metricsPort == nil { throw ValidationError("--metrics-host needs --metrics-port") }
            guard ServerLog.levels.contains(logLevel.lowercased()) else {
                throw ValidationError("--log-level must be one of \(ServerLog.levels.joined(separator: ", "))")
            }
        }

        func configuration() -> ServerConfiguration {
            var config = ServerConfiguration()
            config.host = host
            config.port = port
            config.maxConnections = maxConnections
            config.idleTimeout = idleTimeout
            config.policy.authToken =
                authToken
                ?? ProcessInfo.processInfo.environment["VICINITY_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            config.policy.readOnly = readOnly
            config.policy.maxK = maxK
            config.policy.slowlogMicroseconds = slowlogLogSlowerThan
            config.metricsHost = metricsHost
            config.metricsPort = metricsPort
            if let threads { config.threads = max(1, threads) }
            config.embedWaitMicroseconds = embedWaitUs
            return config
        }

        func run() throws {
            let began = Date()
            let log = try ServerLog(level: logLevel)
            let config = configuration()
            let files = raiseOpenFileLimit()
            if files < maxConnections + 64 {
                log.warning(
                    "only \(files) open files allowed; --max-connections \(maxConnections) cannot all be served")
            }
            let stop = StopSignal(announce: false)
            let stats = ServerStats(log: log)
            let server: NetworkServer
            let engine: any SearchEngine
            do {
                let sets: VectorSets
                if let backend {
                    // Client vector sets stay in memory, as with a read-only store.
                    (engine, sets) = (
                        try MilvusEngine(url: MilvusURL(parsing: backend), modelPath: model, stats: stats), VectorSets()
                    )
                } else {
                    let local = try StoreEngine(
                        storePath: store ?? "", modelPath: model, readOnly: readOnly, stats: stats)
                    (engine, sets) = (local, try VectorSets(store: local.store))
                }
                server = try NetworkServer(engine: engine, sets: sets, configuration: config, stats: stats)
            } catch {
                throw CLIError("\(error)")
            }
            let metricsHost = config.metricsHost ?? host
            log.started(
                address: "\(host):\(server.port)", store: store ?? backend ?? "", items: engine.count(),
                seconds: Date().timeIntervalSince(began), metrics: server.metricsPort.map { "\(metricsHost):\($0)" },
                auth: config.policy.authToken != nil, readOnly: readOnly)
            // Machine-readable lines on stdout, so scripts learn the ports (useful with port 0).
            var ready = "listening \(host) \(server.port)\n"
            if let metricsPort = server.metricsPort { ready += "metrics \(metricsHost) \(metricsPort)\n" }
            FileHandle.standardOutput.write(Data(ready.utf8))
            while !stop.isRequested { usleep(50_000) }
            server.shutdown()
            log.stopped(uptimeSeconds: Int(Date().timeIntervalSince(stats.started)), requests: stats.requests)
        }
    }
}
