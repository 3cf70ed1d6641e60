import Foundation
import Testing
import VicinityMath
@testable import VicinityStore

/// Search structures saved with the items: kept until the items change, read back in chunks.
@Suite struct SavedIndexTests {
    @Test func everyWriteOfItemsDropsThem() throws {
        let store = try makeStore()
        try store.put((0..<10).map { item($0) })
        try store.saveIndex("knn", [1, 2, 3])
        #expect(try store.savedIndex("knn") == [1, 2, 3])
        try store.saveIndex("knn", [9], ifCount: 11)  // not the store's count: left as it was
        #expect(try store.savedIndex("knn") == [1, 2, 3])
        try store.put([item(10)])
        #expect(try store.savedIndex("knn") == nil)
        try store.saveIndex("knn", [4], ifCount: 11)
        #expect(try store.delete("no-such-item") == false)
        #expect(try store.savedIndex("knn") == [4])  // nothing was deleted
        #expect(try store.delete("item-3"))
        #expect(try store.savedIndex("knn") == nil)
        try store.saveIndex("knn", [5])
        let reopened = try CodeStore(path: store.path, access: .readOnly)
        #expect(try reopened.savedIndex("knn") == [5])
    }

    @Test func codesComeInChunksWithTheirRows() throws {
        let store = try makeStore()
        try store.put((0..<23).map { item($0) })
        _ = try store.delete("item-4")
        let snapshot = try store.snapshot()
        var seen = [Int: [Float]]()
        var sizes: [Int] = []
        try store.forEachCodeChunk(5) { rows, codes in
            sizes.append(rows.count)
            for (i, r) in rows.enumerated() { seen[r] = codes.row(i) }
        }
        #expect(sizes == [5, 5, 5, 5, 2])
        #expect(seen.count == 22 && (0..<22).allSatisfy { seen[$0] == snapshot.codes.row($0) })
        #expect(try store.codes(ofRows: [21, 0, 7]) == snapshot.codes.rows([21, 0, 7]))
    }
}
