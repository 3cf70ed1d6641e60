import Dispatch
import Testing
import VicinityServer

@testable import VicinityMilvus

/// Nothing listens on 127.0.0.1:1: every path that talks to Milvus must fail fast with a line
/// that says where it tried, never hang. The client blocks its caller (the server calls it from
/// its event loops), so the tests call it from a dispatch thread, not Swift concurrency's pool.
@Suite struct MilvusUnreachableTests {
    let url = MilvusURL(host: "127.0.0.1", port: 1, name: "nothing")

    func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { done in DispatchQueue.global().async { done.resume(returning: body()) } }
    }

    @Test func callsFailFastNamingTheAddress() async throws {
        let client = try MilvusClient(url, timeout: .seconds(5))
        let start = ContinuousClock.now
        let name = url.codesCollection
        let outcome = await blocking { () -> MilvusError? in
            do throws(MilvusError) { _ = try client.hasCollection(name) } catch { return error }
            return nil
        }
        guard case .unreachable(let message) = outcome else {
            Issue.record("expected unreachable, got \(String(describing: outcome))")
            return
        }
        #expect(message.contains("127.0.0.1:1") && message.contains("is it running there?"), "\(message)")
        // Refused at once when the machine is idle; under a loaded test run the call's 5 s deadline
        // (plus the 1 s grace) may be what ends it, and resuming this task waits for a free thread.
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test func theEngineSaysWhatIsWrong() async {
        let url = self.url
        let message = await blocking { () -> String in
            do { _ = try MilvusEngine(url: url, modelPath: nil) } catch { return "\(error)" }
            return "connected"
        }
        #expect(message.contains("127.0.0.1:1") && message.contains("is it running there?"))
    }
}
