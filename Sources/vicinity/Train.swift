import ArgumentParser

extension Vicinity {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an embedding model (RBM pretraining, autoencoders, nonlinear NCA, hashing) and save it as models/NAME.safetensors.",
            discussion: "Not yet available in this build.")

        func run() throws { throw notYetAvailable("train") }
    }
}
