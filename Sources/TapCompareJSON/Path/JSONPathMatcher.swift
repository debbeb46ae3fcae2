/// Matches many ``JSONPath``s at once while walking a document, without allocating per node.
///
/// The paths are compiled into one nondeterministic automaton whose states (a path and how many of its
/// segments are consumed) are bits of a fixed-size ``State``; stepping into a child is a few bit operations per
/// live state. A walker carries a ``State`` down the tree: an empty state means no path can match anything
/// below, so the walker skips matching for that subtree entirely.
public struct JSONPathMatcher: Sendable {
    /// At most this many automaton states (the sum over paths of segments + 1).
    public static let maxStates = 256

    /// A set of live automaton states.
    public struct State: Sendable, Hashable {
        @usableFromInline var w0: UInt64 = 0
        @usableFromInline var w1: UInt64 = 0
        @usableFromInline var w2: UInt64 = 0
        @usableFromInline var w3: UInt64 = 0

        @inlinable public var isEmpty: Bool { (self.w0 | self.w1 | self.w2 | self.w3) == 0 }

        @inline(__always)
        mutating func insert(_ bit: Int) {
            let mask = UInt64(1) << UInt64(bit & 63)
            switch bit >> 6 {
            case 0: self.w0 |= mask
            case 1: self.w1 |= mask
            case 2: self.w2 |= mask
            default: self.w3 |= mask
            }
        }

        @inline(__always)
        func word(_ i: Int) -> UInt64 {
            switch i {
            case 0: return self.w0
            case 1: return self.w1
            case 2: return self.w2
            default: return self.w3
            }
        }

        @inline(__always)
        static func & (a: State, b: State) -> State {
            var r = State()
            r.w0 = a.w0 & b.w0
            r.w1 = a.w1 & b.w1
            r.w2 = a.w2 & b.w2
            r.w3 = a.w3 & b.w3
            return r
        }

        /// Calls `body` with each state number in the set.
        @inline(__always)
        func forEach(_ body: (Int) -> Void) {
            for i in 0..<4 {
                var w = self.word(i)
                while w != 0 {
                    let bit = w.trailingZeroBitCount
                    body(i << 6 | bit)
                    w &= w &- 1
                }
            }
        }
    }

    struct Node: Sendable {
        var segment: JSONPath.Segment?  // nil for an accepting state
        var path: Int
    }

    public let paths: [JSONPath]
    let nodes: [Node]
    /// Every path's starting state.
    public let initial: State
    let accepting: State

    /// Compiles `paths`.
    /// - Throws: ``JSONPathMatcherError`` when the paths need more than ``maxStates`` states.
    public init(paths: [JSONPath]) throws(JSONPathMatcherError) {
        var nodes: [Node] = []
        var initial = State()
        var accepting = State()
        for (p, path) in paths.enumerated() {
            initial.insert(nodes.count)
            for segment in path.segments { nodes.append(Node(segment: segment, path: p)) }
            accepting.insert(nodes.count)
            nodes.append(Node(segment: nil, path: p))
            guard nodes.count <= Self.maxStates else { throw JSONPathMatcherError(stateCount: nodes.count) }
        }
        self.paths = paths
        self.nodes = nodes
        self.initial = paths.isEmpty ? State() : initial
        self.accepting = accepting
    }

    /// The states after stepping from `state` into the child reached by `element`.
    @inline(__always)
    public func step(_ state: State, _ element: JSONPathElement) -> State {
        if state.isEmpty { return state }
        var next = State()
        state.forEach { s in
            guard let segment = self.nodes[s].segment else { return }
            switch segment {
            case .descendant, .descendantWildcard:
                next.insert(s)  // the `..` may consume this step and stay
                if JSONPath.step(segment, element) { next.insert(s + 1) }
            default:
                if JSONPath.step(segment, element) { next.insert(s + 1) }
            }
        }
        return next
    }

    /// Whether some path selects the value reached in `state`.
    @inline(__always)
    public func acceptsAny(_ state: State) -> Bool { !(state & self.accepting).isEmpty }

    /// The indices (into ``paths``) of the paths that select the value reached in `state`, in path order.
    @inline(__always)
    public func acceptedPaths(_ state: State) -> AcceptedPaths {
        AcceptedPaths(bits: state & self.accepting, nodes: self.nodes)
    }

    /// Iterates accepted path indices without a closure, so a caller may mutate itself while iterating.
    public struct AcceptedPaths: Sequence, IteratorProtocol {
        var bits: State
        let nodes: [Node]
        var word = 0

        public mutating func next() -> Int? {
            while self.word < 4 {
                var w = self.bits.word(self.word)
                if w != 0 {
                    let bit = w.trailingZeroBitCount
                    w &= w &- 1
                    switch self.word {
                    case 0: self.bits.w0 = w
                    case 1: self.bits.w1 = w
                    case 2: self.bits.w2 = w
                    default: self.bits.w3 = w
                    }
                    return self.nodes[self.word << 6 | bit].path
                }
                self.word += 1
            }
            return nil
        }
    }

    /// Calls `body` with the index (into ``paths``) of each path that selects the value reached in `state`.
    @inline(__always)
    public func forEachAccepted(_ state: State, _ body: (Int) -> Void) {
        (state & self.accepting).forEach { body(self.nodes[$0].path) }
    }
}

/// Too many rule paths apply to one route to match them at once.
public struct JSONPathMatcherError: Error, Sendable, Hashable, CustomStringConvertible {
    public var stateCount: Int
    public var description: String {
        "the paths that apply to one route need \(self.stateCount) matcher states, more than \(JSONPathMatcher.maxStates); split rules across routes or use fewer path segments"
    }
}

extension JSONValue {
    /// Replaces every value `path` selects with `transform(value)`; returns how many values were replaced.
    ///
    /// Used by redaction: `body.transformMatches(of: path) { _ in .string("[REDACTED]") }`. A selected value's
    /// own children are not visited again after it is replaced.
    @discardableResult
    public mutating func transformMatches(of path: JSONPath, _ transform: (JSONValue) -> JSONValue) -> Int {
        // A single path never exceeds the state limit unless it has 255 segments.
        guard let matcher = try? JSONPathMatcher(paths: [path]) else { return 0 }
        return self.transformMatches(matcher: matcher, state: matcher.initial, transform)
    }

    /// Replaces every value any of `matcher`'s paths selects; returns how many values were replaced.
    @discardableResult
    public mutating func transformMatches(matcher: JSONPathMatcher, _ transform: (JSONValue) -> JSONValue) -> Int {
        self.transformMatches(matcher: matcher, state: matcher.initial, transform)
    }

    private mutating func transformMatches(
        matcher: JSONPathMatcher, state: JSONPathMatcher.State, _ transform: (JSONValue) -> JSONValue
    ) -> Int {
        if state.isEmpty { return 0 }
        if matcher.acceptsAny(state) {
            self = transform(self)
            return 1
        }
        var count = 0
        switch self {
        case .array(var elements):
            self = .null  // drop the second reference so the mutation below does not copy
            for i in elements.indices {
                count += elements[i].transformMatches(matcher: matcher, state: matcher.step(state, .index(i)), transform)
            }
            self = .array(elements)
        case .object(var object):
            self = .null
            for i in object.members.indices {
                let next = matcher.step(state, .key(object.members[i].key))
                count += object.members[i].value.transformMatches(matcher: matcher, state: next, transform)
            }
            self = .object(object)
        default:
            break
        }
        return count
    }

    /// The pointers of every value `path` selects, in document order.
    public func matches(of path: JSONPath) -> [JSONPointer] {
        guard let matcher = try? JSONPathMatcher(paths: [path]) else { return [] }
        var result: [JSONPointer] = []
        var elements: [JSONPathElement] = []
        self.collectMatches(matcher: matcher, state: matcher.initial, elements: &elements, into: &result)
        return result
    }

    private func collectMatches(
        matcher: JSONPathMatcher, state: JSONPathMatcher.State, elements: inout [JSONPathElement], into result: inout [JSONPointer]
    ) {
        if state.isEmpty { return }
        if matcher.acceptsAny(state) { result.append(JSONPointer(elements: elements)) }
        switch self {
        case .array(let array):
            for (i, e) in array.enumerated() {
                elements.append(.index(i))
                e.collectMatches(matcher: matcher, state: matcher.step(state, .index(i)), elements: &elements, into: &result)
                elements.removeLast()
            }
        case .object(let object):
            for m in object.members {
                elements.append(.key(m.key))
                m.value.collectMatches(matcher: matcher, state: matcher.step(state, .key(m.key)), elements: &elements, into: &result)
                elements.removeLast()
            }
        default:
            break
        }
    }
}
