import ArgumentParser
import Foundation
import VicinityPipeline
import VicinityData

extension Vicinity {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed an image set in batches through a model and write every item's codes into an LMDB store.",
            discussion: """
                Input: --data (fashion-mnist, an MNIST-layout folder or a document set; --split train by
                default, the database half, or test, or all = train then test), --images (an image
                folder, an IDX file, or a CSV file, with --labels to supply labels), or --documents
                (texts as JSON lines with id, text and optional label, counted with the vocabulary of
                a model trained on word counts). Ids come from the data set: train-17 / test-3 for
                --data, the row number for IDX and CSV files, the file name (3/x for labelled folders)
                for folders, the id field for documents.

                Items are written in id (byte) order, --batch per transaction, each durable when it
                commits; rows follow that order. A finished run rewrites the store in canonical form, so
                the same items give the same bytes. Running again resumes (stored ids are skipped); the
                store keeps the model's fingerprint, and another model is refused unless --rebuild.

                --partition i/n embeds only windows w (of --batch rows, cut as a single run cuts them)
                with w % n == i, into its own store (stores/NAME.part-i); run every part with the same
                arguments, then `vicinity merge --out stores/NAME stores/NAME.part-*` gives the single
                run's store, byte for byte.

                Bits: `auto` keeps bits when the code layer is logistic (threshold 0.5), `threshold`
                always (0.5 for logistic codes, else 0), `none` never.

                Image folders may hold JPEG, PNG, PGM and PPM files of any size, grey or colour: each is
                brought to the model's input (its recorded height × width × channels) — resized by area
                averaging to shrink and bilinear to grow, --fit to its aspect, grey and RGB converted.
                Images that cannot be decoded are skipped with the reason (--strict: fail, write nothing).
                """)

        @Option(help: ArgumentHelp("The model file (.safetensors).", valueName: "file")) var model: String?
        @Option(
            help: ArgumentHelp(
                "Instead of a model and images: float32/float64 vectors of shape (N, D), C order, as the codes.",
                valueName: "X.npy"))
        var vectors: String?
        @Option(help: ArgumentHelp("With --vectors: one id per line (default: the row numbers).", valueName: "ids.txt"))
        var ids: String?
        @Option(
            help: ArgumentHelp(
                "`fashion-mnist` or an MNIST-layout folder (default: fashion-mnist unless --images).",
                valueName: "name|dir"))
        var data: String?
        @Option(help: "With --data: train (default), test, or all.") var split: EmbedSplit?
        @Option(
            help: ArgumentHelp(
                "With --data: N perturbed copies of its training images (shifts ±2 px, rotations ±10°, contrast ±20 %), made as they are embedded; ids p00000000, ….",
                valueName: "N"))
        var perturbed: Int?
        @Option(help: "With --perturbed: the seed (the same seed gives the same images).") var seed: UInt64 = 1
        @Option(
            help: ArgumentHelp(
                "An image folder, IDX file (.gz) or CSV file; `-`: CSV lines id,label,p1,…,pD (pixels 0–255) on standard input, embedded as they arrive.",
                valueName: "path|-"))
        var images: String?
        @Option(
            help: ArgumentHelp(
                "Texts to embed with a model of word counts: JSON lines with a string id, a string text and an optional integer label.",
                valueName: "file.jsonl"))
        var documents: String?
        @Option(
            help: ArgumentHelp(
                "Put this before every id (global ids when several runs fill one store).", valueName: "P"))
        var idPrefix: String?
        @Option(
            help: ArgumentHelp(
                "With --images: labels (IDX labels file or one integer per line); with --vectors: an integer .npy of shape (N,).",
                valueName: "file"))
        var labels: String?
        @Option(help: ArgumentHelp("The store directory, e.g. stores/NAME.", valueName: "dir")) var store: String
        @Option(
            help: "With an --images folder: how images of another aspect reach the model's size: crop, pad, stretch.")
        var fit: ImageFit = .crop
        @Option(help: "Items per transaction (and per embedding batch).") var batch = 5000
        @Option(
            help: ArgumentHelp(
                "Packed bits to keep: auto, threshold, none; with --vectors: a uint8 .npy of shape (N, bytes), packed as faiss's IndexBinary takes them.",
                valueName: "choice|B.npy"))
        var bits = "auto"
        @Option(
            help: ArgumentHelp(
                "Embed only part i of the input cut n ways (0 ≤ i < n), into its own store; see `vicinity merge`.",
                valueName: "i/n"))
        var partition: EmbedPartition?
        @Flag(help: "Fail (writing nothing) if any image cannot be used.") var strict = false
        @Flag(help: "Clear the store first (needed to switch models).") var rebuild = false
        @Flag(help: "Print the summary as one JSON object.") var json = false
        @Option(
            help: ArgumentHelp(
                "Per-item attributes for FILTER: JSON lines with an id field, or CSV with an id column.",
                valueName: "file"))
        var attributes: String?

        func run() throws {
            let start = Date()
            let input: EmbedConfiguration.Input
            if let vectors {
                input = .vectors(vectors, bits: ["auto", "none"].contains(bits) ? nil : bits, ids: ids, labels: labels)
            } else if images == "-" {
                input = .csvStream(FileHandle.standardInput)
            } else if let perturbed {
                input = .perturbed(data ?? "fashion-mnist", count: perturbed, seed: seed)
            } else if let documents {
                input = .documents(documents)
            } else if let images {
                input = .images(images, labels: labels, fit: fit)
            } else {
                input = .dataset(data ?? "fashion-mnist", split: split ?? .train)
            }
            let configuration = EmbedConfiguration(
                input: input, model: model, store: store, bits: ItemEncoder.BitsChoice(rawValue: bits) ?? .auto,
                idPrefix: idPrefix, batch: batch, strict: strict, rebuild: rebuild, attributes: attributes,
                partition: partition, started: start)
            var stop: StopSignal?
            let summary = try EmbedJob(configuration).run(reporter: ProgressReporter()) {
                // Armed when writing begins: Ctrl-C while the input loads quits at once.
                if stop == nil { stop = StopSignal() }
                return stop!.isRequested
            }
            try printSummary(summary)
            if let stopped = summary.stopped { throw stopped }
        }
    }
}
