import Foundation
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore

/// Learns noise from the capture itself, so a replay in CI tells legacy's own churn (request ids, clocks) from
/// regressions without a live legacy.
///
/// A capture often holds the same read more than once. Two recorded legacy answers to the same request (method,
/// target and body) captured within ``Configuration/pairWindow`` of each other are a baseline pair: where they
/// differ, legacy changed by itself. Each pair is one baselined observation for ``NoiseModel``, with the same
/// thresholds `serve` uses, and a field found noisy in at least `min_share` of a route's pairs (with at least
/// `min_samples` pairs) is classified `noise` on the replayed comparisons. Pairs further apart are not used: the
/// data may really have changed between them (an edited comment is not noise).
///
/// Learned before anything is sent, from the capture alone, so a run's verdict does not depend on timing.
public struct CaptureNoiseLearner: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The model's thresholds (`--noise-min-share`, `--noise-min-samples`). Defaults as `serve`: 0.5, 20, window 200.
        public var model: NoiseModel.Configuration
        /// The longest time between two captures of one request for them to count as a pair
        /// (`--noise-pair-window`). Default 10 s.
        public var pairWindow: Duration

        public init(model: NoiseModel.Configuration = .init(), pairWindow: Duration = .seconds(10)) {
            self.model = model
            self.pairWindow = pairWindow
        }
    }

    /// What was learned, for the run's summary line.
    public struct Outcome: Sendable {
        public var model: NoiseModel
        /// Baseline pairs found in the capture.
        public var pairs: Int
        /// Per route, the fields classified as noise.
        public var noisyFields: [String: [String]]
    }

    /// Methods whose repeated answers may be compared (a repeated write is not the same request twice).
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    struct RequestKey: Hashable {
        var method: String
        var uri: String
        var body: [UInt8]
    }

    public let configuration: Configuration
    let comparator: any ReplayComparing

    public init(configuration: Configuration, comparator: any ReplayComparing) {
        self.configuration = configuration
        self.comparator = comparator
    }

    /// Finds the pairs among `exchanges` (captured legacy answers), compares each pair with the run's rules and
    /// feeds the differing fields to a new model.
    public func learn(from exchanges: [Exchange]) -> Outcome {
        let model = NoiseModel(configuration: self.configuration.model)
        let window = Double(self.configuration.pairWindow.components.seconds)
            + Double(self.configuration.pairWindow.components.attoseconds) / 1e18
        var previous: [RequestKey: Exchange] = [:]
        var pairs = 0
        for exchange in exchanges.sorted(by: { $0.startedAt < $1.startedAt }) {
            let method = exchange.request.method.rawValue
            guard Self.safeMethods.contains(method), !exchange.request.isBodyTruncated else { continue }
            let key = RequestKey(method: method, uri: exchange.request.uri, body: Array(exchange.request.body.readableBytesView))
            defer { previous[key] = exchange }
            guard let earlier = previous[key], exchange.startedAt.timeIntervalSince(earlier.startedAt) <= window else { continue }
            // Legacy against its own earlier answer, through the same rules as the replay itself.
            var pair = exchange
            pair.candidate = .response(earlier.legacy, latency: earlier.legacyLatency)
            let record = self.comparator.compare(pair)
            guard record.outcome == .match || record.outcome == .mismatch else { continue }
            model.observe(route: record.route, noisyFields: Set(record.discrepancies.map(\.field)))
            pairs += 1
        }
        var noisy: [String: [String]] = [:]
        for estimate in model.estimates() where model.isNoisy(route: estimate.route, field: estimate.field) {
            noisy[estimate.route, default: []].append(estimate.field)
        }
        return Outcome(model: model, pairs: pairs, noisyFields: noisy)
    }
}
