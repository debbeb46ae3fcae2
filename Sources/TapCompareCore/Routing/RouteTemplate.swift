/// A route template such as `GET /api/v1/comments/{id}`: a method (or `*`) and a path whose `{name}` segments
/// match any one segment. The template's ``name`` is the route's name everywhere downstream: rules, ledger,
/// reports and metric labels.
public struct RouteTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    /// Upper-cased method, or `*` for any method.
    public let method: String
    public let segments: [Segment]
    /// The canonical spelling, `METHOD /path/{param}`.
    public let name: String

    public var description: String { self.name }

    /// Parses `METHOD /path` or `/path` (any method).
    /// - Throws: ``RouteTemplateError`` naming what is wrong, also for a `?query` or `#fragment`: routes match paths.
    public init(parsing text: String) throws(RouteTemplateError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let methodText: Substring
        let pathText: Substring
        switch parts.count {
        case 1:
            methodText = "*"
            pathText = parts[0]
        case 2:
            methodText = parts[0]
            pathText = parts[1]
        default:
            throw RouteTemplateError(template: text, reason: "expected 'METHOD /path', e.g. 'GET /api/v1/comments/{id}'")
        }
        guard methodText == "*" || methodText.allSatisfy({ $0.isLetter }) else {
            throw RouteTemplateError(template: text, reason: "'\(methodText)' is not an HTTP method")
        }
        guard pathText.first == "/" else {
            throw RouteTemplateError(template: text, reason: "the path must start with '/'")
        }
        // Requests are routed by their path alone (``match(method:path:)`` never sees a query), so a template
        // holding one would be a segment no request has: it would never match, silently.
        if let start = pathText.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            let what = pathText[start] == "?" ? "a query" : "a fragment"
            let path = pathText[..<start].isEmpty ? "/" : pathText[..<start]
            let fix = parts.count == 2 ? "\(methodText) \(path)" : String(path)
            throw RouteTemplateError(
                template: text,
                reason: "'\(pathText[start...])' is \(what): routes match the request's path only, so this route would never match; write '\(fix)' (it covers every query)"
            )
        }
        var segments: [Segment] = []
        for raw in pathText.split(separator: "/", omittingEmptySubsequences: true) {
            if raw.first == "{" {
                guard raw.last == "}", raw.count > 2 else {
                    throw RouteTemplateError(template: text, reason: "'\(raw)' is not a valid parameter; write '{name}'")
                }
                segments.append(.parameter(String(raw.dropFirst().dropLast())))
            } else {
                guard !raw.contains("{") && !raw.contains("}") else {
                    throw RouteTemplateError(template: text, reason: "a parameter must be a whole segment, not '\(raw)'")
                }
                segments.append(.literal(String(raw)))
            }
        }
        self.init(method: String(methodText).uppercased(), segments: segments)
    }

    public init(method: String, segments: [Segment]) {
        self.method = method
        self.segments = segments
        var name = method + " "
        if segments.isEmpty { name += "/" }
        for segment in segments {
            name += "/"
            switch segment {
            case .literal(let s): name += s
            case .parameter(let p): name += "{" + p + "}"
            }
        }
        self.name = name
    }

    /// Number of literal segments: a more literal template wins over a more general one.
    public var specificity: Int {
        self.segments.reduce(0) { count, segment in
            if case .literal = segment { return count + 1 }
            return count
        }
    }

    /// Matches a method and a path (no query string); returns the parameter values, or `nil` when it does not match.
    /// The path is matched as ``RoutingPath/normalized(_:)`` sees it (unreserved percent-escapes decoded), so
    /// `/api/intern%61l/x` matches `/api/internal/{name}`.
    public func match(method: String, path: Substring) -> [String: Substring]? {
        guard self.method == "*" || self.method == method else { return nil }
        var parameters: [String: Substring] = [:]
        var index = 0
        for raw in RoutingPath.normalized(path).split(separator: "/", omittingEmptySubsequences: true) {
            guard index < self.segments.count else { return nil }
            switch self.segments[index] {
            case .literal(let literal):
                guard raw == literal else { return nil }
            case .parameter(let name):
                parameters[name] = raw
            }
            index += 1
        }
        return index == self.segments.count ? parameters : nil
    }
}

/// A route template that cannot be parsed.
public struct RouteTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var template: String
    public var reason: String
    public var description: String { "invalid route template '\(self.template)': \(self.reason)" }
}
