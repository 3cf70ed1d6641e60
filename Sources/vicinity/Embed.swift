import ArgumentParser

extension Vicinity {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed an image set in batches through a model and write every item's codes into an LMDB store.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("embed") }
    }
}
