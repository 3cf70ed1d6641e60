import Foundation

/// A value in a filter expression: what a JSON attribute or a literal can be.
/// JSON booleans are the numbers 1 and 0, as in Redis's vector-set filters.
public enum FilterValue: Sendable, Equatable {
    case number(Double)
    case string(String)
    case array([FilterValue])
    case null

    /// A JSON value from JSONSerialization; nil for objects (filters do not reach inside them).
    public init?(json: Any) {
        switch json {
        case let n as NSNumber:  // JSON true/false arrive as NSNumber too (and are 1/0 here, as in Redis)
            self = .number(n.doubleValue)
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.compactMap { FilterValue(json: $0) })
        case is NSNull: self = .null
        default: return nil
        }
    }

    var truthy: Bool {
        switch self {
        case .number(let n): n != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .null: false
        }
    }
}

/// A malformed filter, worded as Redis words it.
public struct FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The expression from where parsing failed.
    public let near: String
    public var description: String { "syntax error in FILTER expression near: \(near)" }
}

/// Redis 8's vector-set filter language: `.field` selectors, numbers, strings
/// ("…" or '…'), `true`/`false`, tuples `[a, b]`; `( )`, `!`/`not`, `**`, `* / %`,
/// `+ -`, `> >= < <= == != in`, `and`/`&&`, `or`/`||` — Redis's precedence, left to
/// right except `**`. An item whose selector is missing, or whose values do not fit
/// an operator (a string times a number), does not match.
public indirect enum FilterExpression: Sendable, Equatable {
    case literal(FilterValue)
    case selector(String)
    case not(FilterExpression)
    case negate(FilterExpression)
    case binary(String, FilterExpression, FilterExpression)

    public static func parse(_ text: String) throws -> FilterExpression {
        var parser = FilterParser(tokens: try FilterLexer.tokens(text), text: text)
        let e = try parser.expression(0)
        guard parser.atEnd else { throw parser.error() }
        return e
    }

    /// Whether an item matches; `attribute` gives a field's value, nil when it has none.
    public func matches(_ attribute: (String) -> FilterValue?) -> Bool {
        evaluate(attribute)?.truthy ?? false
    }

    /// The selectors the expression reads.
    public var selectors: Set<String> {
        switch self {
        case .literal: []
        case .selector(let s): [s]
        case .not(let e), .negate(let e): e.selectors
        case .binary(_, let a, let b): a.selectors.union(b.selectors)
        }
    }

    func evaluate(_ attribute: (String) -> FilterValue?) -> FilterValue? {
        switch self {
        case .literal(let v): return v
        case .selector(let name): return attribute(name)
        case .not(let e): return e.evaluate(attribute).map { .number($0.truthy ? 0 : 1) }
        case .negate(let e):
            guard case .number(let n)? = e.evaluate(attribute) else { return nil }
            return .number(-n)
        case .binary(let op, let a, let b):
            switch op {
            case "and":
                guard let x = a.evaluate(attribute) else { return nil }
                guard x.truthy else { return .number(0) }
                return b.evaluate(attribute).map { .number($0.truthy ? 1 : 0) }
            case "or":
                if let x = a.evaluate(attribute), x.truthy { return .number(1) }
                return b.evaluate(attribute).map { .number($0.truthy ? 1 : 0) }
            default:
                guard let x = a.evaluate(attribute), let y = b.evaluate(attribute) else { return nil }
                return Self.apply(op, x, y)
            }
        }
    }

    static func apply(_ op: String, _ x: FilterValue, _ y: FilterValue) -> FilterValue? {
        func bool(_ b: Bool) -> FilterValue { .number(b ? 1 : 0) }
        switch (op, x, y) {
        case ("==", _, _): return bool(x == y)
        case ("!=", _, _): return bool(x != y)
        case ("in", _, .array(let items)): return bool(items.contains(x))
        case ("in", .string(let s), .string(let t)): return bool(t.contains(s))
        case (_, .number(let p), .number(let q)):
            switch op {
            case "+": return .number(p + q)
            case "-": return .number(p - q)
            case "*": return .number(p * q)
            case "/": return q == 0 ? nil : .number(p / q)
            case "%": return q == 0 ? nil : .number(p.truncatingRemainder(dividingBy: q))
            case "**": return .number(Foundation.pow(p, q))
            case ">": return bool(p > q)
            case ">=": return bool(p >= q)
            case "<": return bool(p < q)
            case "<=": return bool(p <= q)
            default: return nil
            }
        case (_, .string(let s), .string(let t)):
            switch op {
            case ">": return bool(s > t)
            case ">=": return bool(s >= t)
            case "<": return bool(s < t)
            case "<=": return bool(s <= t)
            default: return nil
            }
        default: return nil
        }
    }
}

enum FilterToken: Equatable {
    case value(FilterValue)
    case selector(String)
    case op(String)
    case open, close, openTuple, closeTuple, comma
}

enum FilterLexer {
    static let operators = ["**", ">=", "<=", "==", "!=", "&&", "||", "!", "*", "/", "%", "+", "-", ">", "<"]

    /// Tokens with the offset each starts at.
    // Long: one scanner, one case per token kind of the filter language.
    static func tokens(_ text: String) throws -> [(FilterToken, Int)] {
        let s = Array(text.unicodeScalars)
        var out: [(FilterToken, Int)] = []
        var i = 0
        func fail(_ at: Int) -> FilterError { FilterError(near: String(String.UnicodeScalarView(s[at...]))) }
        func word(_ from: Int) -> String {
            var j = from
            while j < s.count, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) || s[j] == "_" || s[j] == "-"
            { j += 1 }
            return String(String.UnicodeScalarView(s[from..<j]))
        }
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace { i += 1; continue }
            switch c {
            case "(": out.append((.open, i)); i += 1
            case ")": out.append((.close, i)); i += 1
            case "[": out.append((.openTuple, i)); i += 1
            case "]": out.append((.closeTuple, i)); i += 1
            case ",": out.append((.comma, i)); i += 1
            case ".":
                let name = word(i + 1)
                guard !name.isEmpty else { throw fail(i) }
                out.append((.selector(name), i)); i += 1 + name.unicodeScalars.count
            case "\"", "'":
                var j = i + 1, value = String.UnicodeScalarView()
                while j < s.count && s[j] != c {
                    if s[j] == "\\" && j + 1 < s.count { j += 1 }
                    value.append(s[j]); j += 1
                }
                guard j < s.count else { throw fail(i) }
                out.append((.value(.string(String(value))), i)); i = j + 1
            case "0"..."9":
                var j = i
                while j < s.count,
                    ("0"..."9").contains(s[j]) || s[j] == "." || s[j] == "e" || s[j] == "E"
                        || ((s[j] == "-" || s[j] == "+") && (s[j - 1] == "e" || s[j - 1] == "E"))
                { j += 1 }
                guard let n = Double(String(String.UnicodeScalarView(s[i..<j]))) else { throw fail(i) }
                out.append((.value(.number(n)), i)); i = j
            default:
                if let op = operators.first(where: { op in
                    op.unicodeScalars.count <= s.count - i
                        && String(String.UnicodeScalarView(s[i..<(i + op.unicodeScalars.count)])) == op
                }) {
                    out.append((.op(op == "&&" ? "and" : op == "||" ? "or" : op == "!" ? "not" : op), i))
                    i += op.unicodeScalars.count
                    continue
                }
                let w = word(i)
                switch w {
                case "and", "or", "not", "in": out.append((.op(w), i))
                case "true": out.append((.value(.number(1)), i))
                case "false": out.append((.value(.number(0)), i))
                case "null": out.append((.value(.null), i))
                default: throw fail(i)
                }
                i += max(1, w.unicodeScalars.count)
            }
        }
        return out
    }
}

/// Precedence climbing over Redis's table: or 0, and 1, comparisons and `in` 2, + − 3, * / % 4, ** 5, not 6.
struct FilterParser {
    let tokens: [(FilterToken, Int)]
    let text: String
    var i = 0

    init(tokens: [(FilterToken, Int)], text: String) {
        self.tokens = tokens
        self.text = text
    }

    static let precedence: [String: Int] = [
        "or": 0, "and": 1, ">": 2, ">=": 2, "<": 2, "<=": 2, "==": 2, "!=": 2, "in": 2, "+": 3, "-": 3,
        "*": 4, "/": 4, "%": 4, "**": 5,
    ]

    var atEnd: Bool { i == tokens.count }

    func error() -> FilterError {
        guard i < tokens.count else { return FilterError(near: "") }
        let offset = tokens[i].1
        return FilterError(near: String(String.UnicodeScalarView(Array(text.unicodeScalars)[offset...])))
    }

    mutating func expression(_ minimum: Int) throws -> FilterExpression {
        var left = try unary()
        while i < tokens.count, case .op(let op) = tokens[i].0, let p = Self.precedence[op], p >= minimum {
            i += 1
            let right = try expression(op == "**" ? p : p + 1)
            left = .binary(op, left, right)
        }
        return left
    }

    mutating func unary() throws -> FilterExpression {
        guard i < tokens.count else { throw error() }
        switch tokens[i].0 {
        case .op("not"):
            i += 1
            return .not(try expression(6))
        case .op("-"):
            i += 1
            return .negate(try expression(5))
        case .open:
            i += 1
            let e = try expression(0)
            guard i < tokens.count, tokens[i].0 == .close else { throw error() }
            i += 1
            return e
        case .openTuple:
            i += 1
            var items: [FilterValue] = []
            while i < tokens.count, tokens[i].0 != .closeTuple {
                guard case .value(let v) = tokens[i].0 else { throw error() }
                items.append(v)
                i += 1
                if i < tokens.count, tokens[i].0 == .comma { i += 1 }
            }
            guard i < tokens.count else { throw error() }
            i += 1
            return .literal(.array(items))
        case .value(let v):
            i += 1
            return .literal(v)
        case .selector(let s):
            i += 1
            return .selector(s)
        default:
            throw error()
        }
    }
}
