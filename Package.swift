// swift-tools-version:6.0
import PackageDescription

// One setting for every Petrel target: Swift 6 language mode (strict concurrency) plus explicit existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Petrel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "petrel", targets: ["petrel"]),
        .executable(name: "petrel-controller", targets: ["petrel-controller"]),
        .executable(name: "petrel-apiserver", targets: ["petrel-apiserver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // Layer 0
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // An OpenSSL TLS stream for libgit2, so HTTPS remotes can take a client certificate (tls.crt/tls.key).
        .target(name: "CPetrelTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "KubeCore", swiftSettings: swiftSettings),
        // Bounds checked on a YAML stream before Yams composes it (libyaml events: the copy inside Yams).
        .target(name: "YAMLGuard", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: swiftSettings),

        // Layer 1
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "GitSource",
            dependencies: [
                "CLibGit2", "CZlib", "CPetrelTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "Kustomize",
            dependencies: ["KubeCore", "YAMLGuard", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        .target(name: "PetrelAPI", dependencies: ["KubeCore"], swiftSettings: swiftSettings),
        .target(
            name: "LocalAPIServer",
            dependencies: [
                "KubeCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Layer 2
        .target(
            name: "ControllerRuntime",
            dependencies: [
                "KubeCore", "KubeClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // Layer 3
        .target(
            name: "PetrelControllers",
            dependencies: [
                "KubeCore", "KubeClient", "GitSource", "Kustomize", "PetrelAPI", "ControllerRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Layer 4
        .target(
            name: "PetrelManager",
            dependencies: [
                "PetrelControllers", "PetrelAPI", "ControllerRuntime", "KubeClient", "GitSource",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "PetrelTesting",
            dependencies: [
                "LocalAPIServer", "KubeClient", "GitSource", "KubeCore", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // Layer 5
        .target(
            name: "PetrelCLI",
            dependencies: [
                "PetrelAPI", "KubeClient", "KubeCore", "Kustomize", "PetrelControllers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Layer 6: executables, `@main` only
        .executableTarget(name: "petrel", dependencies: ["PetrelCLI"], swiftSettings: swiftSettings),
        .executableTarget(name: "petrel-controller", dependencies: ["PetrelManager"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "petrel-apiserver",
            dependencies: [
                "LocalAPIServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Benchmark of the GitRepository controller: built and run by scripts/bench.sh (release), never by make test.
        .executableTarget(
            name: "petrel-gitrepository-bench",
            dependencies: [
                "PetrelControllers", "PetrelManager", "PetrelTesting", "ControllerRuntime", "KubeClient", "KubeCore",
                "LocalAPIServer", "PetrelAPI", "GitSource", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/GitRepositoryBench",
            swiftSettings: swiftSettings),

        // Tests mirror the targets
        .testTarget(name: "KubeCoreTests", dependencies: ["KubeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ControllerRuntimeTests",
            dependencies: [
                "ControllerRuntime", "KubeCore", "KubeClient", "LocalAPIServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PetrelAPITests",
            dependencies: ["PetrelAPI", "KubeCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KustomizeTests", dependencies: ["Kustomize", "KubeCore"], exclude: ["Fixtures", "Refusals"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PetrelCLITests",
            dependencies: [
                "petrel", "LocalAPIServer", "KubeClient", "KubeCore", "PetrelTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LocalAPIServerTests",
            dependencies: [
                "LocalAPIServer", "KubeCore", "KubeClient", "petrel-apiserver",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KubeClientTests", dependencies: ["KubeClient", "KubeCore"], exclude: ["Resources"],
            swiftSettings: swiftSettings),
        .testTarget(name: "GitSourceTests", dependencies: ["GitSource", "PetrelTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PetrelControllersTests",
            dependencies: [
                "PetrelControllers", "PetrelTesting", "ControllerRuntime", "PetrelAPI", "GitSource", "Kustomize",
                "KubeClient", "KubeCore", "LocalAPIServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PetrelManagerTests",
            dependencies: [
                "PetrelManager", "PetrelControllers", "PetrelTesting", "ControllerRuntime", "KubeClient", "KubeCore",
                "LocalAPIServer", "PetrelAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // Faults injected into the real binaries (petrel-apiserver, petrel-controller) through PetrelTesting's
        // FaultProxy; `make test` runs the short form, `make chaos` the long one.
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "PetrelTesting", "PetrelControllers", "ControllerRuntime", "KubeClient", "KubeCore", "LocalAPIServer",
                "GitSource", "petrel-controller", "petrel-apiserver",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ChartTests",
            dependencies: ["LocalAPIServer", "KubeCore", "PetrelTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
    ]
)

// Development aid: `PETREL_TARGETS=KubeCore,Kustomize,KustomizeTests swift test` builds only the named targets
// (list every target needed, dependencies included), so work on a pure module does not compile the HTTP stacks.
// `make test` and CI never set it.
if let only = Context.environment["PETREL_TARGETS"], !only.isEmpty {
    let keep = Set(only.split(separator: ",").map { String($0.filter { $0 != " " }) })
    package.targets.removeAll { !keep.contains($0.name) }
    package.products.removeAll()
}
