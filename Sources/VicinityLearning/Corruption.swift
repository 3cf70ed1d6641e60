import VicinityMath

/// Input corruption for denoising autoencoders; the clean input stays the target.
public enum Corruption: Sendable, Equatable, Codable {
    case none
    /// Each input is set to 0 with probability ν.
    case masking(Float)
    /// Adds N(0, σ²) to each input.
    case gaussian(Float)
    /// Each input is set to 0 or 1 (equally likely) with probability ν.
    case saltAndPepper(Float)
    /// Square images moved by up to n pixels in each direction (zeros fill in): augmentation.
    case shift(Int)
    /// Several corruptions, applied in order.
    indirect case combined([Corruption])

    /// Parses `none`, `mask:0.3`, `gauss:0.1`, `salt:0.1`, `shift:2`, or several joined by `+`.
    public init(parsing text: String) throws {
        if text.contains("+") {
            self = .combined(try text.split(separator: "+").map { try Corruption(parsing: String($0)) })
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        if parts == ["none"] { self = .none; return }
        guard parts.count == 2, let v = Float(parts[1]), v.isFinite, v >= 0 else {
            throw LearningError("noise '\(text)': expected none, mask:P, gauss:SIGMA or salt:P")
        }
        switch parts[0] {
        case "mask": self = .masking(v)
        case "gauss": self = .gaussian(v)
        case "salt": self = .saltAndPepper(v)
        case "shift":
            guard v == v.rounded(), v <= 8 else {
                throw LearningError("noise '\(text)': shift takes a whole number of pixels, at most 8")
            }
            self = .shift(Int(v))
        default: throw LearningError("noise '\(text)': unknown kind '\(parts[0])' (mask, gauss, salt, shift)")
        }
        if case .masking(let p) = self, p > 1 { throw LearningError("noise '\(text)': probability above 1") }
        if case .saltAndPepper(let p) = self, p > 1 { throw LearningError("noise '\(text)': probability above 1") }
    }

    public var text: String {
        switch self {
        case .none: "none"
        case .masking(let p): "mask:\(p)"
        case .gaussian(let s): "gauss:\(s)"
        case .saltAndPepper(let p): "salt:\(p)"
        case .shift(let n): "shift:\(n)"
        case .combined(let list): list.map(\.text).joined(separator: "+")
        }
    }

    /// A corrupted copy of `x`.
    public func apply(_ x: Matrix, rng: inout SeededRNG) -> Matrix {
        if case .combined(let list) = self { return list.reduce(x) { $1.apply($0, rng: &rng) } }
        if case .shift(let n) = self { return Corruption.shifted(x, by: n, rng: &rng) }
        var out = x
        out.storage.withUnsafeMutableBufferPointer { v in
            switch self {
            case .none: break
            case .masking(let p):
                for i in v.indices where rng.uniform() < p { v[i] = 0 }
            case .gaussian(let s):
                for i in v.indices { v[i] += s * rng.gaussian() }
            case .saltAndPepper(let p):
                for i in v.indices where rng.uniform() < p { v[i] = rng.uniform() < 0.5 ? 0 : 1 }
            case .shift, .combined: break
            }
        }
        return out
    }
}

extension Corruption {
    /// Each row, read as a square image, moved by (dy, dx) drawn from −n…n.
    static func shifted(_ x: Matrix, by n: Int, rng: inout SeededRNG) -> Matrix {
        let side = Int(Double(x.cols).squareRoot())
        guard n > 0, side * side == x.cols else { return x }
        var out = Matrix(rows: x.rows, cols: x.cols)
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for r in 0..<x.rows {
                    let dy = rng.below(2 * n + 1) - n, dx = rng.below(2 * n + 1) - n
                    let s = src.baseAddress! + r * x.cols, d = dst.baseAddress! + r * x.cols
                    for y in max(0, dy)..<min(side, side + dy) {
                        for xx in max(0, dx)..<min(side, side + dx) { d[y * side + xx] = s[(y - dy) * side + xx - dx] }
                    }
                }
            }
        }
        return out
    }
}
