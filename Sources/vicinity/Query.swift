import VicinityClient
import ArgumentParser
import Foundation
import VicinityServer

extension Vicinity {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send queries to a running server: one-shot with the command as arguments, or interactive.",
            discussion: """
                Examples:
                  vicinity query KNN 5 ID train-0
                  vicinity query            (interactive; ↑/↓ recall earlier commands, ←/→ and backspace edit)
                Replies print as redis-cli shows them. The exit status is 1 when the reply is an error.
                """)

        @Option(help: "Server address.") var host = "127.0.0.1"
        @Option(help: "Server port.") var port = 7878
        @Option(help: "Send AUTH with this token first (default: $VICINITY_AUTH_TOKEN).") var authToken: String?
        @Argument(
            parsing: .captureForPassthrough, help: "A command and its arguments; none starts an interactive session.")
        var command: [String] = []

        func run() throws {
            let client: RESPClient
            do { client = try RESPClient(host: host, port: port) } catch { throw CLIError("\(error)") }
            if let token = authToken ?? ProcessInfo.processInfo.environment["VICINITY_AUTH_TOKEN"], !token.isEmpty {
                let reply = try client.call(["AUTH", token])
                if case .error(let e) = reply { throw CLIError("AUTH failed: \(e)") }
            }
            if !command.isEmpty {
                let reply = try client.call(command)
                print(reply.rendered())
                if case .error = reply { throw ExitCode(1) }
                return
            }
            let editor = LineEditor(prompt: "\(host):\(port)> ")
            while let line = editor.readLine() {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if words.isEmpty { continue }
                do {
                    let reply = try client.call(words)
                    print(reply.rendered())
                } catch {
                    throw CLIError("\(error)")
                }
                if words[0].uppercased() == "QUIT" { return }
            }
        }
    }
}
