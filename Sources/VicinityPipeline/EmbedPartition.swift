import Foundation
import VicinityMath

/// Part `index` of an embed cut `count` ways (`vicinity embed --partition i/n`): the input is cut
/// on the windows a single run uses (the id-ordered windows of `--batch` rows of an input read
/// whole, a stream's batches), and the part embeds the windows w with w % count == index. Codes
/// do not depend on batching, so the parts' items are the single run's, and `PartitionMerge`
/// makes them into its store, byte for byte.
public struct EmbedPartition: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1 && index >= 0 && index < count else { return nil }
        (self.index, self.count) = (index, count)
    }

    /// `i/n`, with 0 ≤ i < n.
    public init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, let i = Int(halves[0]), let n = Int(halves[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    func owns(window: Int) -> Bool { window % count == index }

    // Meta keys only part stores carry: a merge drops them, so its meta is a single run's.
    /// `i/n`.
    static let partKey = "partition"
    /// What the windows are cut from, known when the part starts: data, id prefix, batch, size.
    static let inputKey = "partition_input"
    /// Written when the part is complete: the input's item count and a hash of its ids in window order.
    static let itemsKey = "partition_items"
    static let idsKey = "partition_ids"

    static func isPartitionKey(_ key: String) -> Bool { key == partKey || key.hasPrefix(partKey + "_") }

    /// The store a part goes into by convention: `stores/NAME.part-i`.
    public static func partStore(_ store: String, index: Int) -> String { "\(store).part-\(index)" }
}

extension EmbedSource {
    /// What a part's windows are cut from, as far as it is known before reading: the data's name,
    /// id prefix, batch and size (a stream's content is checked at the end, `partition_ids`).
    func partitionInput(batch: Int, idPrefix: String?) -> String {
        var h = FNV1a64()
        for field in [dataName, idPrefix ?? "", String(batch), knownTotal.map(String.init) ?? "?"] {
            Array(field.utf8).withUnsafeBytes { h.combine(bytes: $0) }
            h.combine(0)
        }
        return h.hex
    }
}
