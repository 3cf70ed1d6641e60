import ArgumentParser
import VicinityMath

@main
struct Vicinity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vicinity",
        abstract: "Learn nonlinear embeddings and binary codes, store them, and serve nearest-neighbour lookups.",
        discussion:
            "Data defaults to Fashion-MNIST from Debian's dataset-fashion-mnist package (override the folder with VICINITY_FASHION_MNIST).",
        version: "0.1.0",
        subcommands: [
            Train.self, Embed.self, Merge.self, Serve.self, Query.self, Eval.self, Inspect.self, Export.self,
            Snapshot.self,
            Bench.self, Plot.self,
        ])

    static func main() {
        Runtime.configureForNumericWork()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
