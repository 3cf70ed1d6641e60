import Foundation
import Testing
import VicinityClient
import VicinityServer

/// `vicinity serve --port 0 --metrics-port 0` on a fixture; what it logs goes to a file, so a
/// chatty log can never block it on a full pipe.
final class MetricsServer {
    let process = Process()
    let port: Int
    let metricsPort: Int
    let logPath = temporaryPath("serve-log")

    /// Starts the server and waits for its "listening HOST PORT" and "metrics HOST PORT" lines.
    init(_ fixture: ServedStore, _ extra: [String] = []) throws {
        let binDir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        process.executableURL = binDir.appendingPathComponent("vicinity")
        process.arguments =
            ["serve", "--store", fixture.store, "--model", fixture.model, "--port", "0", "--metrics-port", "0"] + extra
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var text = ""
        while text.split(separator: "\n").count < 2 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map { $0.split(separator: " ") }
        guard lines.count == 2, lines[0].count == 3, lines[0][0] == "listening", let port = Int(lines[0][2]),
            lines[1].count == 3, lines[1][0] == "metrics", let metricsPort = Int(lines[1][2])
        else {
            process.waitUntilExit()
            throw ServerError("server did not start: \(text) \(try String(contentsOfFile: logPath, encoding: .utf8))")
        }
        (self.port, self.metricsPort) = (port, metricsPort)
    }

    /// A connection to the server's port, or to the metrics port.
    func client(metrics: Bool = false) throws -> RESPClient {
        try RESPClient(host: "127.0.0.1", port: metrics ? metricsPort : port, timeoutSeconds: 10)
    }

    /// One HTTP/1.1 request on a new connection to the metrics port.
    func http(_ method: String, _ path: String) throws -> HTTPReply {
        let c = try client(metrics: true)
        try c.sendRaw(Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        return try readHTTP(c)
    }

    /// GET /metrics, each sample line as "name{labels}" → value.
    func scrape() throws -> [String: Double] {
        let reply = try http("GET", "/metrics")
        try #require(reply.status == 200, "GET /metrics: \(reply.status)")
        var values: [String: Double] = [:]
        for line in reply.body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            values[String(line[..<space])] = value
        }
        return values
    }

    /// What it logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for it to exit.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct HTTPReply {
    var status: Int
    /// Names in lower case.
    var headers: [String: String]
    var body: String
}

/// Reads one HTTP/1.1 response: status line, headers, then Content-Length bytes of body (text lines).
func readHTTP(_ c: RESPClient) throws -> HTTPReply {
    let status = try c.readLine().split(separator: " ")
    var reply = HTTPReply(status: status.count > 1 ? Int(status[1]) ?? 0 : 0, headers: [:], body: "")
    while true {
        let line = try c.readLine()
        if line.isEmpty { break }
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2 { reply.headers[parts[0].lowercased()] = parts[1] }
    }
    let length = Int(reply.headers["content-length"] ?? "") ?? 0
    while reply.body.utf8.count < length { reply.body += try c.readLine() + "\n" }
    return reply
}

/// The `command`-labelled values of one metric: label → value.
func series(_ metrics: [String: Double], _ name: String) -> [String: Double] {
    var out: [String: Double] = [:]
    let prefix = name + "{command=\""
    for (key, value) in metrics where key.hasPrefix(prefix) && key.hasSuffix("\"}") {
        out[String(key.dropFirst(prefix.count).dropLast(2))] = value
    }
    return out
}

/// What the store's files take, as the server should report it: the regular files in its folder.
func storeBytes(_ store: String) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: store).reduce(0) { total, name in
        let attributes = try FileManager.default.attributesOfItem(atPath: store + "/" + name)
        guard attributes[.type] as? FileAttributeType == .typeRegular else { return total }
        return total + ((attributes[.size] as? NSNumber)?.intValue ?? 0)
    }
}
