// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for the parsers and the diff engine. Built only by `scripts/fuzz.sh`, with
/// `-sanitize=fuzzer,address` (libFuzzer provides `main`), so the root package's build never sees them.

/// What every target checks lives in the root package, so the regression tests replay the same property.
let properties: Target.Dependency = .product(name: "TapCompareFuzzProperties", package: "tapcompare")

let package = Package(
    name: "tapcompare-fuzz",
    dependencies: [.package(name: "tapcompare", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzJSONParser", dependencies: ["FuzzSupport", properties]),
        .executableTarget(name: "FuzzDiffEngine", dependencies: ["FuzzSupport", properties]),
        .executableTarget(name: "FuzzRulesLoader", dependencies: ["FuzzSupport", properties]),
        .executableTarget(name: "FuzzGRPCMessages", dependencies: ["FuzzSupport", properties]),
    ]
)
