import ArgumentParser
import Foundation
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

        @Option(help: "The store directory (made by vicinity embed).") var store: String
        @Option(help: "The model the store was embedded with: enables KNN … RAW and ADD.") var model: String?
        @Option(help: "Address to listen on (a non-loopback address needs --auth-token).") var host = "127.0.0.1"
        @Option(help: "TCP port (0 picks a free one).") var port = 7878
        @Option(help: "Require AUTH with this token (default: $VICINITY_AUTH_TOKEN).") var authToken: String?
        @Flag(help: "Refuse ADD and DEL.") var readOnly = false
        @Option(help: "Most open connections.") var maxConnections = 1024
        @Option(help: "Seconds a connection may stay idle.") var idleTimeout: Int64 = 300
        @Option(help: "Largest k a query may ask for.") var maxK = 1000
        @Option(help: "Event-loop threads (default: one per core).") var threads: Int?

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
            guard maxConnections >= 1, idleTimeout >= 1, maxK >= 1 else {
                throw ValidationError("--max-connections, --idle-timeout and --max-k must be positive")
            }
        }

        func run() throws {
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
            if let threads { config.threads = max(1, threads) }
            let files = raiseOpenFileLimit()
            if files < maxConnections + 64 {
                note(
                    "vicinity serve: warning: only \(files) open files allowed; --max-connections \(maxConnections) cannot all be served"
                )
            }
            let stop = StopSignal(announce: false)
            let stats = ServerStats()
            let server: NetworkServer
            let engine: StoreEngine
            do {
                engine = try StoreEngine(storePath: store, modelPath: model, readOnly: readOnly, stats: stats)
                server = try NetworkServer(
                    engine: engine, sets: try VectorSets(store: engine.store), configuration: config,
                    stats: stats)
            } catch {
                throw CLIError("\(error)")
            }
            note(
                "vicinity serve: \(engine.count()) items from \(store) on \(host):\(server.port)"
                    + (config.policy.authToken != nil ? " (AUTH required)" : "") + (readOnly ? " (read-only)" : ""))
            // One machine-readable line on stdout, so scripts learn the port (useful with --port 0).
            FileHandle.standardOutput.write(Data("listening \(host) \(server.port)\n".utf8))
            while !stop.isRequested { usleep(50_000) }
            note("vicinity serve: stopping")
            server.shutdown()
            note("vicinity serve: stopped")
        }
    }
}
