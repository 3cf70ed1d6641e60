import Foundation
import Testing
import VicinityClient
import VicinityServer
import VicinityStore

/// A served fixture: 300 items of 16 pixels, a 16-8-12 logistic model, so codes are 12-D with 12 bits.
struct ServedStore {
    let dir: URL
    let model: String
    let store: String
    let test: [[UInt8]]

    /// `embed: false` leaves the store for the caller to make (with options of its own).
    init(train: Int = 300, test: Int = 20, embed: Bool = true) throws {
        dir = try temporaryFolder()
        let data = try writeIDXDataset(in: dir, train: train, test: test, side: 4)
        self.test = data.test
        model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 8, 12])
        store = dir.appendingPathComponent("stores/s").path
        guard embed else { return }
        let r = try runVicinity(["embed", "--model", model, "--data", dir.path, "--store", store])
        precondition(r.status == 0, r.stderr)
    }

    func serve(_ extra: [String] = [], environment: [String: String] = [:]) throws -> ServerProcess {
        try ServerProcess(["--store", store, "--model", model] + extra, environment: environment)
    }
}

@Suite(.serialized) struct ServerTests {
    // Long: one scenario whose steps build on each other against one server or store.
    @Test func everyCommandInBothStyles() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        let c = try server.client()
        // PING, COUNT, HELP
        #expect(try c.plain("PING") == "PONG")
        #expect(try c.call(["PING"]) == .status("PONG"))
        #expect(try c.call(["PING", "hi"]) == .bulk("hi"))
        #expect(try c.plain("COUNT") == "300")
        #expect(try c.call(["COUNT"]) == .integer(300))
        #expect(try c.plainRows("HELP").count >= 12)
        // GET
        let get = try c.plainRows("GET train-5")
        #expect(get.count == 4 && get[0] == "id train-5" && get[1].hasPrefix("label "))
        guard case .array(let fields) = try c.call(["GET", "train-5"]) else {
            Issue.record("GET: not an array"); return
        }
        #expect(fields.count == 4)
        // KNN by id: the item itself first at distance 0, k rows, ascending.
        let knn = try c.plainRows("KNN 5 ID train-5")
        #expect(knn.count == 5 && knn[0].hasPrefix("1 train-5 0 "))
        let distances = knn.map { Float($0.split(separator: " ")[2])! }
        #expect(distances == distances.sorted())
        guard case .array(let rows) = try c.call(["KNN", "5", "ID", "train-5"]), case .array(let first) = rows[0] else {
            Issue.record("KNN RESP shape"); return
        }
        #expect(rows.count == 5 && first[0] == .integer(1) && first[1] == .bulk("train-5"))
        // KNN by vector and by raw pixels agree with KNN by id.
        let code = get[2].dropFirst(5)
        #expect(
            try c.plainRows("KNN 5 VEC \(code)").map { $0.split(separator: " ")[1] }
                == knn.map { $0.split(separator: " ")[1] })
        let pixels = fixture.test[0].map(String.init).joined(separator: ",")
        #expect(try c.plainRows("KNN 3 RAW \(pixels)").count == 3)
        // HAMMING and RADIUS
        let ham = try c.plainRows("HAMMING 4 ID train-5")
        // Ties at distance 0 go to lower rows, so train-5 need not come first; distance 0 must.
        #expect(ham.count == 4 && ham[0].split(separator: " ")[2] == "0")
        let bits = String(get[3].dropFirst(5))
        #expect(try c.plainRows("HAMMING 4 BITS \(bits)")[0].split(separator: " ")[2] == "0")
        let ball = try c.plainRows("RADIUS 2 ID train-5")
        #expect(ball.allSatisfy { Int($0.split(separator: " ")[2])! <= 2 })
        guard case .array = try c.call(["RADIUS", "1", "BITS", bits]) else { Issue.record("RADIUS RESP"); return }
        // ADD, then visible; DEL, then gone.
        #expect(try c.plain("ADD new-1 2 RAW \(pixels)") == "OK")
        #expect(try c.plain("COUNT") == "301")
        #expect(try c.plainRows("KNN 1 RAW \(pixels)")[0].contains("new-1"))
        #expect(try c.call(["DEL", "new-1"]) == .status("OK"))
        #expect(try c.call(["COUNT"]) == .integer(300))
        #expect(try c.plain("DEL new-1").hasPrefix("ERR NOTFOUND"))
        // INFO, errors, QUIT
        #expect(try c.plainRows("INFO").contains { $0.hasPrefix("items: 300") })
        #expect(try c.plain("NOPE").hasPrefix("ERR UNKNOWN"))
        #expect(try c.plain("KNN 5").hasPrefix("ERR ARITY"))
        #expect(try c.plain("KNN 0 ID train-1").hasPrefix("ERR BADARG"))
        #expect(try c.plain("KNN 5 VEC 1,2,nan,4,5,6,7,8,9,10,11,12").hasPrefix("ERR BADARG"))
        #expect(try c.plain("KNN 5 VEC 1,2,3").hasPrefix("ERR DIM"))
        #expect(try c.plain("KNN 5 ID nobody").hasPrefix("ERR NOTFOUND"))
        #expect(try c.plain("HAMMING 5 BITS zz").hasPrefix("ERR BADARG"))
        #expect(try c.plain("ADD bad\u{1}id 1 RAW \(pixels)").hasPrefix("ERR BADID"))
        if case .error(let e) = try c.call(["KNN", "3", "RAW", "1,2"]) {
            #expect(e.hasPrefix("DIM "))
        } else {
            Issue.record("RAW dims")
        }
        #expect(try c.plain("QUIT") == "OK")
        #expect(c.readsEOF())
    }

    @Test func byteAtATimeAndPipelined() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        let slow = try server.client()
        for byte in Array("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\nCOUNT\r\n".utf8) { try slow.sendRaw([byte]) }
        #expect(try slow.readValue() == .bulk("hi"))
        #expect(try slow.readLine() == "300")
        let fast = try server.client()
        try fast.sendRaw(Array(String(repeating: "PING\r\n*1\r\n$5\r\nCOUNT\r\n", count: 500).utf8))
        for _ in 0..<500 {
            #expect(try fast.readLine() == "PONG")
            #expect(try fast.readValue() == .integer(300))
        }
    }

    @Test func halfClosedClientsStillGetEveryReply() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        let c = try server.client()
        try c.sendRaw(Array("KNN 3 ID train-1\nCOUNT\nKNN 2 ID train-2\n".utf8))
        c.finishSending()
        var lines: [String] = []
        while let l = try? c.readLine() { lines.append(l) }
        #expect(lines.count == 3 + 1 + 1 + 2 + 1)
        #expect(lines.first?.hasPrefix("1 train-1 0 ") == true && lines[4] == "300")
    }

    @Test func garbageOverlongLinesAndHTTPDoNotHurtTheServer() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        let garbage = try server.client()
        var state: UInt64 = 3
        try garbage.sendRaw(
            (0..<5000).map { _ in
                state = state &* 6364136223846793005 &+ 1; return UInt8(truncatingIfNeeded: state >> 56)
            })
        let long = try server.client()
        try long.sendRaw(Array(repeating: UInt8(ascii: "a"), count: 70_000))
        #expect(try long.readLine().hasPrefix("ERR PROTOCOL"))
        #expect(long.readsEOF())
        let http = try server.client()
        try http.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(http.readsEOF())
        let badRESP = try server.client()
        try badRESP.sendRaw(Array("*1\r\n$x\r\n".utf8))
        #expect(
            try badRESP.readValue()
                == .error("PROTOCOL malformed RESP request: expected '$<number>\\r\\n'; closing the connection"))
        // Clients vanishing mid-reply: ask for large replies, then close at once.
        for _ in 0..<20 {
            let gone = try server.client()
            try gone.sendRaw(Array(String(repeating: "KNN 300 ID train-1\n", count: 50).utf8))
        }
        #expect(try server.client().plain("PING") == "PONG")
    }

    @Test func aThousandConnectionsAndASlowReader() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        // A client that asks for a lot and never reads must not delay the others.
        let slow = try server.client()
        try slow.sendRaw(Array(String(repeating: "KNN 300 ID train-1\n", count: 2000).utf8))
        raiseOpenFileLimit()
        var clients: [RESPClient] = []
        for _ in 0..<1000 { clients.append(try server.client()) }
        let start = Date()
        for c in clients { try c.sendRaw(Array("PING\n".utf8)) }
        for c in clients { #expect(try c.readLine() == "PONG") }
        #expect(Date().timeIntervalSince(start) < 10)
        withExtendedLifetime(slow) { clients.removeAll() }
    }

    @Test func maxConnectionsAreEnforced() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve(["--max-connections", "3"])
        let held = try (0..<3).map { _ in try server.client() }
        for c in held { #expect(try c.plain("PING") == "PONG") }
        // Keep the three open while the fourth tries (release builds may end their lifetime early).
        try withExtendedLifetime(held) {
            let extra = try server.client()
            #expect(try extra.readLine().hasPrefix("ERR MAXCLIENTS"))
        }
    }

    /// Idle means no command for --idle-timeout seconds (as Redis's `timeout`): a silent
    /// client is closed, one that keeps asking stays, however long it has been connected.
    @Test func idleClientsAreClosedBusyOnesStay() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve(["--idle-timeout", "1"])
        let silent = try server.client(), busy = try server.client()
        let start = Date()
        while Date().timeIntervalSince(start) < 2.5 {
            #expect(try busy.plain("PING") == "PONG")
            Thread.sleep(forTimeInterval: 0.3)
        }
        // Closed by now, so EOF comes at once (not after the client's 30 s receive timeout).
        let asked = Date()
        #expect(silent.readsEOF())
        #expect(Date().timeIntervalSince(asked) < 1)
    }

    @Test func authOnAndOffAndReadOnly() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve(["--auth-token", "s3cret", "--read-only"])
        let c = try server.client()
        #expect(try c.plain("PING") == "PONG")
        #expect(try c.plain("COUNT").hasPrefix("ERR NOAUTH"))
        #expect(try c.plain("AUTH wrong").hasPrefix("ERR AUTH"))
        #expect(try c.plain("COUNT").hasPrefix("ERR NOAUTH"))
        #expect(try c.plain("AUTH s3cret") == "OK")
        #expect(try c.plain("COUNT") == "300")
        #expect(try c.plain("DEL train-1").hasPrefix("ERR READONLY"))
        let env = try fixture.serve([], environment: ["VICINITY_AUTH_TOKEN": "t"])
        #expect(try env.client().plain("COUNT").hasPrefix("ERR NOAUTH"))
        let open = try fixture.serve()
        #expect(try open.client().plain("AUTH x").hasPrefix("ERR AUTH"))
    }

    @Test func acknowledgedAddSurvivesKillNine() throws {
        let fixture = try ServedStore()
        let pixels = fixture.test[1].map(String.init).joined(separator: ",")
        do {
            let server = try fixture.serve()
            #expect(try server.client().plain("ADD durable-1 7 RAW \(pixels)") == "OK")
            server.kill(SIGKILL)
        }
        let again = try fixture.serve()
        let c = try again.client()
        #expect(try c.plain("COUNT") == "301")
        #expect(try c.plainRows("GET durable-1")[1] == "label 7")
    }

    @Test func startupFailuresExitWithOneClearLine() throws {
        let fixture = try ServedStore()
        let missing = try runVicinity([
            "serve", "--store", fixture.dir.appendingPathComponent("nope").path, "--port", "0",
        ])
        #expect(missing.status != 0 && missing.stderr.contains("no store at"))
        let other = fixture.dir.appendingPathComponent("other.safetensors").path
        try writeStoreTestModel(other, sizes: [16, 8, 12], seed: 99)
        let mismatch = try runVicinity(["serve", "--store", fixture.store, "--model", other, "--port", "0"])
        #expect(mismatch.status != 0 && mismatch.stderr.contains("is not the model"))
        let exposed = try runVicinity(["serve", "--store", fixture.store, "--host", "0.0.0.0", "--port", "0"])
        #expect(exposed.status != 0 && exposed.stderr.contains("--auth-token"))
        let server = try fixture.serve()
        let taken = try runVicinity(["serve", "--store", fixture.store, "--port", String(server.port)])
        #expect(taken.status != 0 && taken.stderr.contains("already in use"))
    }

    @Test func queryClientOneShot() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve(["--auth-token", "tok"])
        let port = String(server.port)
        let count = try runVicinity(["query", "--port", port, "--auth-token", "tok", "COUNT"])
        #expect(count.status == 0 && count.stdout == "(integer) 300\n")
        let knn = try runVicinity(
            ["query", "--port", port, "KNN", "2", "ID", "train-3"], environment: ["VICINITY_AUTH_TOKEN": "tok"])
        #expect(knn.status == 0 && knn.stdout.hasPrefix("1) 1 train-3 0 "))
        let denied = try runVicinity(["query", "--port", port, "COUNT"], environment: ["VICINITY_AUTH_TOKEN": ""])
        #expect(denied.status == 1 && denied.stdout.contains("NOAUTH"))
        let nobody = try runVicinity(["query", "--port", "1", "PING"])
        #expect(nobody.status != 0 && nobody.stderr.contains("cannot connect"))
    }

    @Test func sigtermStopsCleanly() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        #expect(try server.client().plain("PING") == "PONG")
        server.kill(SIGTERM)
        #expect(server.process.terminationStatus == 0)
    }
}
