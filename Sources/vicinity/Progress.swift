import Foundation
import VicinityLearning
import VicinityPipeline

/// The one progress reporter of every long command (train, embed, eval): training events and a
/// job's item counts become a live bar on a terminal and plain lines otherwise; notes go to
/// standard error. Used from the thread that runs the command.
final class ProgressReporter: JobReporter {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    // Training.
    private var phase = ""
    private var epochs = 0
    private var batchesPerEpoch = 0
    private var samplesPerBatch = 0
    private var epochStart = Date()
    private var phaseStart = Date()
    private var lastDraw = Date.distantPast
    private var runningLoss: Double = 0
    private var seen = 0
    // Items.
    private var items = ItemCounter(total: nil)

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
            drawBatch(epoch: epoch, batch: batch)
        case .epoch(let epoch, let loss, let validation, let seconds):
            finishLine()
            let rate = Double(batchesPerEpoch * samplesPerBatch) / max(seconds, 1e-9)
            var text = String(
                format: "  epoch %d/%d  loss %.4f  %.1f s  %.0f samples/s", epoch + 1, epochs, loss, seconds, rate)
            if let v = validation { text += String(format: "  validation %.4f", v) }
            note(text)
        case .checkpoint:
            break
        case .message(let m):
            finishLine()
            note(m)
        }
    }

    private func drawBatch(epoch: Int, batch: Int) {
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double((batch + 1) * samplesPerBatch) / max(elapsed, 1e-9)
        let doneFraction =
            (Double(epoch) + Double(batch + 1) / Double(max(batchesPerEpoch, 1))) / Double(max(epochs, 1))
        let total = Date().timeIntervalSince(phaseStart)
        let eta = doneFraction > 0 ? total / doneFraction - total : 0
        let width = 24
        let filled = Int(Double(width) * Double(batch + 1) / Double(max(batchesPerEpoch, 1)))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = String(
            format: "\r  epoch %d/%d [%@] loss %.4f  %.0f samples/s  ETA %@ ",
            epoch + 1, epochs, bar, runningLoss / Double(seen), rate, duration(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    // MARK: JobReporter

    func note(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    func itemsBegin(total: Int?) { items = ItemCounter(total: total) }
    func itemsSkipped(_ count: Int) { if items.known { items.total -= count } }

    /// A bar with items/s and ETA on a terminal (five times a second); a plain line every two seconds otherwise.
    func itemsDone(_ done: Int) {
        let now = Date()
        guard now.timeIntervalSince(items.last) >= (isTerminal ? 0.2 : 2) || (items.known && done == items.total) else {
            return
        }
        items.last = now
        let rate = Double(done) / max(now.timeIntervalSince(items.start), 1e-9)
        let total = items.total
        let text: String
        if !items.known {
            text =
                isTerminal
                ? String(format: "\r  %d items  %.0f items/s ", done, rate)
                : String(format: "  %d items  %.0f items/s", done, rate)
        } else {
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let width = 28
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            text =
                isTerminal
                ? String(format: "\r  [%@] %d/%d  %.0f items/s  ETA %.0fs ", bar, done, total, rate, eta)
                : String(format: "  %d/%d items  %.0f items/s  ETA %.0fs", done, total, rate, eta)
        }
        if isTerminal {
            FileHandle.standardError.write(Data(text.utf8))
            items.drew = true
        } else {
            note(text)
        }
    }

    func itemsEnd() {
        if items.drew { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func finishLine() {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}

/// Where a job is in its items; a stream's total is not known in advance (then only counts and rates show).
private struct ItemCounter {
    var total: Int
    let known: Bool
    let start = Date()
    var last = Date.distantPast
    var drew = false

    init(total: Int?) {
        self.total = total ?? 0
        known = total != nil
    }
}
