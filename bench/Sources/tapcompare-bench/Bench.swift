import ArgumentParser

/// Benchmarks kept outside the test suite (performance is never asserted by wall-clock tests).
/// Run a release build: `swift run -c release tapcompare-bench <subcommand>`; the scripts in `bench/` do.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapcompare-bench",
        abstract: "TapCompare's benchmarks.",
        subcommands: [
            DiffBench.self,
            LedgerBench.self,
            ProxyBench.self,
            ReplayBench.self,
            ReportGenerate.self,
            ReportDemo.self,
        ]
    )
}
