import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// Compares the legacy and candidate responses of one exchange under a rule set and lists every discrepancy.
///
/// A value type with no I/O: the same comparator can be used from any number of tasks at once. The only
/// shared state is ``ruleApplications`` (counts of rules that fired), which is thread-safe.
///
/// What is compared, in order:
/// 1. the status (always; `status_equivalent` groups count as one code);
/// 2. the headers named by `compare_headers` (default `content-type`, compared as media types: see ``MediaType``);
/// 3. for gRPC (`application/grpc`, `application/grpc+proto`): `grpc-status`, `grpc-message` and the configured
///    trailers, then the messages field by field (`Comparator+GRPC.swift`);
/// 4. otherwise the body, after undoing `Content-Encoding`: identical bytes are equal without parsing; JSON
///    (`application/json`, `*+json`, or an untyped body starting with `{` or `[`) field by field; `text/*` line by
///    line; forms key by key; anything else by length and SHA-256.
public struct Comparator: Sendable {
    public let ruleSet: RuleSet
    public let configuration: Configuration
    /// How often each rule of ``ruleSet`` applied.
    public let ruleApplications: RuleApplicationCounters

    public init(ruleSet: RuleSet = .empty, configuration: Configuration = .init()) {
        self.ruleSet = ruleSet
        self.configuration = configuration
        self.ruleApplications = RuleApplicationCounters(rules: ruleSet.rules)
    }

    /// The result of comparing two responses.
    public struct Result: Sendable {
        public var discrepancies: [Discrepancy]
        /// Set when the responses could not be compared (e.g. a body inflates past the limit): the exchange is
        /// recorded as skipped with this reason, and ``discrepancies`` is empty.
        public var skipReason: String?
    }

    /// Compares one exchange and builds the record the ledger keeps.
    public func compare(_ exchange: Exchange) -> ComparisonRecord {
        var record = ComparisonRecord(exchange: exchange, outcome: .match)
        record.request = exchange.request
        record.legacyBody = exchange.legacy.body
        record.legacyContentEncoding = exchange.legacy.headers["content-encoding"]
        switch exchange.candidate {
        case .failed(let reason, let latency):
            record.outcome = .candidateError
            record.reason = reason
            record.candidateLatency = latency
        case .timedOut(let after):
            record.outcome = .candidateTimeout
            record.reason = "no answer within \(after)"
            record.candidateLatency = after
        case .skipped(let reason):
            record.outcome = .skipped
            record.reason = reason.rawValue
        case .response(let candidate, let latency):
            record.candidateStatus = Int(candidate.status.code)
            record.candidateLatency = latency
            record.candidateBody = candidate.body
            record.candidateContentEncoding = candidate.headers["content-encoding"]
            record.candidateVersion = self.configuration.versionHeader.flatMap { CandidateVersion(header: $0, in: candidate.headers) }
            let rules = self.ruleSet.routeRules(
                route: exchange.route, method: exchange.request.method.rawValue, path: exchange.request.path
            )
            let result = self.compare(legacy: exchange.legacy, candidate: candidate, rules: rules, grpcMethod: exchange.request.path)
            if let skip = result.skipReason {
                record.outcome = .skipped
                record.reason = skip
            } else {
                record.discrepancies = result.discrepancies
                record.outcome = result.discrepancies.isEmpty ? .match : .mismatch
            }
        }
        record.grpc = self.grpcRecord(exchange, outcome: record.outcome)
        return record
    }

    /// Compares two responses under the rules for one route.
    /// - Parameter grpcMethod: For a gRPC call, the request path (`/package.Service/Method`) whose output type in
    ///   the descriptor set decodes the messages; `nil` decodes them by field number.
    public func compare(legacy: ResponseSnapshot, candidate: ResponseSnapshot, rules: RouteRules, grpcMethod: Substring? = nil) -> Result {
        if legacy.isBodyTruncated || candidate.isBodyTruncated {
            return Result(discrepancies: [], skipReason: SkipReason.responseTooLarge.rawValue)
        }
        var applications: [Int: Int] = [:]
        defer { self.ruleApplications.add(applications) }
        var discrepancies: [Discrepancy] = []

        // Status.
        let ls = Int(legacy.status.code)
        let cs = Int(candidate.status.code)
        if ls != cs {
            if let group = rules.statusGroups.first(where: { $0.codes.contains(ls) && $0.codes.contains(cs) }) {
                applications[group.rule, default: 0] += 1
            } else {
                discrepancies.append(Discrepancy(path: "", field: "status", kind: .status, legacyValue: String(ls), candidateValue: String(cs)))
            }
        }

        // Headers.
        for name in rules.compareHeaders {
            // The same bytes are the same value in any normal form: the usual case costs no parsing.
            if Self.sameFieldValues(legacy.headers, candidate.headers, name) { continue }
            if Self.headerValue(legacy.headers, name, normalized: true) != Self.headerValue(candidate.headers, name, normalized: true) {
                // Compared in normal form, reported as sent.
                let a = Self.headerValue(legacy.headers, name, normalized: false)
                let b = Self.headerValue(candidate.headers, name, normalized: false)
                discrepancies.append(
                    Discrepancy(path: "", field: "header:\(name)", kind: .header, legacyValue: a.map(JSONValue.quoted), candidateValue: b.map(JSONValue.quoted))
                )
            }
        }

        // Body (for gRPC: trailers and messages).
        let body = Self.isGRPC(legacy, candidate)
            ? self.compareGRPC(legacy: legacy, candidate: candidate, method: grpcMethod, rules: rules, applications: &applications)
            : self.compareBodies(legacy: legacy, candidate: candidate, rules: rules, applications: &applications)
        switch body {
        case .success(let bodyDiscrepancies): discrepancies += bodyDiscrepancies
        case .failure(let skip): return Result(discrepancies: [], skipReason: skip.reason)
        }
        return Result(discrepancies: discrepancies, skipReason: nil)
    }

    struct Skip: Error { var reason: String }

    func compareBodies(
        legacy: ResponseSnapshot, candidate: ResponseSnapshot, rules: RouteRules, applications: inout [Int: Int]
    ) -> Swift.Result<[Discrepancy], Skip> {
        let legacyEncoding = Self.contentCodings(legacy.headers)
        let candidateEncoding = Self.contentCodings(candidate.headers)
        // Identical bytes (with the same encoding) are equal: no decoding, no parsing.
        if legacyEncoding == candidateEncoding && legacy.body == candidate.body { return .success([]) }

        var a = legacy.body
        var b = candidate.body
        // Most answers come unencoded and were compared just above: decoded only when a side has a coding.
        if !legacyEncoding.isEmpty || !candidateEncoding.isEmpty {
            let decoder = BodyDecoder(maxDecodedBytes: self.configuration.decoding.maxDecodedBytes, maxRatio: self.configuration.decoding.maxRatio)
            for (side, encoding) in [(0, legacyEncoding), (1, candidateEncoding)] where !encoding.isEmpty {
                switch decoder.decode(side == 0 ? a : b, contentEncoding: encoding) {
                case .decoded(let decoded), .undecodable(let decoded, _): if side == 0 { a = decoded } else { b = decoded }
                case .tooLarge(let reason): return .failure(Skip(reason: "\(SkipReason.responseTooLarge.rawValue): \(reason)"))
                }
            }
            if a == b { return .success([]) }
        }

        // Legacy's type decides; candidate's is read only when legacy sent none.
        let type = legacy.headers.first(name: "content-type").flatMap(MediaType.init)
            ?? candidate.headers.first(name: "content-type").flatMap(MediaType.init)
        if type?.isJSON == true || (type == nil && (Self.looksLikeJSON(a) || Self.looksLikeJSON(b))) {
            return .success(self.compareJSON(a, b, rules: rules, applications: &applications))
        }
        let x = Array(a.readableBytesView)
        let y = Array(b.readableBytesView)
        if type?.isForm == true { return .success(BodyComparison.form(x, y)) }
        if type?.isText == true { return .success(BodyComparison.text(x, y, maxLines: self.configuration.maxTextLineDiscrepancies)) }
        return .success(BodyComparison.binary(x, y))
    }

    /// The `Content-Encoding` codings of a response, as listed; none (without a lookup) when it has no such header.
    static func contentCodings(_ headers: HTTPHeaders) -> [String] {
        headers.contains(name: "content-encoding") ? headers[canonicalForm: "content-encoding"].map(String.init) : []
    }

    /// Compares two JSON bodies; a side that does not parse makes one `body_unparseable` discrepancy, and two
    /// sides that both fail are compared as text.
    func compareJSON(_ a: ByteBuffer, _ b: ByteBuffer, rules: RouteRules, applications: inout [Int: Int]) -> [Discrepancy] {
        let options = self.configuration.parser
        // With no rule for the body, the diff reads nothing but the parts that differ: walked side by side, equal
        // parts are not even built (see `JSONParser.parseForDiff`). Rules may count or read equal values, and a
        // body that does not parse needs the parse error: both take the parse below.
        if rules.matcher.initial.isEmpty && rules.lexicalNumbersRule == nil,
            let pair = a.withUnsafeReadableBytes({ legacy in
                b.withUnsafeReadableBytes { candidate in JSONParser.parseForDiff(legacy, candidate, options: options, identityKeys: rules.identityKeys) }
            })
        {
            let duplicates = pair.first.hasDuplicateKeys || pair.second.hasDuplicateKeys
            return self.diff(pair.first.value, pair.second.value, rules: rules, reportingDuplicateKeys: duplicates, applications: &applications)
        }
        // Parsed in place from the buffers (no copy of the body), the candidate's against legacy's: what is the
        // same byte for byte is shared, not parsed twice, and the diff skips it.
        let parsed = a.withUnsafeReadableBytes { legacy in
            b.withUnsafeReadableBytes { candidate in JSONParser.parseSimilarDocuments(legacy, candidate, options: options) }
        }
        switch parsed {
        case (.success(let x), .success(let y)):
            // Only a document with a repeated key can have a duplicate_key to report.
            let duplicates = x.hasDuplicateKeys || y.hasDuplicateKeys
            return self.diff(x.value, y.value, rules: rules, reportingDuplicateKeys: duplicates, applications: &applications)
        case (.failure, .failure):
            return BodyComparison.text(Array(a.readableBytesView), Array(b.readableBytesView), maxLines: self.configuration.maxTextLineDiscrepancies)
        case (.failure(let error), .success(let y)):
            return [Discrepancy(path: "", field: "$", kind: .bodyUnparseable, legacyValue: self.excerpt(a, error), candidateValue: y.value.serialized())]
        case (.success(let x), .failure(let error)):
            return [Discrepancy(path: "", field: "$", kind: .bodyUnparseable, legacyValue: x.value.serialized(), candidateValue: self.excerpt(b, error))]
        }
    }

    /// Diffs two parsed documents under the rules.
    public func diff(_ legacy: JSONValue, _ candidate: JSONValue, rules: RouteRules) -> [Discrepancy] {
        var applications: [Int: Int] = [:]
        defer { self.ruleApplications.add(applications) }
        return self.diff(legacy, candidate, rules: rules, reportingDuplicateKeys: true, applications: &applications)
    }

    /// `reportingDuplicateKeys: false` when neither document repeats a key (the walk would find nothing).
    func diff(
        _ legacy: JSONValue, _ candidate: JSONValue, rules: RouteRules, reportingDuplicateKeys: Bool, applications: inout [Int: Int]
    ) -> [Discrepancy] {
        var differ = JSONDiffer(rules: rules, limits: self.configuration.alignment)
        differ.diff(legacy, candidate)
        if reportingDuplicateKeys { differ.reportDuplicateKeys(legacy, candidate) }
        for (rule, n) in differ.applications { applications[rule, default: 0] += n }
        return differ.discrepancies
    }

    /// The unparseable side as a JSON string: the parse error and the start of the body.
    func excerpt(_ bytes: ByteBuffer, _ error: JSONParseError) -> String {
        let cap = self.configuration.maxUnparseableExcerptBytes
        var text = String(decoding: bytes.readableBytesView.prefix(cap), as: UTF8.self)
        if bytes.readableBytes > cap { text += "…" }
        return JSONValue.quoted("\(error): \(text)")
    }

    static func looksLikeJSON(_ bytes: ByteBuffer) -> Bool {
        for c in bytes.readableBytesView {
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): return true
            default: return false
            }
        }
        return false
    }

    /// Whether both sides sent field `name` with the same values, byte for byte (or neither sent it).
    static func sameFieldValues(_ a: HTTPHeaders, _ b: HTTPHeaders, _ name: String) -> Bool {
        // Walked side by side, no list of values built: this runs for every compared header of every comparison.
        var x = a.lazy.filter { HeaderName.equal($0.name, name) }.makeIterator()
        var y = b.lazy.filter { HeaderName.equal($0.name, name) }.makeIterator()
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return true
            case (let p?, let q?) where p.value.hasSameBytes(as: q.value): continue
            default: return false
            }
        }
    }

    /// A header's value: repeated fields joined with `, `; with `normalized`, `content-type` in the form
    /// equivalent media types share (``MediaType``), for comparing.
    static func headerValue(_ headers: HTTPHeaders, _ name: String, normalized: Bool) -> String? {
        let values = headers[name]
        guard !values.isEmpty else { return nil }
        if normalized && name == "content-type" {
            return values.map { MediaType($0)?.normalized ?? $0.trimmingASCIIWhitespace() }.joined(separator: ", ")
        }
        return values.map { $0.trimmingASCIIWhitespace() }.joined(separator: ", ")
    }
}
