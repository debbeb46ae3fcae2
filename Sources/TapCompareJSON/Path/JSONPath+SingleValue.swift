extension JSONPath {
    /// The pointer of a path that names at most one value (`$.a.b`, `$.items[0].id`): what configuration keys
    /// that take *a* value (an id, a version, an event's key) accept. `nil` for paths with wildcards or
    /// descendants, which can name many.
    public var singleValuePointer: JSONPointer? {
        var tokens: [String] = []
        for segment in self.segments {
            switch segment {
            case .key(let key): tokens.append(key)
            case .index(let index): tokens.append(String(index))
            case .wildcard, .descendant, .descendantWildcard: return nil
            }
        }
        return JSONPointer(tokens: tokens)
    }
}
