import ArgumentParser

extension Vicinity {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send queries to a running server: interactive with line editing, or one-shot.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("query") }
    }
}
