// swift-tools-version:6.0
import PackageDescription

// The kernels (popcount, SIMD distance and exp loops) need the instruction set
// of this project's machines: Haswell or later (AVX2, FMA, POPCNT, BMI2). Without it the
// compiler targets 2003's SSE2 and emulates popcount in software.
#if arch(x86_64)
let kernels: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let kernels: [SwiftSetting] = []
#endif

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
        .library(name: "VicinityPlot", targets: ["VicinityPlot"]),
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
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "VicinityMath", dependencies: ["COpenBLAS"], swiftSettings: kernels),
        .target(name: "VicinityData", dependencies: ["VicinityMath", "CZlib", "CPNG", "CTurboJPEG"], swiftSettings: kernels),
        .target(name: "VicinityLearning", dependencies: ["VicinityMath", "VicinityData"], swiftSettings: kernels),
        .target(name: "VicinityHashing", dependencies: ["VicinityMath", "VicinityLearning"], swiftSettings: kernels),
        .target(name: "VicinitySearch", dependencies: ["VicinityMath", "VicinityHashing"], swiftSettings: kernels),
        .target(name: "VicinityStore", dependencies: ["CLMDB", "VicinityMath"], swiftSettings: kernels),
        .target(name: "VicinityServer", dependencies: [
            "VicinityMath", "VicinityLearning", "VicinityHashing", "VicinitySearch", "VicinityStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: kernels),
        .target(name: "VicinityEval", dependencies: ["VicinityMath", "VicinityData", "VicinityLearning", "VicinityHashing", "VicinitySearch"], swiftSettings: kernels),
        .target(name: "VicinityPlot", dependencies: ["VicinityMath", "VicinityData", "VicinityLearning", "VicinityHashing", "VicinityEval"], swiftSettings: kernels),
        .executableTarget(name: "vicinity", dependencies: [
            "VicinityMath", "VicinityData", "VicinityLearning", "VicinityHashing", "VicinitySearch", "VicinityStore", "VicinityServer", "VicinityEval", "VicinityPlot",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: kernels),

        .testTarget(name: "VicinityMathTests", dependencies: ["VicinityMath"], swiftSettings: kernels),
        .testTarget(name: "VicinityDataTests", dependencies: ["VicinityData"], swiftSettings: kernels),
        .testTarget(name: "VicinityLearningTests", dependencies: ["VicinityLearning"], swiftSettings: kernels),
        .testTarget(name: "VicinityHashingTests", dependencies: ["VicinityHashing", "VicinityLearning"], swiftSettings: kernels),
        .testTarget(name: "VicinitySearchTests", dependencies: ["VicinitySearch", "VicinityData"], swiftSettings: kernels),
        .testTarget(name: "VicinityStoreTests", dependencies: ["VicinityStore"], swiftSettings: kernels),
        .testTarget(name: "VicinityServerTests", dependencies: [
            "VicinityServer", .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: kernels),
        .testTarget(name: "VicinityEvalTests", dependencies: ["VicinityEval", "VicinityHashing", "VicinityMath", "VicinitySearch"], swiftSettings: kernels),
        .testTarget(name: "VicinityPlotTests", dependencies: ["VicinityPlot", "VicinityData", "VicinityMath"], swiftSettings: kernels),
        .testTarget(name: "VicinityCLITests", dependencies: ["vicinity", "VicinityData", "VicinityLearning", "VicinityStore", "VicinityServer"], swiftSettings: kernels),
    ]
)
