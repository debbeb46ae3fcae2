/// A JSON path in the subset the `redact.json_paths` list accepts: `$`, `.key`, `['key']`, `[*]`, `.*`, `[n]`
/// and `..key` (any depth).
struct JSONRedactionPath: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
        case descendant(String)
    }

    let steps: [Step]

    init(parsing text: String) throws(CaptureError) {
        var s = Substring(text)
        guard s.first == "$" else {
            throw .invalidRecord("redact JSON path '\(text)' must start with '$', e.g. '$.author.email'")
        }
        s = s.dropFirst()
        var steps: [Step] = []
        func name(_ s: inout Substring) -> String {
            let end = s.firstIndex { $0 == "." || $0 == "[" } ?? s.endIndex
            let n = String(s[..<end])
            s = s[end...]
            return n
        }
        while let c = s.first {
            if s.hasPrefix("..") {
                s = s.dropFirst(2)
                let n = name(&s)
                guard !n.isEmpty, n != "*" else { throw .invalidRecord("redact JSON path '\(text)': '..' must be followed by a key") }
                steps.append(.descendant(n))
            } else if c == "." {
                s = s.dropFirst()
                let n = name(&s)
                guard !n.isEmpty else { throw .invalidRecord("redact JSON path '\(text)': empty key after '.'") }
                steps.append(n == "*" ? .wildcard : .key(n))
            } else if c == "[" {
                guard let close = s.firstIndex(of: "]") else {
                    throw .invalidRecord("redact JSON path '\(text)': '[' without ']'")
                }
                let inner = s[s.index(after: s.startIndex)..<close]
                s = s[s.index(after: close)...]
                if inner == "*" {
                    steps.append(.wildcard)
                } else if let n = Int(inner), n >= 0 {
                    steps.append(.index(n))
                } else if inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw .invalidRecord("redact JSON path '\(text)': '[\(inner)]' is not [n], [*] or ['key']")
                }
            } else {
                throw .invalidRecord("redact JSON path '\(text)': unexpected '\(c)'; write '$.key', '$[0]' or '$..key'")
            }
        }
        self.steps = steps
    }

    /// Whether a concrete location (keys and indices from the root) is selected by this path.
    func matches(_ location: [JSONLocationStep]) -> Bool {
        Self.match(self.steps[...], location[...])
    }

    private static func match(_ pattern: ArraySlice<Step>, _ location: ArraySlice<JSONLocationStep>) -> Bool {
        guard let step = pattern.first else { return location.isEmpty }
        switch step {
        case .key(let k):
            guard case .key(let l)? = location.first, l == k else { return false }
            return match(pattern.dropFirst(), location.dropFirst())
        case .index(let n):
            guard case .index(let i)? = location.first, i == n else { return false }
            return match(pattern.dropFirst(), location.dropFirst())
        case .wildcard:
            guard !location.isEmpty else { return false }
            return match(pattern.dropFirst(), location.dropFirst())
        case .descendant(let k):
            var rest = location
            while let first = rest.first {
                rest = rest.dropFirst()
                if case .key(let l) = first, l == k, match(pattern.dropFirst(), rest) { return true }
            }
            return false
        }
    }
}

enum JSONLocationStep: Sendable, Hashable {
    case key(String)
    case index(Int)
}
