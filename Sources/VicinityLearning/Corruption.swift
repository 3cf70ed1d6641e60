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

    /// Parses `none`, `mask:0.3`, `gauss:0.1`, `salt:0.1`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        if parts == ["none"] { self = .none; return }
        guard parts.count == 2, let v = Float(parts[1]), v.isFinite, v >= 0 else {
            throw LearningError("noise '\(text)': expected none, mask:P, gauss:SIGMA or salt:P")
        }
        switch parts[0] {
        case "mask": self = .masking(v)
        case "gauss": self = .gaussian(v)
        case "salt": self = .saltAndPepper(v)
        default: throw LearningError("noise '\(text)': unknown kind '\(parts[0])' (mask, gauss, salt)")
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
        }
    }

    /// A corrupted copy of `x`.
    public func apply(_ x: Matrix, rng: inout SeededRNG) -> Matrix {
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
            }
        }
        return out
    }
}

/// A learning-library failure to report to the user.
public struct LearningError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
