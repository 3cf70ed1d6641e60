import Foundation
import VicinityLearning

/// Renders training events: a live bar on a terminal, plain lines otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var phase = ""
    private var epochs = 0
    private var batchesPerEpoch = 0
    private var samplesPerBatch = 0
    private var epochStart = Date()
    private var phaseStart = Date()
    private var lastDraw = Date.distantPast
    private var runningLoss: Double = 0
    private var seen = 0

    func handle(_ event: TrainingEvent) {
        switch event {
        case .phase(let name, let epochs, let batches, let samples):
            finishLine()
            phase = name
            self.epochs = epochs
            batchesPerEpoch = batches
            samplesPerBatch = samples
            phaseStart = Date()
            epochStart = Date()
            note("== \(name): \(epochs) epochs × \(batches) batches of \(samples)")
        case .batch(let epoch, let batch, let loss):
            if batch == 0 { epochStart = Date(); runningLoss = 0; seen = 0 }
            runningLoss += Double(loss)
            seen += 1
            guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
            lastDraw = Date()
            let elapsed = Date().timeIntervalSince(epochStart)
            let rate = Double((batch + 1) * samplesPerBatch) / max(elapsed, 1e-9)
            let doneFraction = (Double(epoch) + Double(batch + 1) / Double(max(batchesPerEpoch, 1))) / Double(max(epochs, 1))
            let total = Date().timeIntervalSince(phaseStart)
            let eta = doneFraction > 0 ? total / doneFraction - total : 0
            let width = 24
            let filled = Int(Double(width) * Double(batch + 1) / Double(max(batchesPerEpoch, 1)))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\r  epoch %d/%d [%@] loss %.4f  %.0f samples/s  ETA %@ ",
                              epoch + 1, epochs, bar, runningLoss / Double(seen), rate, duration(eta))
            FileHandle.standardError.write(Data(line.utf8))
        case .epoch(let epoch, let loss, let validation, let seconds):
            finishLine()
            let rate = Double(batchesPerEpoch * samplesPerBatch) / max(seconds, 1e-9)
            var text = String(format: "  epoch %d/%d  loss %.4f  %.1f s  %.0f samples/s", epoch + 1, epochs, loss, seconds, rate)
            if let v = validation { text += String(format: "  validation %.4f", v) }
            note(text)
        case .checkpoint:
            break
        case .message(let m):
            finishLine()
            note(m)
        }
    }

    private func finishLine() {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}
