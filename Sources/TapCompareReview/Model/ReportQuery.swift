import TapCompareLedger

/// What a report covers: a time window, optionally one route or one replay run, optionally one classification.
/// The ledger's reader owns the type (it turns it into SQL conditions); the review names it for what it selects.
public typealias ReportQuery = LedgerQuery
