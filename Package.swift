// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Vicinity",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vicinity", targets: ["vicinity"]),
        .library(name: "VicinityMath", targets: ["VicinityMath"]),
        .library(name: "VicinityData", targets: ["VicinityData"]),
        .library(name: "VicinityLearning", targets: ["VicinityLearning"]),
        .library(name: "VicinityHashing", targets: ["VicinityHashing"]),
        .library(name: "VicinitySearch", targets: ["VicinitySearch"]),
        .library(name: "VicinityStore", targets: ["VicinityStore"]),
        .library(name: "VicinityServer", targets: ["VicinityServer"]),
        .library(name: "VicinityEval", targets: ["VicinityEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // System-library shims: a module map and one header each, nothing else.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        .target(name: "VicinityMath", dependencies: ["COpenBLAS"]),
        .target(name: "VicinityData", dependencies: ["VicinityMath", "CZlib", "CPNG"]),
        .target(name: "VicinityLearning", dependencies: ["VicinityMath", "VicinityData"]),
        .target(name: "VicinityHashing", dependencies: ["VicinityMath"]),
        .target(name: "VicinitySearch", dependencies: ["VicinityMath", "VicinityHashing"]),
        .target(name: "VicinityStore", dependencies: ["CLMDB", "VicinityMath"]),
        .target(name: "VicinityServer", dependencies: [
            "VicinityMath", "VicinityLearning", "VicinityHashing", "VicinitySearch", "VicinityStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "VicinityEval", dependencies: ["VicinityMath", "VicinityData", "VicinityLearning", "VicinitySearch"]),
        .executableTarget(name: "vicinity", dependencies: [
            "VicinityMath", "VicinityData", "VicinityLearning", "VicinityHashing", "VicinitySearch", "VicinityStore", "VicinityServer", "VicinityEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "VicinityMathTests", dependencies: ["VicinityMath"]),
        .testTarget(name: "VicinityDataTests", dependencies: ["VicinityData"]),
        .testTarget(name: "VicinityLearningTests", dependencies: ["VicinityLearning"]),
        .testTarget(name: "VicinityHashingTests", dependencies: ["VicinityHashing"]),
        .testTarget(name: "VicinitySearchTests", dependencies: ["VicinitySearch"]),
        .testTarget(name: "VicinityStoreTests", dependencies: ["VicinityStore"]),
        .testTarget(name: "VicinityServerTests", dependencies: [
            "VicinityServer", .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "VicinityEvalTests", dependencies: ["VicinityEval"]),
        .testTarget(name: "VicinityCLITests", dependencies: ["vicinity", "VicinityData", "VicinityLearning", "VicinityStore"]),
    ]
)
