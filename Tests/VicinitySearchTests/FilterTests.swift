import Foundation
import Testing
import VicinityCodes
import VicinityMath
@testable import VicinitySearch

/// Redis's vector-set filter language: parsing, precedence, values, and errors.
@Suite struct FilterExpressionTests {
    let item: [String: FilterValue] = [
        "year": .number(1984), "rating": .number(4.5), "genre": .string("drama"),
        "tags": .array([.string("a"), .number(2)]),
        "seen": .number(1), "none": .null,
    ]

    func matches(_ text: String) throws -> Bool {
        try FilterExpression.parse(text).matches { item[$0] }
    }

    @Test func comparisonsLogicAndArithmetic() throws {
        #expect(try matches(".year > 1950"))
        #expect(try !matches(".year < 1950"))
        #expect(try matches(".year >= 1984 and .rating <= 4.5"))
        #expect(try matches(".year == 1984 && .genre == 'drama'"))
        #expect(try matches(".genre != \"comedy\" || .year < 0"))
        #expect(try matches("not (.year < 1950)") && matches("!(.year < 1950)"))
        #expect(try matches(".year - 1900 == 84") && matches(".rating * 2 == 9") && matches(".year % 100 == 84"))
        #expect(try matches("2 ** 3 ** 2 == 512"))  // right to left
        #expect(try matches("1 + 2 * 3 == 7") && matches("(1 + 2) * 3 == 9"))
        #expect(try matches("-.rating == -4.5") && matches(".year / 2 == 992"))
        #expect(try matches(".genre in [\"drama\", \"comedy\"]") && !matches(".genre in ['comedy']"))
        #expect(try matches("'a' in .tags") && matches("2 in .tags") && !matches("3 in .tags"))
        #expect(try matches("'ram' in .genre"))
        #expect(try matches(".seen == true") && matches(".seen") && !matches("false"))
        #expect(try matches("\"b\" > \"a\""))
        // Or binds looser than and; comparisons looser than arithmetic.
        #expect(try matches("0 and 0 or 1") && !matches("0 and (0 or 1)"))
    }

    @Test func missingFieldsAndMismatchedTypesDoNotMatch() throws {
        #expect(try !matches(".nothing == 1") && !matches(".nothing != 1"))
        #expect(try !matches(".genre * 2 == 4") && !matches(".year / 0 > 1"))
        #expect(try !matches(".none > 1"))
        #expect(try matches(".nothing == 1 or .year > 0"))  // the other side still decides
        #expect(try FilterExpression.parse(".a + .b > .c").selectors == ["a", "b", "c"])
    }

    @Test func malformedExpressionsNameWhereTheyFail() {
        for (text, near) in [
            (".year >", ""), ("(.year > 1", ""), (".year >> 1", "> 1"), ("'open", "'open"),
            (".", "."), ("[1, 2", ""), ("1 2", "2"), ("year > 1", "year > 1"), ("", ""), (")", ")"),
        ] {
            #expect(throws: FilterError(near: near), "\(text)") { try FilterExpression.parse(text) }
        }
        #expect(FilterError(near: "> 1").description == "syntax error in FILTER expression near: > 1")
    }

    /// Random byte soup never crashes the parser: it parses or throws FilterError.
    @Test func fuzzedGarbageIsRefusedCleanly() {
        var rng = SeededRNG(seed: 5)
        let pieces = [
            ".a", ".b", "1", "2.5", "-", "+", "*", "/", "%", "**", "(", ")", "[", "]", ",", "'x'", "\"y\"", "and",
            "or", "not", "!", "in", "==", "!=", ">", ">=", "<", "<=", "&&", "||", "true", "\\", "\"", "'", "é", " ",
        ]
        for _ in 0..<20000 {
            let n = Int(rng.next() % 12)
            let text = (0..<n).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined(
                separator: rng.next() % 2 == 0 ? " " : "")
            do {
                let e = try FilterExpression.parse(text)
                _ = e.matches { $0 == "a" ? .number(1) : nil }
            } catch is FilterError {
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }

    /// Random well-formed arithmetic and comparisons, evaluated against Swift's own arithmetic.
    @Test func randomExpressionsEvaluateAsSwiftDoes() throws {
        var rng = SeededRNG(seed: 9)
        func term(_ depth: Int) -> (String, Double) {
            if depth == 0 || rng.next() % 3 == 0 {
                let v = Double(Int(rng.next() % 19) - 9)
                return v < 0 ? ("(\(Int(v)))", v) : ("\(Int(v))", v)
            }
            let (a, x) = term(depth - 1), (b, y) = term(depth - 1)
            switch rng.next() % 3 {
            case 0: return ("(\(a) + \(b))", x + y)
            case 1: return ("(\(a) - \(b))", x - y)
            default: return ("(\(a) * \(b))", x * y)
            }
        }
        for _ in 0..<500 {
            let (a, x) = term(3), (b, y) = term(3)
            #expect(try matches("\(a) < \(b)") == (x < y), "\(a) < \(b)")
            #expect(try matches("\(a) == \(b) or \(a) > \(b)") == (x >= y))
        }
    }
}

/// Filtered search is the brute-force answer on the matching rows, at every selectivity.
@Suite struct FilteredSearchTests {
    @Test func clusteredIndexMatchesTheScanOfTheMatchingRows() {
        var rng = SeededRNG(seed: 3)
        let n = 6000, d = 12
        // Few distinct values: real ties.
        let base = Matrix(rows: n, cols: d, storage: (0..<(n * d)).map { _ in Float(Int(rng.next() % 7)) })
        let index = ClusteredFlatIndex(base)
        let flat = FlatIndex(base)
        for modulus in [1, 10, 100, 1000, 100_000] {  // 100 %, 10 %, 1 %, 0.1 %, 0
            let filter = RowFilter(rowCount: n) { $0 % modulus == 3 % modulus && $0 < n }
            let gathered = index.gather(filter.members)
            for q in [0, 77, 4321] {
                let query = base.row(q)
                let all = flat.searchOne(query, k: n)
                for k in [1, 10, 50] {
                    let want = Array(all.filter { filter.contains($0.index) && $0.index != q }.prefix(k))
                    #expect(
                        index.searchOne(query, k: k, filter: filter, gathered: gathered, excluding: q) == want,
                        "1/\(modulus) k=\(k) q=\(q)")
                    #expect(
                        index.searchOne(query, k: k, filter: filter, excluding: q) == want, "walk 1/\(modulus) k=\(k)")
                }
            }
        }
    }

    @Test func hammingIndexMatchesTheScanOfTheMatchingRows() throws {
        var rng = SeededRNG(seed: 4)
        let n = 8000, bits = 64
        var codes = BinaryCodes(bits: bits)
        for _ in 0..<n { codes.append([rng.next() & rng.next() & 0xFFFF_FFFF_0000_FFFF]) }
        let mih = MultiIndexHash(codes)
        for modulus in [1, 10, 100, 1000, 100_000] {
            let filter = RowFilter(rowCount: n) { $0 % modulus == 0 }
            let rows = filter.members
            let gathered = rows.flatMap { codes.code(Int($0)) }
            for q in [0, 500, 7999] {
                let query = codes.code(q)
                let distances = (0..<n).map { Hamming.distance(query, codes.code($0)) }
                let order = (0..<n).filter { filter.contains($0) && $0 != q }.sorted {
                    (distances[$0], $0) < (distances[$1], $1)
                }
                let want = order.prefix(10).map { Neighbor(distance: Float(distances[$0]), index: $0) }
                let single = MultiIndexHash.single(query, bits: bits)
                #expect(mih.search(single, k: 10, filter: filter, excluding: q)[0] == want, "1/\(modulus)")
                #expect(scanHamming(query, rows: rows, codes: gathered, wordsPerCode: 1, k: 10, excluding: q) == want)
                let ball = order.filter { distances[$0] <= 6 }.map {
                    Neighbor(distance: Float(distances[$0]), index: $0)
                }
                #expect(mih.search(single, radius: 6, filter: filter, excluding: q)[0] == ball)
                #expect(
                    scanHamming(query, rows: rows, codes: gathered, wordsPerCode: 1, k: nil, radius: 6, excluding: q)
                        == ball)
            }
        }
    }
}
