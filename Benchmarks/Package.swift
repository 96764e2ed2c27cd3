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
    ],
    swiftLanguageModes: [.v6]
)
