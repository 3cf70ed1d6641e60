import Foundation

/// Vectorised elementwise kernels. `exp` is a Cephes-style polynomial on
/// SIMD8 lanes (about 2 ulp), with inputs clamped so results stay finite;
/// the scalar tail uses the same lanes so every element is computed alike.
public enum Elementwise {
    public typealias Lanes = SIMD8<Float>

    /// Largest and smallest arguments for which exp stays a finite normal Float.
    public static let expMax: Float = 88.3
    public static let expMin: Float = -87.3
    /// The floor applied before log, so log(0) is a large negative number, not -inf.
    public static let logFloor: Float = 1e-30

    @inlinable @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        var x = x
        x.replace(with: Lanes(repeating: expMin), where: x .< expMin)
        x.replace(with: Lanes(repeating: expMax), where: x .> expMax)
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: adding it
        // leaves n in the low mantissa bits, so both n as a float and 2ⁿ's exponent
        // come out without any float-to-int conversion (which SIMD8 does lane by lane).
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
        return p * unsafeBitCast(bits &<< 23, to: Lanes.self)
    }

    @inlinable @inline(__always)
    public static func logistic(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    /// Applies a lane kernel to every element of `values`, in place.
    @inlinable @inline(__always)
    public static func apply(_ values: UnsafeMutableBufferPointer<Float>, _ kernel: (Lanes) -> Lanes) {
        guard let base = values.baseAddress else { return }
        let n = values.count
        let whole = n / 8 * 8
        var i = 0
        while i < whole {
            let raw = UnsafeMutableRawPointer(base + i)
            raw.storeBytes(of: kernel(raw.loadUnaligned(as: Lanes.self)), as: Lanes.self)
            i += 8
        }
        if whole < n {
            var lane = Lanes()
            for j in whole..<n { lane[j - whole] = base[j] }
            let out = kernel(lane)
            for j in whole..<n { base[j] = out[j - whole] }
        }
    }

    public static func exp(_ v: UnsafeMutableBufferPointer<Float>) { apply(v) { exp($0) } }
    public static func logistic(_ v: UnsafeMutableBufferPointer<Float>) { apply(v) { logistic($0) } }

    /// log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it never overflows.
    public static func softplus(_ v: UnsafeMutableBufferPointer<Float>) {
        for i in v.indices {
            let x = v[i]
            v[i] = max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
        }
    }

    /// Natural log with the argument clamped at `logFloor`.
    public static func log(_ v: UnsafeMutableBufferPointer<Float>) {
        for i in v.indices { v[i] = Foundation.log(max(v[i], logFloor)) }
    }
}

extension Matrix {
    /// Applies an elementwise kernel in place, e.g. `m.applyElementwise(Elementwise.logistic)`.
    /// Large matrices are cut into one slice per core (the kernels are pure, so slices are independent).
    public mutating func applyElementwise(_ kernel: (UnsafeMutableBufferPointer<Float>) -> Void) {
        storage.withUnsafeMutableBufferPointer { all in
            forEachSlice(all.count) { range in kernel(UnsafeMutableBufferPointer(rebasing: all[range])) }
        }
    }

    /// A copy with an elementwise kernel applied.
    public func mappedElementwise(_ kernel: (UnsafeMutableBufferPointer<Float>) -> Void) -> Matrix {
        var out = self
        out.applyElementwise(kernel)
        return out
    }
}

extension Elementwise {
    /// tanh(x) = 2·σ(2x) − 1, on the same lanes as `logistic`.
    @inlinable @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes { 2 / (1 + exp(-2 * x)) - 1 }

    @inlinable @inline(__always)
    public static func relu(_ x: Lanes) -> Lanes { x.replacing(with: 0, where: x .< 0) }

    public static func tanh(_ v: UnsafeMutableBufferPointer<Float>) { apply(v) { tanh($0) } }
    public static func relu(_ v: UnsafeMutableBufferPointer<Float>) { apply(v) { relu($0) } }
}

/// Runs `body` over `0..<count` in one slice per core when the work is big enough to pay for the
/// hand-off (element-wise passes over a mini-batch's activations), else in one piece here.
public func forEachSlice(_ count: Int, minimum: Int = 1 << 17, _ body: (Range<Int>) -> Void) {
    let parts = count >= minimum ? availableCores : 1
    guard parts > 1 else { return body(0..<count) }
    withoutActuallyEscaping(body) { body in
        let shared = UnsafeSendable(body)
        parallelFor(parts) { p in shared.value(count * p / parts..<count * (p + 1) / parts) }
    }
}
