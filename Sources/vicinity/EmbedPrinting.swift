import Foundation
import VicinityPipeline

extension Vicinity.Embed {
    func printSummary(_ s: EmbedSummary) throws {
        func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
        guard !json else {
            return try printJSON([
                "store": s.store, "model": s.model, "model_fingerprint": s.fingerprint, "dims": s.codeDims,
                "bits": s.bits, "input_items": s.inputItems, "embedded": s.embedded,
                "already_stored": s.alreadyStored,
                "skipped": s.skipped.count, "skipped_names": s.skipped.prefix(20).map(\.name), "count": s.count,
                "complete": s.complete, "seconds": s.seconds, "items_per_second": s.itemsPerSecond,
                "canonical": s.canonical, "load_seconds": s.loadSeconds, "embed_seconds": s.embedSeconds,
                "write_seconds": s.writeSeconds, "partition": s.partition.map { $0.description as Any } ?? NSNull(),
                "partition_input_items": s.partitionInputItems.map { $0 as Any } ?? NSNull(),
            ])
        }
        print(
            "embedded \(s.embedded) items into \(s.store) in \(f(s.seconds)) s (\(f(s.itemsPerSecond, 0)) items/s; "
                + "load \(f(s.loadSeconds)) s, embed \(f(s.embedSeconds)) s, write \(f(s.writeSeconds)) s)")
        print(
            "store holds \(s.count) items: \(s.codeDims)-D codes\(s.bits > 0 ? ", \(s.bits) bits" : ""); "
                + "\(s.alreadyStored) were already there, \(s.skipped.count) images skipped")
        if let partition = s.partition, let all = s.partitionInputItems, s.complete {
            print(
                "partition \(partition): \(s.inputItems) of the input's \(all) items; `vicinity merge` joins the parts")
        }
    }
}
