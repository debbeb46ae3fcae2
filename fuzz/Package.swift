// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for the parsers and the diff engine. Built only by `scripts/fuzz.sh`, with
/// `-sanitize=fuzzer,address` (libFuzzer provides `main`), so the root package's build never sees them.
let package = Package(
    name: "tapcompare-fuzz",
    dependencies: [.package(name: "tapcompare", path: "..")],
    targets: [
        .executableTarget(name: "FuzzJSONParser", dependencies: [.product(name: "TapCompareJSON", package: "tapcompare")]),
        .executableTarget(
            name: "FuzzDiffEngine",
            dependencies: [
                .product(name: "TapCompareJSON", package: "tapcompare"),
                .product(name: "TapCompareCore", package: "tapcompare"),
                .product(name: "TapCompareRules", package: "tapcompare"),
                .product(name: "TapCompareComparison", package: "tapcompare"),
            ]
        ),
        .executableTarget(name: "FuzzRulesLoader", dependencies: [.product(name: "TapCompareRules", package: "tapcompare")]),
    ]
)
