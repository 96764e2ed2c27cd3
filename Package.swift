// swift-tools-version: 6.1
import PackageDescription

// certsim: adaptive certification daemon and scenario runner.
// Module map (see README): CertCore holds the rules and does no I/O; CertStore owns the store
// (a SQLite file, or PostgreSQL);
// CertDaemon holds the actors and the two servers; CertLoad is the scenario runner.
let package = Package(
    name: "certsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "certsim", targets: ["certsim"]),
        .library(name: "CertCore", targets: ["CertCore"]),
        .library(name: "CertStore", targets: ["CertStore"]),
        .library(name: "CertDaemon", targets: ["CertDaemon"]),
        .library(name: "CertLoad", targets: ["CertLoad"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        .target(name: "CertCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "CertStore",
            dependencies: [
                "CertCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CertDaemon",
            dependencies: [
                "CertCore",
                "CertStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CertLoad",
            dependencies: [
                "CertCore",
                "CertStore",
                "CertDaemon",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "certsim",
            dependencies: [
                "CertCore",
                "CertStore",
                "CertDaemon",
                "CertLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test helpers shared by several test targets (not shipped in any product).
        .target(
            name: "CertTestSupport",
            dependencies: ["CertCore", "CertStore", "CertDaemon", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/CertTestSupport"),
        .testTarget(name: "CertCoreTests", dependencies: ["CertCore"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CertStoreTests",
            dependencies: ["CertCore", "CertStore", "CertTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CertDaemonTests",
            dependencies: [
                "CertCore", "CertStore", "CertDaemon", "CertTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CertLoadTests",
            dependencies: [
                "CertCore", "CertDaemon", "CertLoad", "CertTestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests", dependencies: ["CertCore", "CertStore", "CertDaemon", "CertLoad", "CertTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
