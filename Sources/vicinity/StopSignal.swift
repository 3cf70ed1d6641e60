import Dispatch
import Foundation
import Synchronization

/// Turns the first SIGINT/SIGTERM into a polite request to stop; a second one
/// exits at once (the default behaviour is restored after the first).
final class StopSignal: Sendable {
    private let requested = Atomic<Bool>(false)
    // Kept alive for the life of the process; only touched in init.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    /// - Parameter announce: print that the run will stop after the current mini-batch.
    init(signals: [Int32] = [SIGINT, SIGTERM], announce: Bool = true) {
        var sources: [any DispatchSourceSignal] = []
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for (source, sig) in zip(sources, signals) {
            source.setEventHandler { [self] in
                self.requested.store(true, ordering: .relaxed)
                if announce { note("\nstopping after this mini-batch (press Ctrl-C again to quit at once)…") }
                signal(sig, SIG_DFL)
            }
            source.resume()
        }
    }

    var isRequested: Bool { requested.load(ordering: .relaxed) }
}
