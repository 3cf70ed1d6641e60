import ArgumentParser
import Foundation
import VicinityPipeline

extension Vicinity {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the part stores of a partitioned embed (`vicinity embed --partition i/n`) into one store.",
            discussion: """
                Every part must be complete and embedded with one model from one input
                (the same data, --id-prefix and --batch), and partitions 0 … n-1 must all
                be there, each once; no id may be in two parts. The merged store is byte
                for byte the one a single `vicinity embed` of the input writes:

                  vicinity embed --model M --data D --partition 0/2 --store stores/NAME.part-0
                  vicinity embed --model M --data D --partition 1/2 --store stores/NAME.part-1
                  vicinity merge --out stores/NAME stores/NAME.part-0 stores/NAME.part-1
                """)

        @Argument(help: ArgumentHelp("The part stores, e.g. stores/NAME.part-0 ….", valueName: "part"))
        var parts: [String]
        @Option(
            help: ArgumentHelp("The merged store's folder (created; must not hold a store).", valueName: "dir"))
        var out: String
        @Flag(help: "Print the summary as one JSON object.") var json = false

        func run() throws {
            let s: MergeSummary
            do { s = try PartitionMerge(parts: parts, out: out).run() } catch { throw CLIError("\(error)") }
            if json {
                return try printJSON([
                    "out": s.out, "parts": s.parts, "count": s.count, "bytes": s.bytes, "seconds": s.seconds,
                ])
            }
            print(
                "merged \(s.parts) parts into \(s.out): \(s.count) items, \(s.bytes) bytes in \(String(format: "%.2f", s.seconds)) s"
            )
        }
    }
}
