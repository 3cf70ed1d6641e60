import Testing
import VicinityMath
@testable import VicinityServer

/// The served id table against a plain array and dictionary through adds and swap-removes.
@Suite struct IDTableTests {
    @Test func matchesAnArrayAndADictionaryThroughChanges() {
        var rng = SeededRNG(seed: 11)
        var ids = (0..<500).map { "item-\($0)" }
        var table = IDTable(ids)
        var next = 500
        for step in 0..<6000 {
            if ids.isEmpty || rng.below(5) < 2 {
                // Ids of every length, including empty-looking and long ones.
                let id =
                    rng.below(50) == 0 ? String(repeating: "x", count: 200 + rng.below(45)) + "\(next)" : "n\(next)"
                next += 1
                ids.append(id)
                table.append(id)
            } else {
                let row = rng.below(ids.count)
                ids.swapAt(row, ids.count - 1)
                ids.removeLast()
                table.removeSwappingLast(row)
            }
            if step % 500 == 0 || step == 5999 {
                #expect(table.count == ids.count)
                #expect((0..<ids.count).allSatisfy { table.id($0) == ids[$0] })
                #expect(ids.indices.allSatisfy { table.row(of: ids[$0]) == $0 })
                #expect(table.row(of: "item-never") == nil && table.row(of: "n\(next)") == nil)
            }
        }
        while !ids.isEmpty {
            table.removeSwappingLast(0)
            ids.swapAt(0, ids.count - 1)
            ids.removeLast()
        }
        #expect(table.count == 0 && table.row(of: "item-3") == nil)
        table.append("again")
        #expect(table.row(of: "again") == 0 && table.id(0) == "again")
    }
}
