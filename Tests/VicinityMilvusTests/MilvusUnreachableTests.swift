import Testing
import VicinityServer

@testable import VicinityMilvus

/// Nothing listens on 127.0.0.1:1: every path that talks to Milvus must fail fast with a line
/// that says where it tried, never hang.
@Suite struct MilvusUnreachableTests {
    let url = MilvusURL(host: "127.0.0.1", port: 1, name: "nothing")

    @Test func callsFailFastNamingTheAddress() throws {
        let client = try MilvusClient(url, timeout: .seconds(5))
        let start = ContinuousClock.now
        #expect {
            try client.hasCollection(url.codesCollection)
        } throws: { error in
            guard case .unreachable(let message) = error as? MilvusError else { return false }
            return message.contains("cannot reach Milvus at 127.0.0.1:1")
        }
        #expect(ContinuousClock.now - start < .seconds(6))
    }

    @Test func theEngineSaysWhatIsWrong() {
        #expect {
            try MilvusEngine(url: url, modelPath: nil)
        } throws: { "\($0)".contains("cannot reach Milvus at 127.0.0.1:1") }
    }
}
