import Foundation

/// Everything the report command, the HTML report, the web UI and its API read: one protocol, with the SQLite
/// and Postgres ledgers behind it (``LedgerReportSource``).
public protocol ReportSource: Sendable {
    /// The ledger's URL with the password hidden, printed in reports.
    var ledgerDescription: String { get }

    /// The whole report: overview, timeline, routes with their latency, fields with examples and suggestions.
    func report(_ query: ReportQuery) async throws -> Report

    /// The report without the per-field lists (`fields` left empty); latency percentiles only when asked for,
    /// since they are the most expensive part. What `/api/v1/overview` and `/api/v1/routes` answer from.
    func summary(_ query: ReportQuery, includeLatency: Bool) async throws -> Report

    /// The window's problems (``ProblemSignature``: regressions grouped by route, kind, field and value shape)
    /// with their statuses, without the rest of the report: `/api/v1/problems`, the UI's default view.
    func problems(_ query: ReportQuery) async throws -> ProblemList

    /// Store checks per write route: the write matrix of stores × outcome (`/api/v1/stores`), without fields.
    func storeChecks(_ query: ReportQuery) async throws -> [StoreCheckRoute]

    /// One route's fields by impact, with examples and suggestions.
    func fields(route: String, query: ReportQuery) async throws -> [FieldReport]

    /// The most recent occurrences of one field (newest first), at most `limit`.
    func examples(route: String, field: String, kind: String?, query: ReportQuery, limit: Int) async throws -> [FieldExample]

    /// One comparison with its samples and discrepancies, or `nil` when there is none with that id.
    /// - Throws: ``ReviewError`` `invalidArgument` when `id` is not a UUID.
    func comparison(id: String) async throws -> ComparisonDetail?

    /// Every annotation, newest first.
    func annotations() async throws -> [Annotation]

    /// Stores a reviewer's verdict and returns it with its id and, for noise, the YAML rule to add.
    /// - Throws: ``ReviewError`` `invalidArgument` naming the bad key.
    func annotate(_ annotation: NewAnnotation) async throws -> Annotation

    /// Stores a reviewer's status for a problem (`open`, `accepted`, `fixed`) and returns the stored row.
    /// - Throws: ``ReviewError`` `invalidArgument` naming the bad key, or when the ledger predates schema version 6.
    func setProblemStatus(_ new: NewProblemStatus) async throws -> ProblemStatusRecord
}
