import ArgumentParser
import Foundation
import Logging
import TapCompareCore
import TapCompareLedger
import TapCompareReview

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tapcompare report`: the ledger's discrepancies as a table, JSON, Markdown or one self-contained HTML file.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise the diff ledger: mismatch rate, routes, fields, latency (table, json, markdown or html).",
        discussion: """
        The mismatch rate counts regressions only; noise and races are counted apart. Routes and fields are sorted \
        by impact. The JSON format is documented in docs/report-json.md and carries a schema_version.

        Examples:
          tapcompare report --since 24h
          tapcompare report --ledger postgres://tap:pw@db:5432/tap --format html --output report.html
          tapcompare report --run "$CI_PIPELINE_ID" --format json | jq .overview.mismatch_rate
        """
    )

    @Option(name: .long, help: ArgumentHelp("The ledger: postgres://user:pass@host:5432/db?sslmode=prefer or sqlite:PATH.", valueName: "url"))
    var ledger: String = "sqlite:tapcompare.sqlite"

    @Option(name: .long, help: ArgumentHelp("Only the last DURATION (e.g. 1h, 24h, 7d).", valueName: "duration"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Window start: 2026-11-22T00:00:00Z or 2026-11-22 (UTC).", valueName: "time"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Window end (exclusive), same forms as --from.", valueName: "time"))
    var to: String?

    @Option(name: .long, help: ArgumentHelp("Only this route template, e.g. 'GET /api/v1/comments/{id}'.", valueName: "route"))
    var route: String?

    @Option(name: .long, help: ArgumentHelp("Only this replay run id.", valueName: "id"))
    var run: String?

    @Option(name: .long, help: ArgumentHelp("table, json, markdown or html.", valueName: "format"))
    var format: String = "table"

    @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard ReportFormat(rawValue: self.format) != nil else {
            throw ValidationError("--format '\(self.format)' is not a format; use table, json, markdown or html")
        }
        if self.since != nil && (self.from != nil || self.to != nil) {
            throw ValidationError("give either --since or --from/--to, not both")
        }
        if let since = self.since, (DurationParser.parse(since) ?? .zero) <= .zero {
            throw ValidationError("--since '\(since)' is not a duration; write e.g. 1h, 24h, 7d")
        }
        for (flag, value) in [("--from", self.from), ("--to", self.to)] {
            if let value, LedgerTime.parse(value) == nil {
                throw ValidationError("\(flag) '\(value)' is not a time; write 2026-11-22T00:00:00Z or 2026-11-22 (UTC)")
            }
        }
        if let from = self.from.flatMap(LedgerTime.parse), let to = self.to.flatMap(LedgerTime.parse), to <= from {
            throw ValidationError("--to must be after --from")
        }
    }

    func query(now: Date) -> ReportQuery {
        var query = ReportQuery(route: self.route, runID: self.run)
        if let since = self.since, let duration = DurationParser.parse(since) {
            query.from = now.addingTimeInterval(-duration.milliseconds / 1000)
        }
        query.from = self.from.flatMap(LedgerTime.parse) ?? query.from
        query.to = self.to.flatMap(LedgerTime.parse)
        return query
    }

    /// Writes a regular file atomically (a half-written report never replaces a good one), and anything else
    /// (`/dev/stdout`, a FIFO, a device) in place: an atomic write would rename a new file over the device.
    static func write(_ text: String, to path: String) throws {
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        if let type, type != .typeRegular {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(text.utf8))
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    func run() async throws {
        let url: LedgerURL
        do {
            url = try LedgerURL(parsing: self.ledger)
        } catch {
            throw ValidationError("--ledger: \(error.message)")
        }
        let format = ReportFormat(rawValue: self.format)!
        let query = self.query(now: Date())
        var logger = Logger(label: "tapcompare.report")
        logger.logLevel = .warning
        let toTerminal = self.output == nil && isatty(STDOUT_FILENO) == 1
        let color = ColorPolicy.useColor(isTerminal: toTerminal, environment: ProcessInfo.processInfo.environment)
        let text: String
        do {
            text = try await LedgerReaders.withReader(url: url, logger: logger) { database in
                let source = LedgerReportSource(reader: database, ledgerDescription: url.description)
                let report = try await source.report(query)
                return try await format.render(report, source: source, color: color)
            }
        } catch let error as ReviewError {
            printError(error.message)
            throw ExitCode(1)
        }
        if let output = self.output {
            do {
                try Self.write(text, to: output)
            } catch {
                printError("cannot write --output '\(output)': \(error.localizedDescription)")
                throw ExitCode(1)
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
