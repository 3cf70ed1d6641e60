import NIOCore

/// How replies are written on a connection: plain text for plain requests, RESP2
/// or RESP3 for RESP requests (the version the connection chose with HELLO).
public enum ReplyEncoding: Sendable, Equatable {
    case plain, resp2, resp3

    public init(style: Request.Style, protocolVersion: Int) {
        self = style == .inline ? .plain : protocolVersion == 3 ? .resp3 : .resp2
    }
}

extension Reply {
    /// Appends the encoding of this reply to `buffer`.
    public func write(to buffer: inout ByteBuffer, _ encoding: ReplyEncoding) {
        switch encoding {
        case .plain: writePlain(&buffer)
        case .resp2: writeRESP(&buffer, resp3: false)
        case .resp3: writeRESP(&buffer, resp3: true)
        }
    }

    private func writePlain(_ b: inout ByteBuffer) {
        switch self {
        case .error(let code, let message): b.writeString("ERR \(code) \(scrubbed(message))\n")
        case .verbatim(let s): b.writeString(s.hasSuffix("\n") ? s : s + "\n")
        case .lines(let lines): Self.writePlainLines(lines, &b)
        case .rows(let rows): Self.writePlainLines(rows.map { $0.map(\.text).joined(separator: " ") }, &b)
        case .array(let items), .set(let items): Self.writePlainLines(items.map(\.plainLine), &b)
        case .map(let entries): Self.writePlainLines(entries.map { "\($0.key) \($0.value.plainLine)" }, &b)
        default: b.writeString(plainLine); b.writeString("\n")
        }
    }

    private static func writePlainLines(_ lines: [String], _ b: inout ByteBuffer) {
        for l in lines { b.writeString(l); b.writeString("\n") }
        b.writeString(terminator + "\n")
    }

    /// This reply on one line: nested replies space-separated.
    var plainLine: String {
        switch self {
        case .status(let s), .text(let s): s
        case .error(let code, let message): "ERR \(code) \(scrubbed(message))"
        case .integer(let i): "\(i)"
        case .blob(let bytes): bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        case .double(let d): formatDouble(d)
        case .boolean(let v): v ? "1" : "0"
        case .null: "(nil)"
        case .verbatim(let s): s.split(separator: "\n").joined(separator: " ")
        case .lines(let lines): lines.joined(separator: " ")
        case .rows(let rows): rows.map { $0.map(\.text).joined(separator: " ") }.joined(separator: " ")
        case .array(let items), .set(let items): items.map(\.plainLine).joined(separator: " ")
        case .map(let entries): entries.map { "\($0.key) \($0.value.plainLine)" }.joined(separator: " ")
        }
    }

    private func writeRESP(_ b: inout ByteBuffer, resp3: Bool) {
        switch self {
        case .status(let s): b.writeString("+"); b.writeString(s); b.writeCRLF()
        case .error(let code, let message): b.writeString("-\(Self.respCode(code)) \(scrubbed(message))\r\n")
        case .integer(let i): b.writeHeader(":", i)
        case .text(let s): Self.writeBulk(s, &b)
        case .blob(let bytes):
            b.writeHeader("$", bytes.count)
            b.writeBytes(bytes)
            b.writeCRLF()
        case .double(let d):
            if resp3 {
                b.writeString(",\(formatDouble(d))\r\n")
            } else {
                Self.writeBulk(formatDouble(d), &b)
            }
        case .boolean(let v): b.writeString(resp3 ? (v ? "#t\r\n" : "#f\r\n") : (v ? ":1\r\n" : ":0\r\n"))
        case .null: b.writeString(resp3 ? "_\r\n" : "$-1\r\n")
        case .verbatim(let s):
            if resp3 {
                b.writeHeader("=", s.utf8.count + 4)
                b.writeString("txt:")
                b.writeString(s)
                b.writeCRLF()
            } else {
                Self.writeBulk(s, &b)
            }
        case .lines(let lines):
            b.writeHeader("*", lines.count)
            for l in lines { Self.writeBulk(l, &b) }
        case .rows(let rows): Self.writeRESPRows(rows, &b)
        case .array(let items):
            b.writeHeader("*", items.count)
            for item in items { item.writeRESP(&b, resp3: resp3) }
        case .set(let items):
            b.writeHeader(resp3 ? "~" : "*", items.count)
            for item in items { item.writeRESP(&b, resp3: resp3) }
        case .map(let entries):
            if resp3 { b.writeHeader("%", entries.count) } else { b.writeHeader("*", 2 * entries.count) }
            for e in entries {
                Self.writeBulk(e.key, &b)
                e.value.writeRESP(&b, resp3: resp3)
            }
        }
    }

    /// Search replies are rows: written straight into one reservation of their largest size,
    /// as a handful of ByteBuffer calls per field cost more than the search behind them.
    private static func writeRESPRows(_ rows: [[Field]], _ b: inout ByteBuffer) {
        var bound = 24
        for row in rows {
            bound += 24
            for field in row {
                if case .string(let s) = field { bound += s.utf8.count + 24 } else { bound += 24 }
            }
        }
        b.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
            var w = RawWriter(base: raw.baseAddress!)
            w.header(UInt8(ascii: "*"), rows.count)
            for row in rows {
                w.header(UInt8(ascii: "*"), row.count)
                for field in row {
                    switch field {
                    case .int(let i): w.header(UInt8(ascii: ":"), i)
                    case .string(let s):
                        var s = s
                        s.withUTF8 { text in
                            w.header(UInt8(ascii: "$"), text.count)
                            w.bytes(UnsafeRawBufferPointer(text))
                            w.crlf()
                        }
                    }
                }
            }
            return w.count
        }
    }

    private static func writeBulk(_ s: String, _ b: inout ByteBuffer) {
        b.writeHeader("$", s.utf8.count)
        b.writeString(s)
        b.writeCRLF()
    }
}

extension ByteBuffer {
    /// `<kind><decimal n>\r\n` in one reservation: replies are mostly such headers, and
    /// building each as a String cost more than the search behind it.
    mutating func writeHeader(_ kind: Unicode.Scalar, _ n: Int) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { raw in
            var w = RawWriter(base: raw.baseAddress!)
            w.header(UInt8(ascii: kind), n)
            return w.count
        }
    }

    mutating func writeCRLF() { writeInteger(UInt16(0x0D0A)) }  // big-endian: CR then LF
}

/// Bytes written through a pointer into space reserved beforehand (the caller's bound).
struct RawWriter {
    let base: UnsafeMutableRawPointer
    var count = 0

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        base.storeBytes(of: b, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    mutating func crlf() {
        byte(0x0D)
        byte(0x0A)
    }

    @inline(__always)
    mutating func bytes(_ b: UnsafeRawBufferPointer) {
        if b.count > 0 { (base + count).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        count += b.count
    }

    @inline(__always)
    mutating func header(_ kind: UInt8, _ n: Int) {
        byte(kind)
        decimal(n)
        crlf()
    }

    /// At most 20 bytes.
    mutating func decimal(_ n: Int) {
        var magnitude = n.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        if n < 0 { byte(UInt8(ascii: "-")) }
        var at = count + digits
        count = at
        repeat {
            at -= 1
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(magnitude % 10), toByteOffset: at, as: UInt8.self)
            magnitude /= 10
        } while magnitude > 0
    }
}

/// A double as RESP3 writes it: the shortest text that reads back the same, `inf`, `-inf` or `nan`.
func formatDouble(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
