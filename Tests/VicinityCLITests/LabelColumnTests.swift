import Testing
import VicinityMath
@testable import VicinityServer

/// The one-byte label column against a plain array, through appends and swap-removes, with
/// labels on both sides of its one-byte range (−1 … 253 inline, the rest in the side table).
@Suite struct LabelColumnTests {
    @Test func matchesAnArrayThroughChanges() {
        var rng = SeededRNG(seed: 5)
        func label() -> Int {
            switch rng.below(6) {
            case 0: -1
            case 1: 252 + rng.below(4)  // 252, 253 inline; 254, 255 in the side table
            case 2: Int(Int32.max) - rng.below(3)
            default: rng.below(10)
            }
        }
        var plain = (0..<300).map { _ in label() }
        var column = LabelColumn(plain)
        for step in 0..<5000 {
            if plain.isEmpty || rng.below(2) == 0 {
                let l = label()
                plain.append(l)
                column.append(l)
            } else {
                let row = rng.below(plain.count)
                plain.swapAt(row, plain.count - 1)
                plain.removeLast()
                column.removeSwappingLast(row)
            }
            if step % 250 == 0 {
                #expect(column.count == plain.count)
                #expect(plain.indices.allSatisfy { column[$0] == plain[$0] })
            }
        }
        #expect(plain.indices.allSatisfy { column[$0] == plain[$0] })
    }
}
