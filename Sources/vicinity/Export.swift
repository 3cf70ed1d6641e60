import ArgumentParser

extension Vicinity {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a store's codes to fvecs, bvecs or CSV.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("export") }
    }
}
