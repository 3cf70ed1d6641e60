/// First three words of SeededRNG(seed: 42), computed in a separate process by an
/// independent Python implementation of SplitMix64 + xoshiro256**.
enum GoldenRNG {
    static let words: [UInt64] = [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009]
}
