import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization

typealias MilvusService = Milvus_Proto_Milvus_MilvusService.Client<HTTP2ClientTransport.Posix>

/// A blocking client of one Milvus server's gRPC API (the engine protocol is synchronous).
/// Every call has a deadline, so nothing waits on a server that is gone, and calls fail fast
/// while it is down; the transport reconnects by itself (backoff at most 2 s) when it is back.
public final class MilvusClient: Sendable {
    public let url: MilvusURL
    /// How long one call may take before it fails as unreachable.
    public let timeout: Duration
    private let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    private let service: MilvusService

    public init(_ url: MilvusURL, timeout: Duration = .seconds(10)) throws(MilvusError) {
        self.url = url
        self.timeout = timeout
        let transport: HTTP2ClientTransport.Posix
        do {
            transport = try HTTP2ClientTransport.Posix(
                target: .dns(host: url.host, port: url.port), transportSecurity: .plaintext,
                config: .defaults {
                    $0.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
                })
        } catch {
            throw .unreachable("cannot set up a connection to \(url.host):\(url.port): \(error)")
        }
        grpc = GRPCClient(transport: transport)
        service = MilvusService(wrapping: grpc)
        let client = grpc
        Task { try? await client.runConnections() }
    }

    deinit { grpc.beginGracefulShutdown() }

    /// Runs one RPC and waits for it: `what` names it in errors. The call's own deadline is
    /// `timeout`; the wait gives up a second later whatever the transport does. A call that finds
    /// the connection gone is tried again (three times at most), waiting (up to 1 s each) for the next connection:
    /// grpc-swift's HTTP/2 client drops a connection that receives 200 RST_STREAM frames in
    /// 10 s, and Milvus's gRPC server sends one after many replies, so under load connections
    /// turn over every few hundred calls. Every call Vicinity makes may run twice: reads, upserts,
    /// deletes by id, and the export's inserts, whose count is checked at the end.
    func call<T: Sendable>(
        _ what: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (MilvusService, CallOptions) async throws -> T
    ) throws(MilvusError) -> T {
        var options = CallOptions.defaults
        let limit = timeout ?? self.timeout
        options.timeout = limit
        options.maxRequestMessageBytes = 64 << 20  // what milvus accepts by default (proxy.grpc.serverMaxRecvSize)
        options.maxResponseMessageBytes = 256 << 20
        var outcome = try attempt(what, options, body)
        for retry in 0..<3 {
            guard case .failure(let error as RPCError) = outcome, error.code == .unavailable else { break }
            usleep(UInt32(20_000 << retry))  // the transport notices the closed connection meanwhile
            options.waitForReady = true
            // A fresh connection takes milliseconds; a dead server takes the whole second.
            options.timeout = min(limit, .seconds(1))
            outcome = try attempt(what, options, body)
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw describe(error, what)
        }
    }

    private func attempt<T: Sendable>(
        _ what: String, _ options: CallOptions,
        _ body: @escaping @Sendable (MilvusService, CallOptions) async throws -> T
    ) throws(MilvusError) -> Result<T, any Error> {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let service = self.service
        let task = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body(service, options)) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        let limit = options.timeout ?? self.timeout
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18 + 1
        if done.wait(timeout: .now() + seconds) == .timedOut {
            task.cancel()
            throw .unreachable(
                "Milvus at \(url.host):\(url.port) did not answer \(what) within \(limit); is it running there?")
        }
        return outcome.withLock { $0 }!
    }

    private func describe(_ error: any Error, _ what: String) -> MilvusError {
        let place = "\(url.host):\(url.port)"
        guard let rpc = error as? RPCError else {
            return .unreachable("\(what) on Milvus at \(place) failed: \(error)")
        }
        switch rpc.code {
        case .unavailable, .cancelled:
            return .unreachable("cannot reach Milvus at \(place) (\(rpc.message)); is it running there?")
        case .deadlineExceeded:
            return .unreachable("Milvus at \(place) did not answer \(what) in time; is it running there?")
        default:
            return .server("Milvus at \(place) failed \(what): \(rpc.code): \(rpc.message)")
        }
    }
}

extension Milvus_Proto_Common_Status {
    var failed: Bool { code != 0 || errorCode != 0 }

    /// Throws the server's own reason when this status is an error.
    func check(_ what: String) throws(MilvusError) {
        guard failed else { return }
        throw .server("Milvus refused \(what): \(reason.isEmpty ? "error \(code)" : reason)")
    }
}
