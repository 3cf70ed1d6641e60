/// Words of a text, by the rule scripts/data/debian-descriptions uses to build a document set
/// (docs/DOCUMENTS.md); the two must agree token for token, so change both or neither:
/// 1. lower-case every Unicode scalar by its full lower-case mapping (Python's `str.lower()`);
/// 2. tokens are maximal runs of `[a-z0-9]` in the result; every other scalar separates;
/// 3. tokens without a letter, shorter than 2 characters, or in `stopWords` are dropped.
public struct Tokenizer: Sendable {
    public let stopWords: Set<String>

    public init(stopWords: some Sequence<String>) {
        self.stopWords = Set(stopWords)
    }

    public func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var run: [UInt8] = [], hasLetter = false
        func flush() {
            if run.count >= 2 && hasLetter {
                let word = String(decoding: run, as: UTF8.self)
                if !stopWords.contains(word) { out.append(word) }
            }
            run.removeAll(keepingCapacity: true)
            hasLetter = false
        }
        func take(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x61...0x7A: run.append(UInt8(scalar.value)); hasLetter = true
            case 0x30...0x39: run.append(UInt8(scalar.value))
            default: flush()
            }
        }
        // Scalars, not Characters: "e\u{301}" must split after the "e", as it does in Python.
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                take(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else {
                // Some non-ASCII scalars lower to ASCII: KELVIN SIGN → "k", "İ" → "i" + U+0307.
                for lowered in scalar.properties.lowercaseMapping.unicodeScalars { take(lowered) }
            }
        }
        flush()
        return out
    }
}
