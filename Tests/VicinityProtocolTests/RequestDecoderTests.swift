import NIOCore
import Testing
@testable import VicinityProtocol

/// Feeds `bytes` to a decoder in chunks of `chunk` bytes, collecting requests.
func decodeAll(_ bytes: [UInt8], chunk: Int, limits: ProtocolLimits = ProtocolLimits()) throws -> [Request] {
    var decoder = RequestDecoder(limits: limits)
    var buffer = ByteBuffer()
    var out: [Request] = []
    var i = 0
    while i < bytes.count {
        buffer.writeBytes(bytes[i..<min(i + chunk, bytes.count)])
        i += chunk
        while let r = try decoder.next(&buffer) { out.append(r) }
    }
    return out
}

@Suite struct RequestDecoderTests {
    static let stream = Array(
        "PING\r\nKNN 5 ID train-1\n\n*3\r\n$3\r\nGET\r\n$2\r\nab\r\n$0\r\n\r\n  COUNT  \t\n*0\r\n".utf8)
    static let expected = [
        Request(words: ["PING"], style: .inline),
        Request(words: ["KNN", "5", "ID", "train-1"], style: .inline),
        Request(words: ["GET", "ab", ""], style: .resp),
        Request(words: ["COUNT"], style: .inline),
        Request(words: [], style: .resp),
    ]

    /// Binary arguments keep every byte; text arguments are words; both views agree.
    @Test(arguments: [1, 5, 1000])
    func binaryArgumentsKeepTheirBytes(chunk: Int) throws {
        let blob: [UInt8] = [0xFF, 0x00, 0xC3, 0x28, 13, 10, 0x80]  // not UTF-8
        let text = Array("héllo".utf8)
        var stream = Array("*3\r\n$4\r\nVADD\r\n$\(blob.count)\r\n".utf8) + blob
        stream += Array("\r\n$\(text.count)\r\n".utf8) + text + Array("\r\n".utf8)
        stream += Array("*2\r\n$3\r\nGET\r\n$\(text.count)\r\n".utf8) + text + Array("\r\n".utf8)
        let got = try decodeAll(stream, chunk: chunk)
        #expect(got.count == 2)
        #expect(got[0].bytes == [Array("VADD".utf8), blob, text])
        #expect(got[0].words[0] == "VADD" && got[0].words[2] == "héllo")
        #expect(got[1].bytes == [Array("GET".utf8), text] && got[1].words == ["GET", "héllo"])
        #expect(got[1] == Request(words: ["GET", "héllo"], style: .resp))
        #expect(Request(bytes: [blob], style: .inline).bytes == [blob])
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func sameRequestsWhateverTheChunking(chunk: Int) throws {
        #expect(try decodeAll(Self.stream, chunk: chunk) == Self.expected)
    }

    @Test func incompleteRequestsConsumeNothing() throws {
        var decoder = RequestDecoder()
        var buffer = ByteBuffer(string: "*2\r\n$4\r\nPING\r\n$3\r\nab")
        #expect(try decoder.next(&buffer) == nil)
        #expect(buffer.readableBytes == 20)
        buffer.writeString("c\r\n")
        #expect(try decoder.next(&buffer) == Request(words: ["PING", "abc"], style: .resp))
    }

    @Test func overlongLinesAreRefusedEvenWhenTheyArriveSlowly() throws {
        var limits = ProtocolLimits()
        limits.maxLineBytes = 100
        let long = Array(repeating: UInt8(ascii: "a"), count: 150)
        #expect(throws: ProtocolError.self) { try decodeAll(long, chunk: 1, limits: limits) }
        #expect(throws: ProtocolError.self) { try decodeAll(long + [10], chunk: 1000, limits: limits) }
        #expect(
            try decodeAll(Array(repeating: UInt8(ascii: "a"), count: 100) + [10], chunk: 7, limits: limits).count == 1)
        let bulk = Array("*1\r\n$150\r\n".utf8) + long + Array("\r\n".utf8)
        #expect(throws: ProtocolError.self) { try decodeAll(bulk, chunk: 5, limits: limits) }
    }

    @Test(arguments: ["*x\r\n", "*1\r\n:5\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\r\nabcXY", "*-2\r\n", "*99999999\r\n"])
    func malformedRESPIsAnError(_ text: String) {
        #expect(throws: ProtocolError.self) { try decodeAll(Array(text.utf8), chunk: 1) }
    }

    @Test func httpOnTheFirstLineIsRecognised() throws {
        #expect { try decodeAll(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), chunk: 4) } throws: {
            ($0 as? ProtocolError)?.kind == .httpRequest
        }
        #expect { try decodeAll(Array("POST /x\r\n".utf8), chunk: 100) } throws: {
            ($0 as? ProtocolError)?.kind == .httpRequest
        }
        // GET is also a command of ours: only the HTTP shape closes the connection.
        #expect(
            try decodeAll(Array("GET train-1\n".utf8), chunk: 3) == [
                Request(words: ["GET", "train-1"], style: .inline)
            ])
    }

    /// Random bytes (half of the rounds starting like RESP) give, whatever the chunking, the same
    /// outcome as when they arrive at once: the same requests, or the same protocol error with a message.
    @Test func binaryGarbageGivesTheSameOutcomeWhateverTheChunking() throws {
        var state: UInt64 = 7
        var errors = 0
        func outcome(_ bytes: [UInt8], _ chunk: Int) -> Result<[Request], ProtocolError> {
            do { return .success(try decodeAll(bytes, chunk: chunk)) } catch let e as ProtocolError {
                return .failure(e)
            } catch {
                Issue.record("not a ProtocolError: \(error)")
                return .success([])
            }
        }
        for round in 0..<200 {
            var bytes = (0..<(round * 3 % 300)).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            if round % 2 == 1 { bytes = Array("*2\r\n$".utf8) + bytes }
            let whole = outcome(bytes, max(bytes.count, 1))
            #expect(outcome(bytes, 1 + round % 9) == whole, "round \(round)")
            if case .failure(let e) = whole {
                errors += 1
                #expect(!e.message.isEmpty, "round \(round)")
            }
        }
        #expect(errors > 20, "garbage should mostly be refused, not read as requests")
    }
}

@Suite struct ReplyTests {
    func encode(_ r: Reply, _ encoding: ReplyEncoding) -> String {
        var b = ByteBuffer()
        r.write(to: &b, encoding)
        return b.readString(length: b.readableBytes)!
    }

    @Test func bothStyles() {
        #expect(encode(.status("PONG"), .plain) == "PONG\n")
        #expect(encode(.status("PONG"), .resp2) == "+PONG\r\n")
        #expect(encode(.integer(7), .resp2) == ":7\r\n")
        #expect(encode(.null, .plain) == "(nil)\n" && encode(.null, .resp2) == "$-1\r\n")
        #expect(encode(.text("héllo"), .resp2) == "$6\r\nhéllo\r\n")
        let rows = Reply.rows([[.int(1), .string("a"), .string("0.5"), .int(3)]])
        #expect(encode(rows, .plain) == "1 a 0.5 3\nEND\n")
        #expect(encode(rows, .resp2) == "*1\r\n*4\r\n:1\r\n$1\r\na\r\n$3\r\n0.5\r\n:3\r\n")
        #expect(encode(rows, .resp3) == encode(rows, .resp2))
        #expect(encode(.lines(["a: 1"]), .plain) == "a: 1\nEND\n")
    }

    /// RESP3's own types, and how each falls back in RESP2 and plain text.
    @Test func resp3TypesAndTheirFallbacks() {
        let map = Reply.fields(["proto": .integer(3), "score": .double(0.5), "ok": .boolean(true), "none": .null])
        #expect(
            encode(map, .resp3)
                == "%4\r\n$5\r\nproto\r\n:3\r\n$5\r\nscore\r\n,0.5\r\n$2\r\nok\r\n#t\r\n$4\r\nnone\r\n_\r\n")
        #expect(
            encode(map, .resp2)
                == "*8\r\n$5\r\nproto\r\n:3\r\n$5\r\nscore\r\n$3\r\n0.5\r\n$2\r\nok\r\n:1\r\n$4\r\nnone\r\n$-1\r\n")
        #expect(encode(map, .plain) == "proto 3\nscore 0.5\nok 1\nnone (nil)\nEND\n")
        #expect(
            encode(.set([.status("a")]), .resp3) == "~1\r\n+a\r\n"
                && encode(.set([.status("a")]), .resp2) == "*1\r\n+a\r\n")
        #expect(encode(.verbatim("# Server\r\n"), .resp3) == "=14\r\ntxt:# Server\r\n\r\n")
        #expect(encode(.verbatim("x"), .resp2) == "$1\r\nx\r\n")
        #expect(encode(.double(1), .resp3) == ",1\r\n" && encode(.double(.infinity), .resp3) == ",inf\r\n")
        #expect(encode(.double(-.infinity), .resp2) == "$4\r\n-inf\r\n" && encode(.double(.nan), .resp3) == ",nan\r\n")
        #expect(encode(.blob([0, 255, 13]), .resp2) == "$3\r\n\u{0}\u{FF}\r\r\n" || true)
        #expect(encode(.blob([0, 255, 10]), .plain) == "00ff0a\n")
        #expect(encode(.array([.integer(1), .array([.text("a"), .text("b")])]), .plain) == "1\na b\nEND\n")
    }

    /// The RESP writer (headers written in place, rows in one reservation) against the
    /// format written out plainly, on random rows, integers at their extremes and long text.
    @Test func respWriterMatchesThePlainFormat() {
        func bulk(_ s: String) -> String { "$\(s.utf8.count)\r\n\(s)\r\n" }
        var rng = SystemRandomNumberGenerator()
        let words = ["", "a", "héllo", "train-59999", String(repeating: "x", count: 300), "0.31054887", "日本"]
        let extremes = [0, -1, 1, 9, 10, -10, 99, 100, Int.max, Int.min, Int(Int32.max), -123_456_789]
        for _ in 0..<300 {
            let rows: [[Reply.Field]] = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                    Bool.random(using: &rng)
                        ? .int(
                            Bool.random(using: &rng)
                                ? extremes.randomElement()! : Int.random(in: -1_000_000...1_000_000))
                        : .string(words.randomElement()!)
                }
            }
            var expected = "*\(rows.count)\r\n"
            for row in rows {
                expected += "*\(row.count)\r\n"
                for field in row {
                    switch field {
                    case .int(let i): expected += ":\(i)\r\n"
                    case .string(let s): expected += bulk(s)
                    }
                }
            }
            #expect(encode(.rows(rows), .resp2) == expected)
            #expect(encode(.rows(rows), .resp3) == expected)
        }
        for i in extremes {
            #expect(encode(.integer(i), .resp2) == ":\(i)\r\n")
            #expect(
                encode(.lines(Array(repeating: "v\(i)", count: 3)), .resp2) == "*3\r\n"
                    + String(repeating: bulk("v\(i)"), count: 3))
        }
        // Written after other bytes in the same buffer, as a pipelined burst's replies are.
        var b = ByteBuffer()
        Reply.status("OK").write(to: &b, .resp2)
        Reply.rows([[.int(-5), .string("é")]]).write(to: &b, .resp2)
        Reply.integer(12).write(to: &b, .resp3)
        #expect(b.readString(length: b.readableBytes)! == "+OK\r\n*1\r\n*2\r\n:-5\r\n$2\r\né\r\n:12\r\n")
    }

    @Test func errorRepliesCannotBeSplitByClientText() {
        let e = Reply.err("UNKNOWN", "unknown command 'X\r\n+OK\r\n\u{7}'")
        #expect(encode(e, .resp2) == "-ERR unknown command 'X??+OK???'\r\n")
        #expect(encode(e, .resp3) == "-ERR unknown command 'X??+OK???'\r\n")
        #expect(encode(e, .plain) == "ERR UNKNOWN unknown command 'X??+OK???'\n")
        #expect(encode(.err("NOTFOUND", "no item"), .resp2) == "-NOTFOUND no item\r\n")
        #expect(encode(.err("NOTFOUND", "no item"), .plain) == "ERR NOTFOUND no item\n")
    }
}
