import Foundation
import Testing
import VicinityClient
import VicinityServer

/// A `vicinity serve` child process on a free port.
final class ServerProcess {
    let process = Process()
    let port: Int
    private let errors = Pipe()

    /// Starts the server and waits for its "listening HOST PORT" line.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let binDir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        process.executableURL = binDir.appendingPathComponent("vicinity")
        process.arguments = ["serve", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 3, words[0] == "listening",
            let port = Int(words[2].trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.waitUntilExit()
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ServerError("server did not start: \(err)")
        }
        self.port = port
    }

    func client() throws -> RESPClient { try RESPClient(host: "127.0.0.1", port: port, timeoutSeconds: 10) }

    func kill(_ signal: Int32 = SIGKILL) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill() } }
}

/// Sends plain lines and reads plain replies.
extension RESPClient {
    func plain(_ line: String) throws -> String {
        try sendRaw(Array((line + "\n").utf8))
        return try readLine()
    }

    /// A multi-line plain reply up to its END line.
    func plainRows(_ line: String) throws -> [String] {
        try sendRaw(Array((line + "\n").utf8))
        var rows: [String] = []
        while true {
            let l = try readLine()
            if l == "END" { return rows }
            if l.hasPrefix("ERR ") { return [l] }
            rows.append(l)
        }
    }
}
