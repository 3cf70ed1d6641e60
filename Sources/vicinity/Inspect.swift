import ArgumentParser

extension Vicinity {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a store's metadata, counts, label histogram and size on disk.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("inspect") }
    }
}
