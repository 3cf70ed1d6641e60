import ArgumentParser

@main
struct Vicinity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vicinity",
        abstract: "Learn nonlinear embeddings and binary codes, store them, and serve nearest-neighbour lookups.",
        subcommands: [])
}
