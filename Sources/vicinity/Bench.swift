import ArgumentParser
import Foundation
import VicinityData
import VicinityMath

extension Vicinity {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks that print figures as JSON (release builds only give meaningful numbers).",
            subcommands: [Gemm.self, Read.self])
    }
}

extension Vicinity.Bench {
    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "sgemm through the Matrix wrapper against a raw cblas_sgemm call on the same buffers.")

        @Option(help: "Matrix size n (n×n times n×n).") var size = 1024
        @Option(help: "Repetitions; the best time of each side counts.") var repeats = 20

        func run() throws {
            guard size >= 1, repeats >= 1 else { throw ValidationError("--size and --repeats must be positive") }
            let r = GemmBenchmark.run(size: size, repeats: repeats)
            try printJSON([
                "size": size, "threads": BLAS.threads,
                "raw_gflops": r.rawGFLOPS, "wrapper_gflops": r.wrapperGFLOPS,
                "wrapper_over_raw": r.wrapperGFLOPS / r.rawGFLOPS,
            ])
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time reading a data set split into memory.")

        @OptionGroup var dataOptions: DataOptions
        @Option(help: "train or test.") var split: Split = .train

        func run() throws {
            let start = Date()
            let set = try Dataset.load(dataOptions.data, split: split)
            let seconds = Date().timeIntervalSince(start)
            try printJSON(["images": set.count, "dims": set.dims, "seconds": seconds,
                           "images_per_second": Double(set.count) / seconds])
        }
    }
}

extension Split: ExpressibleByArgument {}
