/// The configured routes, matched most specific first, with a per-route value (e.g. its mirroring policy).
///
/// A request matching no template gets the name ``RouteNamer`` derives and `fallback`'s value.
public struct RouteTable<Value: Sendable>: Sendable {
    public struct Entry: Sendable {
        public var template: RouteTemplate
        public var value: Value
        public init(template: RouteTemplate, value: Value) {
            self.template = template
            self.value = value
        }
    }

    public struct Match: Sendable {
        /// The route's name: the template's, or the derived one.
        public var name: String
        public var value: Value
        /// The configured template that matched, `nil` for a derived name.
        public var template: RouteTemplate?
        public var parameters: [String: Substring]
    }

    /// Entries in matching order: more literal segments first, then configuration order.
    public let entries: [Entry]
    public let fallback: Value

    public init(entries: [Entry], fallback: Value) {
        self.entries = entries.enumerated().sorted { a, b in
            let sa = a.element.template.specificity
            let sb = b.element.template.specificity
            if sa != sb { return sa > sb }
            // An exact method beats `*` at equal specificity.
            let ma = a.element.template.method == "*" ? 0 : 1
            let mb = b.element.template.method == "*" ? 0 : 1
            if ma != mb { return ma > mb }
            return a.offset < b.offset
        }.map(\.element)
        self.fallback = fallback
    }

    /// Matches on ``RoutingPath/normalized(_:)``: a percent-escaped spelling of a configured path gets that
    /// route and its policy, and a derived name is the same for every spelling.
    public func match(method: String, path rawPath: Substring) -> Match {
        let path = RoutingPath.normalized(rawPath)
        for entry in self.entries {
            if let parameters = entry.template.match(method: method, path: path) {
                let name: String
                if entry.template.method == "*" {
                    // A method-less template still names the route with the request's method.
                    name = method + entry.template.name.dropFirst(1)
                } else {
                    name = entry.template.name
                }
                return Match(name: name, value: entry.value, template: entry.template, parameters: parameters)
            }
        }
        return Match(name: RouteNamer.derive(method: method, path: path), value: self.fallback, template: nil, parameters: [:])
    }
}
