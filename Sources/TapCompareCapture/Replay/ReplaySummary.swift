import TapCompareCore

/// The result of a replay, aggregated per route and per field: pure and deterministic.
///
/// Results arrive in completion order, which varies from run to run; everything kept here is independent of it
/// (counts, and for each field the example with the lowest capture index), so the same capture against the same
/// candidate gives the same report.
public struct ReplaySummary: Sendable {
    /// One field that differs on a route, e.g. `$.comments[*].score` / `type_changed`.
    public struct FieldKey: Sendable, Hashable, Comparable {
        public var field: String
        public var kind: DiscrepancyKind

        public static func < (a: FieldKey, b: FieldKey) -> Bool {
            a.field != b.field ? a.field < b.field : a.kind.rawValue < b.kind.rawValue
        }
    }

    /// One concrete occurrence, to show the reader what the difference looks like.
    public struct Example: Sendable, Hashable {
        public var captureIndex: Int
        public var requestID: String
        public var method: String
        public var uri: String
        public var path: String
        public var legacyValue: String?
        public var candidateValue: String?
    }

    public struct FieldStats: Sendable, Hashable {
        /// Exchanges in which the field differs (counted once per exchange).
        public var exchanges: Int
        /// Discrepancies in all (a field under `[*]` can differ many times in one exchange).
        public var occurrences: Int
        public var example: Example
        public var classification: Classification
    }

    public struct RouteStats: Sendable {
        public var route: String
        /// Exchanges of this route in the capture.
        public var total = 0
        public var matched = 0
        /// Exchanges with at least one regression.
        public var mismatched = 0
        /// Exchanges whose discrepancies are all classified noise or race: not counted against the candidate.
        public var noiseOnly = 0
        public var candidateErrors = 0
        public var candidateTimeouts = 0
        public var skipped: [String: Int] = [:]
        public var fields: [FieldKey: FieldStats] = [:]
        /// First error or timeout reason, with the lowest capture index.
        public var firstError: (index: Int, requestID: String, uri: String, reason: String)?

        /// Exchanges replayed and judged.
        public var judged: Int { self.matched + self.mismatched + self.noiseOnly + self.candidateErrors + self.candidateTimeouts }
        /// Exchanges that count against the candidate.
        public var failing: Int { self.mismatched + self.candidateErrors + self.candidateTimeouts }
        public var skippedTotal: Int { self.skipped.values.reduce(0, +) }

        /// Fields by exchanges affected (most first), then by name.
        public var sortedFields: [(FieldKey, FieldStats)] {
            self.fields.sorted { a, b in
                a.value.exchanges != b.value.exchanges ? a.value.exchanges > b.value.exchanges : a.key < b.key
            }
        }
    }

    public private(set) var routes: [String: RouteStats] = [:]
    /// Candidate failures that were connection-level (nothing answered at all).
    public private(set) var responsesReceived = 0
    /// Latencies, rate and schedule lag: the replay as load. Bounded memory however long it runs.
    public var load = ReplayLoad()
    /// What `--shift-time` and `--resign-jwt` changed, and the values they found but left as captured.
    public var rewrites = ReplayRequestRewrite.Counts()
    /// Capture files whose last line a write that failed cut short: skipped, not replayed, and said in the terminal
    /// summary and the Markdown report.
    public var truncatedCaptureEnds: [CaptureTruncatedEnd] = []

    public init() {}

    /// Counts an exchange that was not sent, with its reason.
    public mutating func addSkipped(route: String, reason: String) {
        self.routes[route, default: RouteStats(route: route)].total += 1
        self.routes[route, default: RouteStats(route: route)].skipped[reason, default: 0] += 1
    }

    /// Adds the comparison of the exchange at `captureIndex`.
    /// - Parameters:
    ///   - scheduleLag: how late the request started against its due time; added to its service times for the
    ///     corrected latencies (see ``ReplayLoad``).
    ///   - liveLegacy: whether legacy's latency was measured now (`--legacy`), not read from the capture.
    public mutating func add(_ record: ComparisonRecord, captureIndex: Int, uri: String, scheduleLag: Duration = .zero, liveLegacy: Bool = false) {
        var stats = self.routes[record.route] ?? RouteStats(route: record.route)
        stats.total += 1
        // Legacy's latencies of the exchanges replayed only, so the two sides describe the same requests.
        if let latency = record.legacyLatency, record.outcome != .skipped {
            self.load.legacyService.record(latency)
            if liveLegacy { self.load.legacyCorrected.record(latency + scheduleLag) }
        }
        if record.candidateStatus != nil {
            self.responsesReceived += 1
            if let latency = record.candidateLatency {
                self.load.candidateService.record(latency)
                self.load.candidateCorrected.record(latency + scheduleLag)
            }
        }
        func noteError(_ reason: String) {
            if stats.firstError == nil || captureIndex < stats.firstError!.index {
                stats.firstError = (captureIndex, record.requestID, uri, reason)
            }
        }
        switch record.outcome {
        case .match:
            stats.matched += 1
        case .mismatch:
            let regressions = record.discrepancies.filter { $0.classification == .regression }
            if regressions.isEmpty { stats.noiseOnly += 1 } else { stats.mismatched += 1 }
            var seen = Set<FieldKey>()
            for d in record.discrepancies {
                let key = FieldKey(field: d.field, kind: d.kind)
                let example = Example(
                    captureIndex: captureIndex, requestID: record.requestID, method: record.method, uri: uri,
                    path: d.path, legacyValue: d.legacyValue, candidateValue: d.candidateValue
                )
                if var f = stats.fields[key] {
                    f.occurrences += 1
                    if seen.insert(key).inserted { f.exchanges += 1 }
                    if captureIndex < f.example.captureIndex
                        || (captureIndex == f.example.captureIndex && d.path < f.example.path) {
                        f.example = example
                    }
                    if d.classification == .regression { f.classification = .regression }
                    stats.fields[key] = f
                } else {
                    seen.insert(key)
                    stats.fields[key] = FieldStats(exchanges: 1, occurrences: 1, example: example, classification: d.classification)
                }
            }
        case .candidateError:
            stats.candidateErrors += 1
            noteError(record.reason ?? "candidate error")
        case .candidateTimeout:
            stats.candidateTimeouts += 1
            noteError(record.reason ?? "timed out")
        case .skipped:
            // The bucket is the reason's code (`legacy_error`), not its detail (`legacy_error: connection refused`).
            let code = (record.reason ?? "unknown").split(separator: ":", maxSplits: 1).first.map(String.init) ?? "unknown"
            stats.skipped[code, default: 0] += 1
        }
        self.routes[record.route] = stats
    }

    /// Routes in name order.
    public var sortedRoutes: [RouteStats] { self.routes.values.sorted { $0.route < $1.route } }

    public var total: Int { self.routes.values.reduce(0) { $0 + $1.total } }
    public var judged: Int { self.routes.values.reduce(0) { $0 + $1.judged } }
    public var matched: Int { self.routes.values.reduce(0) { $0 + $1.matched } }
    public var mismatched: Int { self.routes.values.reduce(0) { $0 + $1.mismatched } }
    public var noiseOnly: Int { self.routes.values.reduce(0) { $0 + $1.noiseOnly } }
    public var candidateErrors: Int { self.routes.values.reduce(0) { $0 + $1.candidateErrors } }
    public var candidateTimeouts: Int { self.routes.values.reduce(0) { $0 + $1.candidateTimeouts } }
    public var failing: Int { self.routes.values.reduce(0) { $0 + $1.failing } }
    public var skipped: [String: Int] {
        self.routes.values.reduce(into: [:]) { acc, r in for (k, v) in r.skipped { acc[k, default: 0] += v } }
    }

    /// Failing exchanges over judged ones; 0 when nothing was judged.
    public var mismatchRate: Double { self.judged == 0 ? 0 : Double(self.failing) / Double(self.judged) }

    /// p50 and p99 of the recorded (or live) legacy and of the candidate service times, in milliseconds, over
    /// all routes (from ``load``'s histograms: within 1% of the exact values).
    public var latencyPercentiles: (legacyP50: Double?, legacyP99: Double?, candidateP50: Double?, candidateP99: Double?) {
        let l = self.load.legacyService.standardPercentiles
        let c = self.load.candidateService.standardPercentiles
        return (l?.p50, l?.p99, c?.p50, c?.p99)
    }
}
