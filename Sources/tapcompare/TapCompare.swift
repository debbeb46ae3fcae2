import ArgumentParser
import TapCompareCore

/// The `tapcompare` command line: a thin shell over the libraries.
@main
struct TapCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapcompare",
        abstract: "A tap-compare shadow-traffic proxy: forwards to legacy, mirrors a sample to the candidate, records every discrepancy.",
        version: TapCompareVersion.current,
        subcommands: [
            DemoCommand.self,
            ServeCommand.self,
            ReportCommand.self,
            UICommand.self,
            ReplayCommand.self,
            CaptureCommand.self,
            DiffCommand.self,
            RulesCommand.self,
            LedgerCommand.self,
        ]
    )
}
