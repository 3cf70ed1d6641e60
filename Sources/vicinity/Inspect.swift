import ArgumentParser
import Foundation
import VicinityStore

extension Vicinity {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a store's metadata, counts, label histogram and size on disk.",
            discussion: """
                Opens the store read-only. Size on disk is what the files occupy (allocated blocks, as du
                reports; LMDB files are sparse); payload is the bytes the items hold (ids, labels, codes,
                bits, sources), and the ratio is size over payload.
                JSON keys: store, schema_version, model_fingerprint, model, data, code_dims, bits,
                count, databases {meta, items, rows, addr} (entries), database_pages (4 KiB pages), labels {label: count}, disk_bytes,
                apparent_bytes, payload_bytes, size_ratio, map_bytes, problems (with --check).
                """)

        @Argument(help: ArgumentHelp("The store directory, e.g. stores/NAME.", valueName: "store")) var store: String
        @Flag(help: "Print one JSON object.") var json = false
        @Flag(help: "Also check every invariant (rows dense, rows ↔ items, addresses); fails if any is broken.")
        var check = false

        func run() throws {
            let codeStore: CodeStore
            do { codeStore = try CodeStore(path: store, access: .readOnly) } catch { throw CLIError("\(error)") }
            guard let meta = try codeStore.meta() else {
                throw CLIError("\(store): the store is empty and has no model yet")
            }
            let entries = try codeStore.databaseEntries()
            let (labels, payload) = try codeStore.contentStatistics()
            let usage = codeStore.diskUsage()
            let ratio = payload > 0 ? Double(usage.allocatedBytes) / Double(payload) : 0
            let problems = check ? try codeStore.checkConsistency() : []
            if json {
                var object: [String: Any] = [
                    "store": store, "schema_version": meta.schemaVersion, "model_fingerprint": meta.modelFingerprint,
                    "code_dims": meta.codeDims, "bits": meta.bits, "count": meta.count,
                    "databases": entries, "database_pages": try codeStore.databasePages(),
                    "labels": Dictionary(uniqueKeysWithValues: labels.map { (String($0.key), $0.value) }),
                    "disk_bytes": usage.allocatedBytes, "apparent_bytes": usage.apparentBytes, "payload_bytes": payload,
                    "size_ratio": ratio, "map_bytes": codeStore.mapSize,
                ]
                for (k, v) in meta.extra { object[k] = v }
                if check { object["problems"] = problems }
                try printJSON(object)
            } else {
                print("store      \(store)  (schema \(meta.schemaVersion))")
                print("model      \(meta.modelFingerprint)\(meta.extra["model"].map { "  \($0)" } ?? "")")
                if let data = meta.extra["data"] { print("data       \(data)") }
                print("codes      \(meta.codeDims) floats\(meta.bits > 0 ? " + \(meta.bits) bits" : "")")
                print(
                    "items      \(meta.count)  (items \(entries["items"]!), rows \(entries["rows"]!), addresses \(entries["addr"]!))"
                )
                print(
                    "size       \(bytes(usage.allocatedBytes)) on disk for \(bytes(payload)) of payload (×\(String(format: "%.2f", ratio))); map \(bytes(codeStore.mapSize))"
                )
                print("labels")
                for (label, n) in labels.sorted(by: { $0.key < $1.key }) {
                    print(
                        String(format: "  %5d  %8d  %5.1f %%", label, n, 100 * Double(n) / Double(max(meta.count, 1))))
                }
                if check {
                    print(
                        problems.isEmpty
                            ? "check      consistent"
                            : "check      \(problems.count) problems:\n  " + problems.joined(separator: "\n  "))
                }
            }
            if !problems.isEmpty { throw CLIError("\(store): \(problems.count) consistency problems") }
        }

        private func bytes(_ n: Int) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var v = Double(n), u = 0
            while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
            return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
        }
    }
}
