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
        let name = url.codesCollection
        // Timed on the calling thread: resuming this test's task afterwards waits for a free
        // thread of Swift concurrency's pool, which a loaded test run can hold for a minute.
        let (outcome, took) = await blocking { () -> (MilvusError?, Duration) in
            let start = ContinuousClock.now
            do throws(MilvusError) { _ = try client.hasCollection(name) } catch {
                return (error, ContinuousClock.now - start)
            }
            return (nil, ContinuousClock.now - start)
        }
        guard case .unreachable(let message) = outcome else {
            Issue.record("expected unreachable, got \(String(describing: outcome))")
            return
        }
        #expect(message.contains("127.0.0.1:1") && message.contains("is it running there?"), "\(message)")
        // Refused at once when the machine is idle; under load the call's own bound ends it:
        // 5 s deadline + 1 s grace, then three retries of at most 2 s each.
        #expect(took < .seconds(15), "the call took \(took)")
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
