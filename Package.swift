// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "provisiond",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Provisioning", targets: ["Provisioning"]),
        .library(name: "ProvisioningPostgres", targets: ["ProvisioningPostgres"]),
        .library(name: "ProvisioningAirtable", targets: ["ProvisioningAirtable"]),
        .library(name: "ProvisioningSignatures", targets: ["ProvisioningSignatures"]),
        .library(name: "ProvisioningService", targets: ["ProvisioningService"]),
        .library(name: "AirtableSim", targets: ["AirtableSim"]),
        .executable(name: "provisiond", targets: ["provisiond"]),
        .executable(name: "airtable-sim", targets: ["airtable-sim"]),
        .executable(name: "provision-bench", targets: ["provision-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.19.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .target(name: "Provisioning", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "ProvisioningPostgres", dependencies: [
            "Provisioning",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .target(name: "ProvisioningAirtable", dependencies: [
            "Provisioning",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ]),
        .target(name: "ProvisioningSignatures", dependencies: [
            "Provisioning",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "ProvisioningService", dependencies: [
            "Provisioning", "ProvisioningPostgres", "ProvisioningAirtable", "ProvisioningSignatures",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "provisiond", dependencies: [
            "ProvisioningService", "ProvisioningSignatures",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "AirtableSim", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "airtable-sim", dependencies: [
            "AirtableSim",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "provision-bench", dependencies: [
            "ProvisioningPostgres", "ProvisioningService", "ProvisioningAirtable", "ProvisioningSignatures", "AirtableSim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "ProvisioningTestKit", dependencies: ["Provisioning", "ProvisioningPostgres"], path: "Tests/ProvisioningTestKit"),
        .testTarget(name: "ProvisioningTests", dependencies: [
            "Provisioning", "ProvisioningTestKit", .product(name: "Logging", package: "swift-log"),
        ],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ProvisioningPostgresTests", dependencies: ["ProvisioningPostgres", "ProvisioningTestKit"]),
        .testTarget(name: "ProvisioningAirtableTests", dependencies: ["ProvisioningAirtable", "AirtableSim"]),
        .testTarget(name: "ProvisioningServiceTests", dependencies: [
            "ProvisioningService", "AirtableSim", "ProvisioningTestKit",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
