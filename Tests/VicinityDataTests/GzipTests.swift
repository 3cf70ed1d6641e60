import Foundation
import Testing
@testable import VicinityData

@Suite struct GzipTests {
    @Test func rawAndGzipRoundTrip() throws {
        let dir = try TempDir()
        let payload = pseudoRandomBytes(200_000) + [UInt8](repeating: 7, count: 300_000)
        try writeFileBytes(dir.path("a.bin"), payload)
        try writeFileBytes(dir.path("a.bin.gz"), payload)
        let gz = try rawBytes(dir.path("a.bin.gz"))
        #expect(gz.starts(with: [0x1f, 0x8b]))
        #expect(gz.count < payload.count)
        #expect(try readFileBytes(dir.path("a.bin")) == payload)
        #expect(try readFileBytes(dir.path("a.bin.gz")) == payload)
    }

    @Test func emptyAndConcatenatedMembers() throws {
        let dir = try TempDir()
        try writeFileBytes(dir.path("e.gz"), [])
        #expect(try readFileBytes(dir.path("e.gz")) == [])
        try writeFileBytes(dir.path("a.gz"), Array("hello ".utf8))
        try writeFileBytes(dir.path("b.gz"), Array("world".utf8))
        let both = try rawBytes(dir.path("a.gz")) + rawBytes(dir.path("b.gz"))
        let p = try dir.write("ab.gz", both)
        #expect(String(decoding: try readFileBytes(p), as: UTF8.self) == "hello world")
    }

    @Test func truncatedGzipIsReported() throws {
        let dir = try TempDir()
        try writeFileBytes(dir.path("full.gz"), pseudoRandomBytes(100_000))
        let gz = try rawBytes(dir.path("full.gz"))
        let p = try dir.write("cut.gz", Array(gz.prefix(gz.count / 2)))
        let e = expectDataError { _ = try readFileBytes(p) }
        guard case .truncated(let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path == p)
        #expect(e!.description.contains("cut.gz"))
        // Cut inside the 8-byte trailer as well.
        let p2 = try dir.write("cut2.gz", Array(gz.dropLast(3)))
        #expect(expectDataError { _ = try readFileBytes(p2) }?.path == p2)
    }

    @Test func corruptGzipIsReported() throws {
        let dir = try TempDir()
        try writeFileBytes(dir.path("full.gz"), Array(repeating: 42, count: 10_000))
        var gz = try rawBytes(dir.path("full.gz"))
        gz[gz.count - 6] ^= 0xff  // CRC32 in the trailer
        let p = try dir.write("crc.gz", gz)
        let e = expectDataError { _ = try readFileBytes(p) }
        guard case .corruptGzip(let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path == p)
        let garbage = try dir.write("garbage.gz", [0x1f, 0x8b] + pseudoRandomBytes(500))
        #expect(expectDataError { _ = try readFileBytes(garbage) }?.path == garbage)
    }

    @Test func missingFileNamesPath() throws {
        let dir = try TempDir()
        let e = expectDataError { _ = try readFileBytes(dir.path("nope.gz")) }
        #expect(e?.description.contains("nope.gz") == true)
        #expect(e?.description.contains("No such file") == true)
    }
}
