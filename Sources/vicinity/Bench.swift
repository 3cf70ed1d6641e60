import ArgumentParser
import Foundation
import VicinityData
import VicinityLearning
import VicinityMath

extension Vicinity {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks that print figures as JSON (release builds only give meaningful numbers).",
            subcommands: [Gemm.self, Read.self, TrainStep.self, KNN.self, Hamming.self])
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
                "size": size, "threads": availableCores, "own_threads": BLAS.ownThreads,
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
            try printJSON([
                "images": set.count, "dims": set.dims, "seconds": seconds,
                "images_per_second": Double(set.count) / seconds,
            ])
        }
    }
}

extension Vicinity.Bench {
    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract:
                "Fine-tuning throughput (samples/s, effective GFLOP/s) next to the raw sgemm rate of the same run.")

        @Option(help: "Layer sizes from input to code.") var sizes = "784,500,500,2000,30"
        @Option(help: "Mini-batch size.") var batch = 1000
        @Option(help: "Timed steps.") var steps = 20
        @Option(help: "nca, reconstruction or nca-regularised.") var objective = "nca"

        func run() throws {
            let layerSizes = sizes.split(separator: ",").compactMap { Int($0) }
            guard layerSizes.count >= 2, layerSizes.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--sizes: positive integers, comma-separated")
            }
            guard let kind = Objective.Kind(rawValue: objective) else {
                throw ValidationError("--objective: nca, reconstruction or nca-regularised")
            }
            let r = TrainingBenchmark.run(
                sizes: layerSizes, batch: batch, steps: steps, objective: Objective(kind: kind))
            try printJSON([
                "sizes": sizes, "batch": batch, "objective": objective, "samples_per_second": r.samplesPerSecond,
                "seconds_per_60k_epoch": r.secondsPerEpoch60k, "effective_gflops": r.effectiveGFLOPS,
                "sgemm_gflops": r.sgemmGFLOPS, "fraction_of_sgemm": r.effectiveGFLOPS / r.sgemmGFLOPS,
                "step_ms": r.stepMilliseconds,
            ])
        }
    }
}

extension Split: ExpressibleByArgument {}
