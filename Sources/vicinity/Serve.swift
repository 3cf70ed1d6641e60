import ArgumentParser

extension Vicinity {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve exact k-NN, Hamming k-NN and radius lookups from a store over a line protocol that nc and Redis clients speak.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("serve") }
    }
}
