// swift-tools-version: 6.1
import PackageDescription

// certsim's micro-benchmarks: a separate package so that the root package's `swift test`
// never builds them. Run from this folder with `swift package benchmark` (see README.md).
let package = Package(
    name: "certsim-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "certsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "CertCore", package: "certsim"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ServiceBenchmarks",
            dependencies: [
                .product(name: "CertCore", package: "certsim"),
                .product(name: "CertStore", package: "certsim"),
                .product(name: "CertDaemon", package: "certsim"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ServiceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The hand-written pieces beside the libraries they stand in for: a plain program, not a
        // Benchmark target (`swift run -c release client-compare`, see README.md).
        .executableTarget(
            name: "client-compare",
            dependencies: [
                .product(name: "CertCore", package: "certsim"),
                .product(name: "CertDaemon", package: "certsim"),
                .product(name: "CertLoad", package: "certsim"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "ClientCompare"
        ),
    ],
    swiftLanguageModes: [.v6]
)
