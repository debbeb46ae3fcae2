import ArgumentParser
import Foundation
import Logging
import TapCompareApp
import TapCompareCore
import TapCompareLedger
import TapCompareReview

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tapcompare verdict`: per-route cut-over verdicts over the ledger, with an exit status a deploy pipeline can
/// dial traffic on.
struct VerdictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Say which routes are safe to switch to the candidate (exit 0 ready, 1 not ready, 3 not enough data, 2 bad input).",
        discussion: """
        A route is ready when the one-sided Wilson upper bound of its regression rate (noise and races excluded) \
        is at most cutover.max_regression_rate, it has cutover.min_comparisons compared requests, and the \
        candidate's p99 is at most legacy's × cutover.max_latency_ratio (tapcompare.example.yml documents the keys \
        and defaults); cutover.routes gives a route its own targets, and every format shows the target each route \
        was judged against. Store checks are judged as their own routes (against their write route's targets), \
        listed under their write route; naming a write route with --route includes them.

        Exit status: 0 when every named route (every route without --route) is ready, 1 when one is not ready, 3 \
        when none is not ready but one lacks data (or there is no route at all), 2 on bad input.

        Examples:
          tapcompare verdict --since 24h
          tapcompare verdict --route 'GET /api/v1/comments/{id}' --config tapcompare.yml --format json
        """
    )

    @Option(name: .long, help: ArgumentHelp("The ledger: postgres://user:pass@host:5432/db?sslmode=prefer or sqlite:PATH.", valueName: "url"))
    var ledger: String = "sqlite:tapcompare.sqlite"

    @Option(name: .long, help: ArgumentHelp("Only the last DURATION (e.g. 1h, 24h, 7d). Default: the whole ledger.", valueName: "duration"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("A route to judge (repeat for several), e.g. 'GET /api/v1/comments/{id}'. Default: every route.", valueName: "route"))
    var route: [String] = []

    @Option(name: .long, help: ArgumentHelp("table, json or markdown.", valueName: "format"))
    var format: String = "table"

    @Option(name: .long, help: ArgumentHelp("A configuration file whose cutover: block sets the targets (see tapcompare.example.yml).", valueName: "file"))
    var config: String?

    /// The options checked, or the message naming the flag and the fix. In `run()` rather than `validate()`, so a
    /// mistake exits 2 like every other bad input of this command (ArgumentParser's own validation exits 64).
    func checked() throws(VerdictInputError) -> (LedgerURL, VerdictFormat, CutoverPolicy) {
        guard let format = VerdictFormat(rawValue: self.format) else {
            throw VerdictInputError("--format '\(self.format)' is not a format; use table, json or markdown")
        }
        if let since = self.since, (DurationParser.parse(since) ?? .zero) <= .zero {
            throw VerdictInputError("--since '\(since)' is not a duration; write e.g. 1h, 24h, 7d")
        }
        if let empty = self.route.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw VerdictInputError("--route '\(empty)' is empty; write a route template, e.g. 'GET /api/v1/comments/{id}'")
        }
        let url: LedgerURL
        do {
            url = try LedgerURL(parsing: self.ledger)
        } catch {
            throw VerdictInputError("--ledger: \(error.message)")
        }
        var policy = CutoverPolicy()
        if let file = self.config {
            do throws(ConfigurationError) {
                policy = try ConfigurationLoader.load(file: file).cutover
            } catch {
                throw VerdictInputError(error.description)
            }
        }
        return (url, format, policy)
    }

    func run() async throws {
        let url: LedgerURL, format: VerdictFormat, policy: CutoverPolicy
        do throws(VerdictInputError) {
            (url, format, policy) = try self.checked()
        } catch {
            printError(error.message)
            throw ExitCode(2)
        }
        let now = Date()
        var query = ReportQuery()
        if let since = self.since, let duration = DurationParser.parse(since) {
            query.from = now.addingTimeInterval(-duration.milliseconds / 1000)
        }
        var logger = Logger(label: "tapcompare.verdict")
        logger.logLevel = .warning
        let window = query
        let routes = self.route
        let color = ColorPolicy.useColor(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        let verdicts: VerdictReport
        do {
            verdicts = try await LedgerReaders.withReader(url: url, logger: logger) { database in
                let source = LedgerReportSource(reader: database, ledgerDescription: url.description)
                return VerdictAssembler.assemble(try await source.report(window), policy: policy, routes: routes, now: now)
            }
        } catch let error as ReviewError {
            // The ledger could not be read: no verdict, and not a "not ready" a pipeline would act on.
            printError(error.message)
            throw ExitCode(2)
        }
        FileHandle.standardOutput.write(Data(try format.render(verdicts, color: color).utf8))
        if verdicts.exitCode != 0 { throw ExitCode(verdicts.exitCode) }
    }
}

/// A mistake in `verdict`'s flags or configuration file: the message names the flag (or file and key) and the fix.
struct VerdictInputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
