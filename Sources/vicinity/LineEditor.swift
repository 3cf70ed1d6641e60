import Foundation

/// A small line editor for the interactive client: history with ↑/↓, cursor
/// movement with ←/→/Home/End, backspace, Ctrl-A/E/U, Ctrl-D to leave.
/// When standard input is not a terminal it reads plain lines.
final class LineEditor {
    private let prompt: String
    private var history: [String] = []

    init(prompt: String) { self.prompt = prompt }

    func readLine() -> String? {
        guard isatty(STDIN_FILENO) != 0 else { return Swift.readLine() }
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        defer { tcsetattr(STDIN_FILENO, TCSANOW, &original) }

        var line: [Character] = []
        var cursor = 0
        var recalled = history.count
        func redraw() {
            let text = String(line)
            let back = line.count - cursor
            write("\r\u{1B}[K" + prompt + text + (back > 0 ? "\u{1B}[\(back)D" : ""))
        }
        redraw()
        while true {
            var byte: UInt8 = 0
            guard read(STDIN_FILENO, &byte, 1) == 1 else { return nil }
            switch byte {
            case 10, 13:
                write("\n")
                let text = String(line)
                if !text.trimmingCharacters(in: .whitespaces).isEmpty && history.last != text { history.append(text) }
                return text
            case 4:  // Ctrl-D
                if line.isEmpty { write("\n"); return nil }
            case 127, 8:
                if cursor > 0 { line.remove(at: cursor - 1); cursor -= 1 }
            case 1: cursor = 0
            case 5: cursor = line.count
            case 21: line.removeAll(); cursor = 0
            case 27:
                var seq: [UInt8] = [0, 0]
                guard read(STDIN_FILENO, &seq[0], 1) == 1, read(STDIN_FILENO, &seq[1], 1) == 1, seq[0] == 91 else {
                    break
                }
                switch seq[1] {
                case 65 where recalled > 0: recalled -= 1; line = Array(history[recalled]); cursor = line.count
                case 66 where recalled < history.count:
                    recalled += 1
                    line = recalled == history.count ? [] : Array(history[recalled])
                    cursor = line.count
                case 67: cursor = min(cursor + 1, line.count)
                case 68: cursor = max(cursor - 1, 0)
                case 72: cursor = 0
                case 70: cursor = line.count
                default: break
                }
            default:
                if byte >= 32 && byte < 127 { line.insert(Character(Unicode.Scalar(byte)), at: cursor); cursor += 1 }
            }
            redraw()
        }
    }

    private func write(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
}
