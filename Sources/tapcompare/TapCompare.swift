import ArgumentParser
import Foundation
import TapCompareApp
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
            VerdictCommand.self,
            UICommand.self,
            ReplayCommand.self,
            CaptureCommand.self,
            DiffCommand.self,
            RulesCommand.self,
            LedgerCommand.self,
        ]
    )

    /// ArgumentParser's own `main`, except that a flag mistake in `verdict` (an unknown or malformed option) exits
    /// 2 instead of 64: `verdict`'s statuses 1 and 3 drive deploy pipelines, which must tell bad input apart by
    /// one documented code.
    static func main() async {
        // Before anything starts NIO's event loops: one per core this process may run on.
        UsableCores.sizeEventLoopGroup()
        do {
            var command = try Self.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if CommandLine.arguments.dropFirst().first == VerdictCommand.configuration.commandName,
               Self.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((Self.fullMessage(for: error) + "\n").utf8))
                Self.exit(withError: ExitCode(2))
            }
            Self.exit(withError: error)
        }
    }
}
