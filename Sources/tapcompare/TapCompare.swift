import ArgumentParser

/// The `tapcompare` command line: a thin shell over the libraries.
@main
struct TapCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapcompare",
        abstract: "A tap-compare shadow-traffic proxy: forwards to legacy, mirrors a sample to the candidate, records every discrepancy.",
        subcommands: [DiffCommand.self, RulesCommand.self, LedgerCommand.self, ReportCommand.self, UICommand.self]
    )
}
