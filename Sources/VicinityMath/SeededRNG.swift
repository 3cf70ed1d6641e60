import Foundation

/// A seeded pseudo-random generator: xoshiro256** with its state filled by
/// SplitMix64 from a 64-bit seed. The same seed gives the same stream on every
/// run, machine and Swift version, because every derived draw (floats,
/// Gaussians, bounded integers, permutations) is implemented here, not in the
/// standard library.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    /// The spare Gaussian from the last Box–Muller pair.
    private var spareGaussian: Float?

    public init(seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The full generator state, for checkpoints: restoring it resumes the exact stream.
    public var state: [UInt64] {
        get { [s.0, s.1, s.2, s.3, spareGaussian.map { UInt64($0.bitPattern) | (1 << 32) } ?? 0] }
        set {
            precondition(newValue.count == 5, "SeededRNG state has 5 words")
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
            spareGaussian = newValue[4] >> 32 == 1 ? Float(bitPattern: UInt32(truncatingIfNeeded: newValue[4])) : nil
        }
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float { lower + (upper - lower) * uniform() }

    /// Standard normal by the Box–Muller transform.
    public mutating func gaussian() -> Float {
        if let g = spareGaussian { spareGaussian = nil; return g }
        // u1 in (0, 1] so log(u1) is finite.
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * Foundation.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareGaussian = Float(r * Foundation.sin(theta))
        return Float(r * Foundation.cos(theta))
    }

    /// Uniform integer in 0..<bound, unbiased (Lemire's multiply-and-reject).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(\(bound)): bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }

    /// An n-element array of N(mean, std²) draws.
    public mutating func gaussians(_ n: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        (0..<n).map { _ in mean + std * gaussian() }
    }

    /// An n-element array of uniform draws in [lower, upper).
    public mutating func uniforms(_ n: Int, _ lower: Float = 0, _ upper: Float = 1) -> [Float] {
        (0..<n).map { _ in uniform(lower, upper) }
    }
}
