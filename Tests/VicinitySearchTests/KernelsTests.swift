import Testing
import VicinityMath
@testable import VicinitySearch

@Suite struct KernelsTests {
    /// Rows of every length around the kernel's chunk sizes, with coordinates of mixed sign and scale.
    static func pair(_ n: Int, _ rng: inout SeededRNG) -> (a: [Float], b: [Float]) {
        let draw = { (rng: inout SeededRNG) in Float(rng.uniform() * 2 - 1) * Float(1 << rng.below(6)) }
        return ((0..<n).map { _ in draw(&rng) }, (0..<n).map { _ in draw(&rng) })
    }

    @Test func theWholeRowMatchesASumInDouble() {
        var rng = SeededRNG(seed: 7)
        for n in 1...80 {
            let (a, b) = Self.pair(n, &rng)
            let exact = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let got = Double(Kernels.squaredL2(a, b, n))
            #expect(abs(got - exact) <= 1e-5 * exact, "n = \(n)")
        }
    }

    /// A row kept as head and tail apart gives the whole row's bits; with a limit it either
    /// gives them too or stops at its first 16 dimensions, above the limit, without reading the tail.
    @Test func aSplitRowGivesTheWholeRowsBits() {
        var rng = SeededRNG(seed: 11)
        for n in 24...80 {
            for _ in 0..<20 {
                let (a, b) = Self.pair(n, &rng)
                let whole = Kernels.squaredL2(a, b, n)
                let head = Array(b[..<16]), tail = Array(b[16...]), poisoned = [Float](repeating: .nan, count: n - 16)
                let split = Kernels.squaredL2(a, head: head, tail: tail, n, unlessAbove: .infinity)
                #expect(split.bitPattern == whole.bitPattern, "n = \(n)")
                let limit = whole * Float(rng.uniform())
                let stopped = Kernels.squaredL2(a, head: head, tail: tail, n, unlessAbove: limit)
                #expect(stopped.bitPattern == whole.bitPattern || (stopped > limit && stopped <= whole))
                let early = Kernels.squaredL2(a, head: head, tail: poisoned, n, unlessAbove: -1)
                #expect(early >= 0 && early <= whole, "the tail was read: n = \(n)")
            }
        }
    }
}
