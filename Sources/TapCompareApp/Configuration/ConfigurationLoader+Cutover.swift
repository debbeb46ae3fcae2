import TapCompareCore
import TapCompareReview
import Yams

extension ConfigurationLoader {
    /// The `cutover:` block: each value in its open range, the fix named; then `cutover.routes`, each route's own
    /// targets. Read after `routes:`, whose templates its keys must name.
    static func cutover(_ m: YAMLMappingReader, routes: [ServeConfiguration.Route]) -> CutoverPolicy {
        var policy = CutoverPolicy()
        let defaults = Self.cutoverTarget(m)
        if let v = defaults.maxRegressionRate { policy.maxRegressionRate = v }
        if let v = defaults.confidence { policy.confidence = v }
        if let v = defaults.minComparisons { policy.minComparisons = v }
        if let v = defaults.maxLatencyRatio { policy.maxLatencyRatio = v }
        if let rm = m.mapping("routes") {
            policy.routes = Self.cutoverRoutes(rm, configured: routes)
            rm.rejectUnknownKeys()
        }
        m.rejectUnknownKeys()
        return policy
    }

    /// The four targets of `cutover:` or of one `cutover.routes` entry, each checked against its range; `nil`
    /// for a key that is absent or wrong (the issue is collected).
    static func cutoverTarget(_ m: YAMLMappingReader) -> CutoverPolicy.RouteTarget {
        var target = CutoverPolicy.RouteTarget()
        if let v = m.rate("max_regression_rate") {
            if v > 0 && v < 1 { target.maxRegressionRate = v } else {
                m.fail("max_regression_rate", m.node("max_regression_rate"), "must be more than 0 and less than 1; write a fraction, e.g. 0.001 for 0.1%")
            }
        }
        if let v = m.rate("confidence") {
            if v >= 0.5 && v < 1 { target.confidence = v } else {
                m.fail("confidence", m.node("confidence"), "must be at least 0.5 and less than 1; write e.g. 0.95 for 95%")
            }
        }
        if let v = m.int("min_comparisons", min: 1, max: 1_000_000_000) { target.minComparisons = v }
        if let node = m.node("max_latency_ratio") {
            if let text = node.scalar?.string, let v = Double(text), v.isFinite, v > 0 {
                target.maxLatencyRatio = v
            } else {
                m.fail("max_latency_ratio", node, "expected a number above 0, e.g. 1.2 for a candidate p99 up to 20% above legacy's")
            }
        }
        return target
    }

    /// `cutover.routes`: `{"GET /api/v1/comments/{id}": {max_regression_rate: 0.0005, …}}`. A key is a route
    /// template naming one of the `routes:` entries (parameter names may differ: `{commentId}` names the route
    /// `{id}` does); the entry is stored under that route's name, the one the ledger and the verdicts use.
    static func cutoverRoutes(_ rm: YAMLMappingReader, configured: [ServeConfiguration.Route]) -> [String: CutoverPolicy.RouteTarget] {
        var out: [String: CutoverPolicy.RouteTarget] = [:]
        var keyFor: [String: String] = [:]
        let known = configured.map(\.template.name)
        for key in rm.keys {
            let node = rm.node(key)
            let at = rm.keyMark(key)
            let prefix = "\(rm.prefix)[\"\(key)\"]"
            let entry = YAMLMappingReader(file: rm.file, prefix: prefix, node: node ?? .mapping(.init([])), collector: rm.sharedCollector)
            let target = Self.cutoverTarget(entry)
            entry.rejectUnknownKeys()
            guard node?.mapping != nil else {
                // A scalar or a list already failed in the reader; an empty value names the fix here.
                if node == nil || node?.scalar?.string.isEmpty == true {
                    entry.failEntry(at, "give this route's targets, e.g. { max_regression_rate: 0.0005, min_comparisons: 5000 }, or remove it")
                }
                continue
            }
            if entry.keys.isEmpty {
                entry.failEntry(at, "give this route's targets (max_regression_rate, confidence, min_comparisons, max_latency_ratio), or remove it")
                continue
            }
            let template: RouteTemplate
            do throws(RouteTemplateError) {
                template = try RouteTemplate(parsing: key)
            } catch {
                entry.failEntry(at, "\(error.description); the key is a route from routes:, e.g. 'GET /api/v1/comments/{id}'")
                continue
            }
            guard let route = configured.first(where: { Self.sameRoute($0.template, template) }) else {
                let fix = known.isEmpty
                    ? "there is no routes: list; add '- route: \(template.name)' to routes: so the route has this name, or remove this entry"
                    : "name one of routes: (\(known.joined(separator: ", "))), or add '- route: \(template.name)' to routes:"
                entry.failEntry(at, "'\(key)' matches no route under routes:; \(fix)")
                continue
            }
            let name = route.template.name
            if let earlier = keyFor[name] {
                entry.failEntry(at, "names the same route as '\(earlier)' (\(name)); keep one entry")
                continue
            }
            keyFor[name] = key
            out[name] = target
        }
        return out
    }

    /// Whether two templates name the same route: the same method and segments, parameter names aside.
    static func sameRoute(_ a: RouteTemplate, _ b: RouteTemplate) -> Bool {
        guard a.method == b.method, a.segments.count == b.segments.count else { return false }
        return zip(a.segments, b.segments).allSatisfy { x, y in
            switch (x, y) {
            case (.literal(let l), .literal(let r)): l == r
            case (.parameter, .parameter): true
            default: false
            }
        }
    }
}
