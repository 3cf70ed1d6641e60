import Testing

@testable import VicinityMilvus

@Suite struct MilvusURLTests {
    @Test func parsesHostPortAndName() throws {
        let url = try MilvusURL(parsing: "milvus://127.0.0.1:19530/fashion")
        #expect(url == MilvusURL(host: "127.0.0.1", port: 19530, name: "fashion"))
        #expect(url.codesCollection == "fashion_codes")
        #expect(url.bitsCollection == "fashion_bits")
        #expect(url.description == "milvus://127.0.0.1:19530/fashion")
        #expect(try MilvusURL(parsing: "milvus://[::1]:7/_x9").host == "::1")
        #expect(try MilvusURL(parsing: "milvus://[::1]:7/_x9").description == "milvus://[::1]:7/_x9")
        #expect(try MilvusURL(parsing: "milvus://milvus.internal:443/a").host == "milvus.internal")
    }

    /// Each malformed address is refused with a message naming the part that is wrong.
    @Test(arguments: [
        ("http://127.0.0.1:19530/x", "is not a milvus:// address"),
        ("milvus://127.0.0.1:19530", "names no collection"),
        ("milvus://:19530/x", "has no host"),
        ("milvus://127.0.0.1/x", "has no port"),
        ("milvus://127.0.0.1:0/x", "has no port"),
        ("milvus://127.0.0.1:99999/x", "has no port"),
        ("milvus://127.0.0.1:19530/", "NAME after the port is empty"),
        ("milvus://127.0.0.1:19530/9lives", "a letter or _ first"),
        ("milvus://127.0.0.1:19530/a-b", "a letter or _ first"),
        ("milvus://127.0.0.1:19530/a/b", "a letter or _ first"),
        ("milvus://127.0.0.1:19530/é", "a letter or _ first"),
    ])
    func refusesWithAReason(text: String, reason: String) {
        #expect {
            try MilvusURL(parsing: text)
        } throws: { error in
            guard case .badURL(let message) = error as? MilvusError else { return false }
            return message.contains(reason)
        }
    }

    @Test func longNamesAreRefusedBeforeMilvusSeesThem() throws {
        #expect(throws: MilvusError.self) {
            try MilvusURL(parsing: "milvus://h:1/" + String(repeating: "a", count: 250))
        }
        _ = try MilvusURL(parsing: "milvus://h:1/" + String(repeating: "a", count: 249))
    }

    @Test func expressionLiteralsEscapeQuotesAndBackslashes() {
        #expect(milvusLiteral("train-1") == "\"train-1\"")
        #expect(milvusLiteral("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(milvusLiteral("ünï") == "\"ünï\"")
    }
}
