import ArgumentParser

extension Vicinity {
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw embedding maps, precision-recall curves, reconstructions and filters as PNG files.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("plot") }
    }
}
