import ArgumentParser
import Foundation
import VicinityData
import VicinityMilvus
import VicinityStore

extension Vicinity {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a store's codes to fvecs, bvecs, .npy or CSV, or into Milvus.",
            discussion: """
                Items come out in row order. fvecs: the float codes. bvecs: the packed bits, ⌈bits/8⌉ bytes
                per item, bit i of the code in byte i/8 at position i%8 (stores without bits cannot be
                exported this way). npy: the float codes as a float32 (N, D) array; npy-bits: the packed bits
                as a uint8 (N, ⌈bits/8⌉) array, laid out as bvecs (what faiss's IndexBinary takes). csv: a header `id,label,c0,…` then one line per item, floats in
                shortest round-trip form, ids quoted when they hold a comma or quote.
                --to milvus://HOST:PORT/NAME: collections NAME_codes (float codes, FLAT index, L2) and, when
                the store keeps bits, NAME_bits (BIN_FLAT, HAMMING), each with id, label and row; loaded,
                counted back, ready for vicinity serve --backend milvus://HOST:PORT/NAME.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case fvecs, bvecs, npy, npyBits = "npy-bits", csv }

        @Argument(help: ArgumentHelp("The store directory, e.g. stores/NAME.", valueName: "store")) var store: String
        @Option(help: "fvecs, bvecs, npy, npy-bits or csv.") var format: Format?
        @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var out: String?
        @Option(help: ArgumentHelp("Export into Milvus instead.", valueName: "milvus://HOST:PORT/NAME")) var to: String?
        @Flag(help: "With --to: drop the collections of that NAME first.") var replace = false

        func validate() throws {
            if to == nil {
                guard format != nil, out != nil else {
                    throw ValidationError("give --format and --out, or --to milvus://HOST:PORT/NAME")
                }
                guard !replace else { throw ValidationError("--replace goes with --to") }
            } else if format != nil || out != nil {
                throw ValidationError("--to exports into Milvus; it takes no --format or --out")
            }
        }

        func run() throws {
            guard let format, let out else { return try exportToMilvus(to ?? "") }
            let codeStore: CodeStore
            do { codeStore = try CodeStore(path: store, access: .readOnly) } catch { throw CLIError("\(error)") }
            guard try codeStore.meta() != nil else {
                throw CLIError("\(store): the store is empty and has no model yet")
            }
            let snap: StoreSnapshot
            do { snap = try codeStore.snapshot() } catch let e as StoreError { throw CLIError("\(e)") }
            switch format {
            case .fvecs:
                try writeFvecs(VectorFile(snap.codes), to: out)
            case .npy:
                try writeNPY(path: out, snap.codes)
            case .bvecs, .npyBits:
                let bits = snap.meta.bits
                guard bits > 0 else {
                    throw CLIError(
                        "\(store) keeps no bits (its model's codes are not binary); export fvecs or csv instead")
                }
                let perItem = (bits + 7) / 8
                var bytes = [UInt8](repeating: 0, count: snap.count * perItem)
                for i in 0..<snap.count {
                    for b in 0..<perItem {
                        bytes[i * perItem + b] = UInt8(
                            truncatingIfNeeded: snap.bits[i * snap.wordsPerItem + b / 8] >> UInt64(8 * (b % 8)))
                    }
                }
                if format == .npyBits {
                    try writeNPY(path: out, kind: .uint8, shape: [snap.count, perItem], data: bytes)
                } else {
                    try writeBvecs(VectorFile(count: snap.count, dim: perItem, values: bytes), to: out)
                }
            case .csv:
                var text = "id,label," + (0..<snap.meta.codeDims).map { "c\($0)" }.joined(separator: ",") + "\n"
                text.reserveCapacity(snap.count * (snap.meta.codeDims * 12 + 24))
                for i in 0..<snap.count {
                    let id = snap.ids[i]
                    text +=
                        id.contains(where: { $0 == "," || $0 == "\"" })
                        ? "\"" + id.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : id
                    text += ",\(snap.labels[i])"
                    for j in 0..<snap.meta.codeDims { text += ",\(snap.codes[i, j])" }
                    text += "\n"
                }
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else {
                    throw CLIError("\(out): cannot write the file")
                }
            }
            note("wrote \(snap.count) items to \(out) (\(format.rawValue))")
        }

        func exportToMilvus(_ target: String) throws {
            do {
                let url = try MilvusURL(parsing: target)
                let n = try MilvusExport(store: store, url: url, replace: replace).run(reporter: ProgressReporter())
                note("wrote \(n) items to \(url); its collections hold the store's count")
            } catch let error as MilvusError {
                throw CLIError("\(error)")
            }
        }
    }
}
