import Foundation
import Testing
import VicinityClient
import VicinityServer

/// Real Redis clients against a real server on a real store: redis-py 8 and valkey-py
/// (scripts/tests/redis_clients.py, in the virtual environment scripts/setup makes),
/// redis-cli and redis-benchmark from Debian's redis-tools.
@Suite(.serialized) struct RedisClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized
    static let script = root.appendingPathComponent("scripts/tests/redis_clients.py").path

    /// The test environment's Python; its absence is a failure that says how to make it.
    func python() throws -> URL {
        let path = Self.root.appendingPathComponent(".venv-test/bin/python").path
        try #require(
            FileManager.default.isExecutableFile(atPath: path), "no \(path): run scripts/setup (scripts/test does)")
        return URL(fileURLWithPath: path)
    }

    func tool(_ name: String) throws -> URL {
        let path = "/usr/bin/\(name)"
        try #require(FileManager.default.isExecutableFile(atPath: path), "no \(path): run scripts/setup (redis-tools)")
        return URL(fileURLWithPath: path)
    }

    @Test func redisPyAndValkeyPyWithDefaultSettingsAndAPassword() throws {
        let fixture = try ServedStore()
        let key = URL(fileURLWithPath: fixture.store).lastPathComponent
        let open = try fixture.serve()
        for client in ["redis", "valkey"] {
            let r = try runProgram(
                try python(), [Self.script, "--port", "\(open.port)", "--client", client, "--store-key", key])
            #expect(r.status == 0, "\(client): \(r.stderr.suffix(3000))")
            #expect(r.stdout.contains("\(client): 0 failed checks"))
        }
        let locked = try fixture.serve(["--auth-token", "s3cret"])
        for client in ["redis", "valkey"] {
            let r = try runProgram(
                try python(),
                [
                    Self.script, "--port", "\(locked.port)", "--client", client,
                    "--store-key", key, "--password", "s3cret",
                ])
            #expect(r.status == 0, "\(client) with a password: \(r.stderr.suffix(3000))")
        }
    }

    @Test func redisCliPlainRESP3PasswordAndDatabaseZero() throws {
        let fixture = try ServedStore()
        let open = try fixture.serve()
        let cli = try tool("redis-cli")
        let p = ["-p", "\(open.port)"]
        #expect(try runProgram(cli, p + ["COUNT"]).stdout == "300\n")
        #expect(try runProgram(cli, p + ["-n", "0", "COUNT"]).stdout == "300\n")
        let hello = try runProgram(cli, p + ["-3", "HELLO"]).stdout
        // Not a terminal: redis-cli prints one value a line (a map's pairs as "key value").
        #expect(hello.contains("proto 3\n") && hello.contains("version 8.0.0\n"), "\(hello)")
        let knn = try runProgram(cli, p + ["-3", "KNN", "2", "ID", "train-5"]).stdout
        #expect(knn.hasPrefix("1\ntrain-5\n0\n"), "\(knn)")
        let vsim = try runProgram(cli, p + ["VSIM", "s", "ELE", "train-5", "COUNT", "2"]).stdout
        #expect(vsim.hasPrefix("train-5\n"), "\(vsim)")
        #expect(try runProgram(cli, p + ["NOPE"]).stdout.hasPrefix("ERR unknown command 'NOPE'"))
        let locked = try fixture.serve(["--auth-token", "s3cret"])
        let q = ["-p", "\(locked.port)"]
        #expect(try runProgram(cli, q + ["-a", "s3cret", "COUNT"]).stdout == "300\n")
        #expect(try runProgram(cli, q + ["-3", "-a", "s3cret", "COUNT"]).stdout == "300\n")
        #expect(try runProgram(cli, q + ["COUNT"]).stdout.hasPrefix("NOAUTH Authentication required."))
        let wrong = try runProgram(cli, q + ["-a", "wrong", "COUNT"])
        #expect((wrong.stdout + wrong.stderr).contains("WRONGPASS"), "\(wrong.stdout)\(wrong.stderr)")
    }

    @Test func redisBenchmarkRunsWithoutWarnings() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        let r = try runProgram(
            try tool("redis-benchmark"),
            ["-p", "\(server.port)", "-n", "2000", "-c", "4", "-q", "KNN", "5", "ID", "train-7"])
        #expect(r.status == 0 && r.stdout.contains("requests per second"), "\(r.stdout)\(r.stderr)")
        #expect(!(r.stdout + r.stderr).uppercased().contains("WARNING"), "\(r.stdout)\(r.stderr)")
    }

    /// A set made with VADD, and attributes set on the served store, are there after a restart.
    @Test func vectorSetsAndAttributesSurviveARestart() throws {
        let fixture = try ServedStore()
        var server = try fixture.serve()
        var c = try server.client()
        #expect(
            try c.call(["VADD", "mine", "VALUES", "3", "1", "0.5", "-2", "a", "SETATTR", #"{"n":1}"#]) == .integer(1))
        #expect(try c.call(["VADD", "mine", "VALUES", "3", "0", "1", "0", "b"]) == .integer(1))
        #expect(try c.call(["VREM", "mine", "b"]) == .integer(1))
        #expect(try c.call(["VSETATTR", "s", "train-3", #"{"colour":"red"}"#]) == .integer(1))
        #expect(try c.call(["VSETATTR", "s", "nobody", "{}"]) == .integer(0))
        #expect(try c.call(["DBSIZE"]) == .integer(2))
        server.kill()
        server = try fixture.serve()
        c = try server.client()
        #expect(try c.call(["VCARD", "mine"]) == .integer(1))
        #expect(try c.call(["VEMB", "mine", "a"]) == .array([.bulk("1"), .bulk("0.5"), .bulk("-2")]))
        #expect(try c.call(["VGETATTR", "mine", "a"]) == .bulk(#"{"n":1}"#))
        #expect(try c.call(["VISMEMBER", "mine", "b"]) == .integer(0))
        #expect(try c.call(["VGETATTR", "s", "train-3"]) == .bulk(#"{"colour":"red"}"#))
        // DEL takes an item's attributes with it.
        #expect(try c.call(["DEL", "train-3"]) == .status("OK"))
        #expect(try c.call(["VGETATTR", "s", "train-3"]) == .null)
        let check = try runVicinity(["inspect", fixture.store, "--check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
