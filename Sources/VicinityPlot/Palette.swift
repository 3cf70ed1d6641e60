/// Class colours: ten that stay apart on white (and from each other), then the
/// same ten darker on each further cycle.
public enum Palette {
    public static let base: [RGB] = [
        RGB(hex: 0x1F77B4),  // blue
        RGB(hex: 0xFF7F0E),  // orange
        RGB(hex: 0x2CA02C),  // green
        RGB(hex: 0xD62728),  // red
        RGB(hex: 0x9467BD),  // purple
        RGB(hex: 0x8C564B),  // brown
        RGB(hex: 0xE377C2),  // pink
        RGB(hex: 0x7F7F7F),  // grey
        RGB(hex: 0xBCBD22),  // olive
        RGB(hex: 0x17BECF),  // cyan
    ]

    /// The colour of class (or series) `index`; negative indices (unknown labels) are black.
    public static func color(_ index: Int) -> RGB {
        guard index >= 0 else { return .black }
        let cycle = index / base.count
        let c = base[index % base.count]
        // Each cycle mixes a further 35 % towards black, so cycles stay distinguishable.
        return cycle == 0 ? c : c.mixed(with: .black, min(0.35 * Double(cycle), 0.8))
    }
}

/// Names of Fashion-MNIST's ten classes, in label order.
public let fashionMNISTClassNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

/// Legend names for labels 0..<classCount: Fashion-MNIST's names for ten classes, else "class N".
public func classNames(count classCount: Int) -> [String] {
    classCount == 10 ? fashionMNISTClassNames : (0..<max(classCount, 0)).map { "class \($0)" }
}
