import Foundation
import Testing
import VicinityClient
import VicinityStore

/// `SNAPSHOT dir` on a live server while another connection keeps adding: the copy is one point
/// in time (every ADD acknowledged before the snapshot was asked for is in it, none sent after
/// its reply, and what it holds is a prefix of the adds), checks clean, and `vicinity snapshot`
/// of the same state writes the same bytes.
@Suite struct SnapshotTests {
    final class Adder: @unchecked Sendable {
        let lock = NSLock()
        var sent = 0, acked = 0, failure: String?
        var stop = false
    }

    /// The adding thread owns its connection alone.
    struct UnsafeWriter: @unchecked Sendable {
        let client: RESPClient
        init(_ client: RESPClient) { self.client = client }
    }

    @Test func snapshotUnderConcurrentAddsIsOnePointInTime() throws {
        let fixture = try ServedStore()
        let server = try fixture.serve()
        defer { server.kill(SIGTERM) }
        let pixels = fixture.test[0].map(String.init).joined(separator: ",")
        let adder = Adder()
        let writer = UnsafeWriter(try server.client())
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { done.signal() }
            for i in 0..<100_000 {
                if adder.lock.withLock({ adder.stop }) { return }
                adder.lock.withLock { adder.sent = i + 1 }
                do {
                    let reply = try writer.client.plain("ADD add-\(i) 1 RAW \(pixels)")
                    guard reply == "OK" else { adder.lock.withLock { adder.failure = reply }; return }
                } catch {
                    adder.lock.withLock { adder.failure = "\(error)" }
                    return
                }
                adder.lock.withLock { adder.acked = i + 1 }
            }
        }
        let client = try server.client()
        while adder.lock.withLock({ adder.acked }) < 20 { usleep(1000) }
        let folder = try temporaryFolder().appendingPathComponent("snap").path
        let ackedBefore = adder.lock.withLock { adder.acked }
        let reply = try client.plain("SNAPSHOT \(folder)")
        let sentAfter = adder.lock.withLock { adder.sent }
        adder.lock.withLock { adder.stop = true }
        done.wait()
        #expect(adder.failure == nil, "\(adder.failure ?? "")")

        let snap = try CodeStore(path: folder, access: .readOnly)
        let added = try Set(snap.snapshot().ids.filter { $0.hasPrefix("add-") })
        #expect(reply == String(300 + added.count), "\(reply)")
        #expect((0..<ackedBefore).allSatisfy { added.contains("add-\($0)") }, "an acknowledged ADD is missing")
        #expect(!added.contains("add-\(sentAfter)") && added.count <= sentAfter, "an ADD sent after the reply is in it")
        #expect(added == Set((0..<added.count).map { "add-\($0)" }), "not a prefix of the adds")
        #expect(try snap.checkConsistency().isEmpty)
        // Refused: a folder that already holds a store.
        #expect(try client.plain("SNAPSHOT \(folder)").hasPrefix("ERR SNAPSHOT"))
    }
}
