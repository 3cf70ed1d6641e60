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

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

// Modules are stages; arrows run one way (scripts/check-structure enforces the rules in
// docs/ARCHITECTURE.md): Math → Data, Codes → Learning, Hashers, Search, Store → Pipeline →
// Protocol → Server, Client → the executable, which alone parses options.
let package = Package(
    name: "Vicinity",
    products: [
        .executable(name: "vicinity", targets: ["vicinity"]),
        .library(name: "VicinityMath", targets: ["VicinityMath"]),
        .library(name: "VicinityData", targets: ["VicinityData"]),
        .library(name: "VicinityCodes", targets: ["VicinityCodes"]),
        .library(name: "VicinityLearning", targets: ["VicinityLearning"]),
        .library(name: "VicinityHashers", targets: ["VicinityHashers"]),
        .library(name: "VicinitySearch", targets: ["VicinitySearch"]),
        .library(name: "VicinityStore", targets: ["VicinityStore"]),
        .library(name: "VicinityPipeline", targets: ["VicinityPipeline"]),
        .library(name: "VicinityProtocol", targets: ["VicinityProtocol"]),
        .library(name: "VicinityServer", targets: ["VicinityServer"]),
        .library(name: "VicinityClient", targets: ["VicinityClient"]),
        .library(name: "VicinityPlot", targets: ["VicinityPlot"]),
        .library(name: "VicinityMilvus", targets: ["VicinityMilvus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // Operations: the Prometheus endpoint's registry and the server's log lines.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The Milvus engine's client: Milvus's gRPC API (code generated once from proto/milvus, committed).
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System-library shims: a module map and one header each, nothing else.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // No library: the prefetch hint Swift cannot spell, and the L2 kernel in AVX2 intrinsics.
        .systemLibrary(name: "CKernels"),

        .target(name: "VicinityMath", dependencies: ["COpenBLAS"], swiftSettings: kernels),
        .target(
            name: "VicinityData", dependencies: ["VicinityMath", "CZlib", "CPNG", "CTurboJPEG"], swiftSettings: kernels),
        .target(name: "VicinityCodes", dependencies: ["VicinityMath"], swiftSettings: kernels),
        .target(name: "VicinityLearning", dependencies: ["VicinityMath", "VicinityData"], swiftSettings: kernels),
        .target(name: "VicinityHashers", dependencies: ["VicinityMath", "VicinityCodes"], swiftSettings: kernels),
        .target(
            name: "VicinitySearch", dependencies: ["CKernels", "VicinityMath", "VicinityCodes"], swiftSettings: kernels
        ),
        .target(name: "VicinityStore", dependencies: ["CLMDB", "VicinityMath"], swiftSettings: kernels),
        .target(
            name: "VicinityPipeline",
            dependencies: [
                "VicinityMath", "VicinityData", "VicinityCodes", "VicinityLearning", "VicinityHashers",
                "VicinitySearch",
                "VicinityStore",
            ], swiftSettings: kernels),
        .target(name: "VicinityProtocol", dependencies: [nioCore], swiftSettings: kernels),
        .target(
            name: "VicinityServer",
            dependencies: [
                "VicinityMath", "VicinityCodes", "VicinityLearning", "VicinitySearch", "VicinityStore",
                "VicinityPipeline",
                "VicinityProtocol", nioCore, .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: kernels),
        // Milvus behind the engine protocol (issue 19): export a store to it, serve from it.
        .target(
            name: "VicinityMilvus",
            dependencies: [
                "VicinityMath", "VicinityCodes", "VicinityLearning", "VicinitySearch", "VicinityStore",
                "VicinityPipeline", "VicinityServer",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ], swiftSettings: kernels),
        .target(name: "VicinityClient", dependencies: [], swiftSettings: kernels),
        .target(name: "VicinityPlot", dependencies: ["VicinityMath", "VicinityData"], swiftSettings: kernels),
        .executableTarget(
            name: "vicinity",
            dependencies: [
                "VicinityMath", "VicinityData", "VicinityCodes", "VicinityLearning", "VicinityHashers",
                "VicinitySearch",
                "VicinityStore", "VicinityPipeline", "VicinityServer", "VicinityClient", "VicinityPlot",
                "VicinityMilvus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], swiftSettings: kernels),

        // Shared by the test targets: temporary folders removed at exit, running programs.
        .target(
            name: "VicinityTestSupport", dependencies: ["VicinityLearning", "VicinityMath"],
            path: "Tests/VicinityTestSupport"),
        .testTarget(name: "VicinityMathTests", dependencies: ["VicinityMath"], swiftSettings: kernels),
        .testTarget(
            name: "VicinityDataTests", dependencies: ["VicinityTestSupport", "VicinityData", "VicinityMath"],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityCodesTests", dependencies: ["VicinityCodes", "VicinityMath"], swiftSettings: kernels),
        .testTarget(
            name: "VicinityLearningTests",
            dependencies: ["VicinityTestSupport", "VicinityLearning", "VicinityData", "VicinityMath"],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityHashersTests", dependencies: ["VicinityHashers", "VicinityCodes", "VicinityMath"],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinitySearchTests",
            dependencies: ["VicinitySearch", "VicinityCodes", "VicinityData", "VicinityMath"], swiftSettings: kernels),
        .testTarget(
            name: "VicinityStoreTests", dependencies: ["VicinityTestSupport", "VicinityStore", "VicinityMath"],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityPipelineTests",
            dependencies: [
                "VicinityTestSupport", "VicinityPipeline", "VicinityCodes", "VicinityData", "VicinityHashers",
                "VicinityLearning",
                "VicinityMath",
                "VicinitySearch", "VicinityStore", "VicinityPlot",
            ],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityProtocolTests",
            dependencies: ["VicinityProtocol", nioCore, .product(name: "NIOTestUtils", package: "swift-nio")],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityPlotTests",
            dependencies: ["VicinityTestSupport", "VicinityPlot", "VicinityData", "VicinityMath"],
            swiftSettings: kernels),
        .testTarget(
            name: "VicinityMilvusTests",
            dependencies: [
                "VicinityTestSupport", "VicinityMilvus", "VicinityServer", "VicinityStore", "VicinityCodes",
                "VicinityMath", "VicinitySearch",
            ], swiftSettings: kernels),
        .testTarget(
            name: "VicinityCLITests",
            dependencies: [
                "VicinityTestSupport",
                "vicinity", "VicinityMath", "VicinityData", "VicinityLearning", "VicinityStore", "VicinityServer",
                "VicinityClient", "VicinityCodes", "VicinitySearch", "VicinityPipeline",
                "VicinityProtocol", nioCore, .product(name: "NIOEmbedded", package: "swift-nio"),
            ], swiftSettings: kernels),
    ]
)
