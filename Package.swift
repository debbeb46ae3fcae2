// swift-tools-version:6.1
import PackageDescription

/// Every target is compiled in Swift 6 language mode with strict concurrency; CI builds with
/// `-warnings-as-errors` (see `scripts/test.sh`) so the tree stays warning-free.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tapcompare",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tapcompare", targets: ["tapcompare"]),
        // Libraries exported for the fuzzing package in `fuzz/` (built only with `-sanitize=fuzzer`).
        .library(name: "TapCompareCore", targets: ["TapCompareCore"]),
        .library(name: "TapCompareJSON", targets: ["TapCompareJSON"]),
        .library(name: "TapCompareRules", targets: ["TapCompareRules"]),
        .library(name: "TapCompareComparison", targets: ["TapCompareComparison"]),
        .library(name: "TapCompareFuzzProperties", targets: ["TapCompareFuzzProperties"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    ],
    targets: [
        // MARK: Shared vocabulary

        /// Value types every layer speaks: exchanges, outcomes, discrepancies, route templates, ids.
        .target(
            name: "TapCompareCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Comparison layers

        /// Our own JSON parser and value tree (keeps number text, tells `1` from `true`), JSON Pointer, JSONPath subset.
        .target(name: "TapCompareJSON", swiftSettings: swiftSettings),
        /// gRPC without the transport: length-prefixed message framing, our own protobuf wire decoder, descriptor
        /// sets, messages as JSON values (proto3 JSON mapping, or by field number without a descriptor), and the
        /// `grpc.*` configuration with the method policy. No swift-protobuf: it has no dynamic messages.
        .target(name: "TapCompareGRPC", dependencies: ["TapCompareCore", "TapCompareJSON"], swiftSettings: swiftSettings),
        /// `diff-rules/` loading, validation and the compiled rule set.
        .target(
            name: "TapCompareRules",
            dependencies: [
                "TapCompareCore", "TapCompareJSON",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The diff engine: normalizes both responses with the rules and lists every discrepancy.
        .target(
            name: "TapCompareComparison",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareGRPC",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Storage

        /// The diff ledger: PostgreSQL or embedded SQLite behind one protocol, batch writer, disk spool, redaction, and
        /// the read API (`LedgerReader`, with its own connections) that owns every statement reading the ledger.
        .target(
            name: "TapCompareLedger",
            dependencies: [
                "TapCompareCore", "TapCompareJSON",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            exclude: ["Schema/SCHEMA.md"],
            swiftSettings: swiftSettings
        ),

        // MARK: Sister stores

        /// Read-only clients for the stores a write lands in beside the HTTP answer: Redis (RESP2/RESP3, keys and
        /// streams) and memcached (text protocol). No Redis or memcached client is among the packages we can
        /// depend on, so these are ours: pipelined SwiftNIO channel handlers whose command types can only read.
        .target(
            name: "TapCompareStoreClients",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),

        /// Store checks: after a mirrored write, read each store it landed in on both sides (PostgreSQL, SQLite,
        /// Redis keys and streams, memcached), compare with the diff engine and record one comparison per store.
        .target(
            name: "TapCompareStoreChecks",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareComparison", "TapCompareLedger", "TapCompareStoreClients",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Data plane

        /// What is mirrored and within which bounds: the sampling decision and route policies, the in-flight limiter,
        /// upstream URLs and TLS files, and the probe that re-reads an upstream for classification. The candidate
        /// call itself runs on the proxy's event loops (TapCompareProxy, `Mirroring/CandidateCall.swift`).
        .target(
            name: "TapCompareMirroring",
            dependencies: [
                "TapCompareCore",
                "TapCompareGRPC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The reverse proxy: accepts clients, streams every request to legacy and back, hands exchanges off.
        .target(
            name: "TapCompareProxy",
            dependencies: [
                "TapCompareCore", "TapCompareMirroring", "TapCompareGRPC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Review, capture, application

        /// Reports (table, JSON, Markdown, HTML) and the live web UI over the ledger. No SQL and no database
        /// connection here: every read goes through TapCompareLedger's `LedgerReader`.
        .target(
            name: "TapCompareReview",
            dependencies: [
                "TapCompareCore", "TapCompareLedger", "TapCompareJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The web UI and the report's stylesheet as real files, compiled into the binary (`PackageResources`):
            // editors and linters see JavaScript, CSS and HTML, and the binary still serves everything itself.
            resources: [
                .embedInCode("Assets/report.css"),
                .embedInCode("Assets/ui.css"),
                .embedInCode("Assets/ui-shell.html"),
                .embedInCode("Assets/ui-core.js"),
                .embedInCode("Assets/ui-formatting.js"),
                .embedInCode("Assets/ui-charts.js"),
                .embedInCode("Assets/ui-json-body.js"),
                .embedInCode("Assets/ui-stores.js"),
                .embedInCode("Assets/ui-views.js"),
                .embedInCode("Assets/ui-cutover.js"),
                .embedInCode("Assets/ui-problems.js"),
                .embedInCode("Assets/ui-start.js"),
            ],
            swiftSettings: swiftSettings
        ),
        /// Capture files (JSON Lines), HAR import/export and CI replay.
        .target(
            name: "TapCompareCapture",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareComparison", "TapCompareLedger", "TapCompareRules",
                "TapCompareMirroring", "TapCompareGRPC", "TapCompareProxy",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // `replay --resign-jwt`: HS256 (Crypto) and RS256 (_CryptoExtras' RSA, PKCS #1 v1.5 as JWT's RS256 is).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        /// glibc's `malloc_trim` and `mallinfo2` (not in Swift's Glibc module), for ``MemoryReleaseService``.
        .target(name: "CTapCompareMalloc"),
        /// Configuration, the comparison pipeline, the admin listener and service wiring for `serve`.
        .target(
            name: "TapCompareApp",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareComparison",
                "TapCompareLedger", "TapCompareMirroring", "TapCompareProxy", "TapCompareReview",
                "TapCompareCapture", "TapCompareStoreChecks", "TapCompareGRPC", "CTapCompareMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The demo services' comment stores (embedded SQLite files the demo's store checks read).
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            // `tapcompare demo` runs from any directory: its fixture (gzip-compressed) and example rules are built
            // into the binary. Copies of fixtures/comments.capture.jsonl and diff-rules/comments.yml, kept equal by
            // DemoBuiltInTests.
            resources: [
                .embedInCode("Demo/BuiltIn/comments.capture.jsonl.gz"),
                .embedInCode("Demo/BuiltIn/comments.yml"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The thin command-line shell: parses arguments, calls into the libraries.
        .executableTarget(
            name: "tapcompare",
            // Exactly what its files import.
            dependencies: [
                "TapCompareApp", "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareComparison",
                "TapCompareLedger", "TapCompareMirroring", "TapCompareReview", "TapCompareCapture", "TapCompareStoreChecks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // `replay --loop` ends on SIGINT/SIGTERM with its summary.
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks

        /// `swift run -c release tapcompare-bench <name>`: the benchmarks the scripts in `bench/` drive.
        .executableTarget(
            name: "tapcompare-bench",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareComparison", "TapCompareLedger",
                "TapCompareCapture", "TapCompareReview", "TapCompareProxy", "TapCompareMirroring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/Sources/tapcompare-bench",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        /// In-process upstream servers with scripted misbehaviour, a recording exchange sink, helpers.
        .target(
            name: "TapCompareTestSupport",
            dependencies: [
                "TapCompareCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TapCompareTestSupport",
            swiftSettings: swiftSettings
        ),
        /// What the libFuzzer targets in `fuzz/` check, shared with the tests that replay `fuzz/regressions/`.
        .target(
            name: "TapCompareFuzzProperties",
            dependencies: [
                "TapCompareCore", "TapCompareJSON", "TapCompareRules", "TapCompareComparison", "TapCompareGRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TapCompareFuzzProperties",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TapCompareCoreTests", dependencies: ["TapCompareCore", "TapCompareTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TapCompareJSONTests", dependencies: ["TapCompareJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TapCompareGRPCTests",
            dependencies: ["TapCompareGRPC", "TapCompareJSON", "TapCompareTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareRulesTests",
            dependencies: ["TapCompareRules", "TapCompareTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareComparisonTests",
            dependencies: [
                "TapCompareComparison", "TapCompareRules", "TapCompareJSON", "TapCompareCore", "TapCompareFuzzProperties",
                "TapCompareTestSupport", "TapCompareGRPC",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareLedgerTests",
            dependencies: ["TapCompareLedger", "TapCompareCore", "TapCompareJSON", "TapCompareTestSupport", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareStoreClientsTests",
            dependencies: ["TapCompareStoreClients", "TapCompareTestSupport", .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareStoreChecksTests",
            dependencies: [
                "TapCompareStoreChecks", "TapCompareLedger", "TapCompareJSON", "TapCompareComparison", "TapCompareCore",
                "TapCompareTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareMirroringTests",
            dependencies: ["TapCompareMirroring", "TapCompareCore", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareProxyTests",
            dependencies: [
                "TapCompareProxy", "TapCompareMirroring", "TapCompareCore", "TapCompareGRPC", "TapCompareTestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareReviewTests",
            dependencies: ["TapCompareReview", "TapCompareLedger", "TapCompareTestSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareAppTests",
            dependencies: [
                "TapCompareApp", "TapCompareStoreChecks", "TapCompareTestSupport", "TapCompareGRPC",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapCompareCaptureTests",
            dependencies: [
                "TapCompareCapture", "TapCompareApp", "TapCompareCore", "TapCompareJSON", "TapCompareReview", "TapCompareStoreChecks",
                "TapCompareTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The `tapcompare` binary run as a user or a CI job runs it: exit statuses and messages. The binary is not a
        /// dependency (its `main` is not linked into a test bundle); `swift build --build-tests` builds it next to the
        /// test bundle, where the tests look for it.
        .testTarget(
            name: "TapCompareCommandLineTests",
            dependencies: [
                "TapCompareApp", "TapCompareCapture", "TapCompareCore", "TapCompareLedger", "TapCompareTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
