import ArgumentParser
import Foundation
import VicinityStore

extension Vicinity {
    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent, canonical copy of a store (safe while a server or embed is writing).",
            discussion: """
                The copy is one point in time: one read transaction sees every write committed before it
                began and none after, so the store keeps answering and writing meanwhile. It is written
                in canonical form (every database in key order, pages filled, no free pages), so it
                depends only on the store's contents, as a finished `vicinity embed` does. The copy
                passes `inspect --check` and serves exactly as the store did.
                """)

        @Argument(help: ArgumentHelp("The store directory, e.g. stores/NAME.", valueName: "store")) var store: String
        @Option(
            help: ArgumentHelp("The folder to write the copy into (created; must not hold a store).", valueName: "dir"))
        var out: String

        func run() throws {
            let codeStore: CodeStore
            do { codeStore = try CodeStore(path: store, access: .readOnly) } catch { throw CLIError("\(error)") }
            let target = (out as NSString).appendingPathComponent("data.mdb")
            let start = Date()
            let count: Int
            do { count = try codeStore.writeCanonicalCopy(to: out) } catch {
                throw CLIError("snapshot of \(store) into \(out) failed: \(error)")
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
            print(
                "snapshot of \(store) (\(count) items) in \(out): \(bytes) bytes in \(String(format: "%.2f", Date().timeIntervalSince(start))) s"
            )
        }
    }
}
