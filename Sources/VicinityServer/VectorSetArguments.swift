import VicinityProtocol
/// The arguments of VADD and VSIM, parsed in Redis's grammar (vset.c's order and wording).

/// Where a vector-set command's vector comes from.
enum VectorInput: Equatable {
    case values([Float])
    /// An existing element's vector (VSIM ELE).
    case element(String)
    /// Pixels 0–255 scaled to [0, 1], embedded by the served model (Vicinity's extension: `RAW p,p,…`).
    case pixels([Float])
}

struct VAddArguments {
    var key: String
    var input: VectorInput
    var element: String
    /// nil: keep the element's attributes; .some(nil): none.
    var attributes: String??
}

struct VSimArguments {
    var key: String
    var input: VectorInput
    var withScores = false
    var withAttributes = false
    var count = 10
    var epsilon = 2.0
    var filter: String?
}

enum VectorSetGrammar {
    static let invalidVector = EngineError("BADARG", "invalid vector specification")

    /// The vector at `w[i]…`; returns it and the index after it.
    static func vector(_ w: [String], _ bytes: [[UInt8]], at i: Int, allowElement: Bool) throws -> (VectorInput, Int) {
        guard i + 1 < w.count else { throw invalidVector }
        switch w[i].uppercased() {
        case "FP32":
            guard let v = try? float32s(bytes[i + 1], "FP32"), v.count <= 65536 else { throw invalidVector }
            return (.values(v), i + 2)
        case "VALUES":
            guard let n = Int(w[i + 1]), (1...65536).contains(n), i + 2 + n <= w.count else { throw invalidVector }
            var v: [Float] = []
            v.reserveCapacity(n)
            for text in w[(i + 2)..<(i + 2 + n)] {
                guard let d = Double(text), d.isFinite, Float(d).isFinite else { throw invalidVector }
                v.append(Float(d))
            }
            return (.values(v), i + 2 + n)
        case "RAW":
            return (.pixels(try pixels(w[i + 1])), i + 2)
        case "ELE" where allowElement:
            return (.element(w[i + 1]), i + 2)
        case "REDUCE" where !allowElement:
            throw EngineError("BADARG", "REDUCE (random projection) is not supported: Vicinity keeps vectors exact")
        default:
            throw invalidVector
        }
    }

    static func vadd(_ w: [String], _ bytes: [[UInt8]]) throws -> VAddArguments {
        let (input, next) = try vector(w, bytes, at: 2, allowElement: false)
        guard next < w.count else { throw EngineError("ARITY", "wrong number of arguments for 'VADD' command") }
        var args = VAddArguments(key: w[1], input: input, element: w[next], attributes: nil)
        var i = next + 1
        while i < w.count {
            let option = w[i].uppercased()
            let hasValue = i + 1 < w.count
            switch option {
            case "CAS", "NOQUANT", "Q8", "BIN": i += 1
            case "EF" where hasValue:
                guard let ef = Int(w[i + 1]), (1...1_000_000).contains(ef) else {
                    throw EngineError("BADARG", "invalid EF")
                }
                i += 2
            case "M" where hasValue:
                guard let m = Int(w[i + 1]), (4...4096).contains(m) else { throw EngineError("BADARG", "invalid M") }
                i += 2
            case "SETATTR" where hasValue:
                args.attributes = .some(w[i + 1].isEmpty ? nil : w[i + 1])
                i += 2
            default: throw EngineError("BADARG", "invalid option after element")
            }
        }
        return args
    }

    static func vsim(_ w: [String], _ bytes: [[UInt8]]) throws -> VSimArguments {
        let (input, next) = try vector(w, bytes, at: 2, allowElement: true)
        var args = VSimArguments(key: w[1], input: input)
        let syntax = EngineError("BADARG", "syntax error in VSIM command")
        var i = next
        while i < w.count {
            let option = w[i].uppercased()
            let value: String? = i + 1 < w.count ? w[i + 1] : nil
            switch option {
            case "WITHSCORES": args.withScores = true
            case "WITHATTRIBS": args.withAttributes = true
            case "TRUTH", "NOTHREAD": break
            case "COUNT", "EF", "FILTER-EF", "EPSILON", "FILTER":
                guard let value else { throw syntax }
                i += 1
                switch option {
                case "COUNT":
                    guard let n = Int(value), n > 0 else { throw EngineError("BADARG", "invalid COUNT") }
                    args.count = n
                case "EF":
                    guard let n = Int(value), (1...1_000_000).contains(n) else {
                        throw EngineError("BADARG", "invalid EF")
                    }
                case "FILTER-EF":
                    guard let n = Int(value), n > 0 else { throw EngineError("BADARG", "invalid FILTER-EF") }
                case "EPSILON":
                    guard let d = Double(value), d > 0 else { throw EngineError("BADARG", "invalid EPSILON") }
                    args.epsilon = d
                default:
                    args.filter = value
                }
            default: throw syntax
            }
            i += 1
        }
        return args
    }
}
