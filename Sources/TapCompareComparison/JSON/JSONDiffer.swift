import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// Walks two JSON trees side by side and lists every difference that the route's rules do not explain.
///
/// With no rules the list is complete and exact: read as an RFC 6902 patch (``Discrepancy`` kinds
/// `missing_in_candidate` → `remove`, `extra_in_candidate` → `add`, the others → `replace`) and applied to the
/// legacy body, it yields the candidate body. That is why the emission order within an array is fixed: changes
/// inside paired elements first (at legacy indices), then removals from the highest legacy index down, then
/// additions at ascending candidate indices.
///
/// The rule matcher's state is carried down the walk; where it is empty (no rule can apply below), the walk
/// does no rule work at all.
struct JSONDiffer {
    typealias State = JSONPathMatcher.State

    let rules: RouteRules
    let limits: Comparator.Configuration.Alignment
    /// In probe mode the differ only answers "equal or not": it stops at the first difference and builds no
    /// discrepancy values.
    private(set) var probing: Bool
    private(set) var discrepancies: [Discrepancy] = []
    /// Applications per rule id (only ids that applied; the comparator folds them into the counters).
    private(set) var applications: [Int: Int] = [:]
    /// Applications seen while probing, kept apart: they count only if the probe's "equal" is used.
    private(set) var probeApplications: [Int: Int] = [:]
    private(set) var differs = false
    private var elements: [JSONPathElement] = []

    init(rules: RouteRules, limits: Comparator.Configuration.Alignment, probing: Bool = false) {
        self.rules = rules
        self.limits = limits
        self.probing = probing
    }

    /// Compares two whole documents.
    mutating func diff(_ legacy: JSONValue, _ candidate: JSONValue) {
        self.diff(legacy, candidate, self.rules.matcher.initial)
    }

    // MARK: - Nodes

    private mutating func diff(_ a: JSONValue, _ b: JSONValue, _ state: State) {
        if self.probing && self.differs { return }
        if state.isEmpty {
            // A part the candidate's parse took from legacy's: equal throughout, and no rule applies inside to count.
            if self.rules.lexicalNumbersRule == nil && a.sharesStorage(with: b) { return }
            self.diffPlain(a, b, state, unordered: nil, tolerance: nil, equivalence: nil, replacements: [])
            return
        }
        var replacements: [RegexReplacement] = []
        var unordered: String?? = nil
        var tolerance: (absolute: Double?, relative: Double?)?
        var equivalence: Equivalence?
        var ignored = false
        for index in self.rules.matcher.acceptedPaths(state) {
            let rule = self.rules.pathRules[index]
            switch rule.action {
            case .ignore:
                ignored = true
            case .replace(let r):
                // Applied lazily, to differing strings only: equal inputs give equal outputs.
                replacements.append(r)
            case .unordered(let key):
                unordered = .some(key)
            case .tolerance(let absolute, let relative):
                tolerance = (absolute, relative)
            case .equivalent(let e):
                equivalence = e
            }
            self.count(rule.rule)
            if ignored { break }
        }
        if ignored { return }
        self.diffPlain(a, b, state, unordered: unordered, tolerance: tolerance, equivalence: equivalence, replacements: replacements)
    }

    private mutating func diffPlain(
        _ a: JSONValue, _ b: JSONValue, _ state: State,
        unordered: String??, tolerance: (absolute: Double?, relative: Double?)?, equivalence: Equivalence?,
        replacements: [RegexReplacement]
    ) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            self.diffObject(x, y, state)
        case (.array(let x), .array(let y)):
            if let unordered {
                self.diffUnordered(x, y, state, key: unordered)
            } else {
                self.diffArray(x, y, state)
            }
        case (.string(let x), .string(let y)):
            if x.hasSameBytes(as: y) { return }
            var (rx, ry) = (a, b)
            if !replacements.isEmpty {
                var (px, py) = (x, y)
                for r in replacements {
                    px = r.apply(to: px)
                    py = r.apply(to: py)
                }
                if px.hasSameBytes(as: py) { return }
                (rx, ry) = (.string(px), .string(py))
            }
            if let equivalence, Self.equivalent(rx, ry, equivalence) { return }
            self.emit(.valueChanged, a, b)
        case (.number(let x), .number(let y)):
            if let rule = self.rules.lexicalNumbersRule {
                self.count(rule)
                if x.text.hasSameBytes(as: y.text) { return }
            } else if x == y {
                return
            }
            if let tolerance, Self.within(x, y, tolerance) { return }
            if equivalence == .timestamp, Self.equivalent(a, b, .timestamp) { return }
            self.emit(.valueChanged, a, b)
        case (.bool(let x), .bool(let y)):
            if x != y { self.emit(.valueChanged, a, b) }
        case (.null, .null):
            return
        default:
            if equivalence == .timestamp, Self.equivalent(a, b, .timestamp) { return }
            self.emit(.typeChanged, a, b)
        }
    }

    // MARK: - Objects

    private mutating func diffObject(_ a: JSONObject, _ b: JSONObject, _ state: State) {
        let am = a.hasDuplicateKeys ? a.effectiveMembers : a.members
        let bm = b.hasDuplicateKeys ? b.effectiveMembers : b.members
        // Fast path: the same keys in the same order (the usual case for one serializer against another).
        if am.count == bm.count {
            var same = true
            for i in am.indices where !am[i].key.hasSameBytes(as: bm[i].key) {
                same = false
                break
            }
            if same {
                for i in am.indices {
                    self.child(.key(am[i].key), am[i].value, bm[i].value, state)
                    if self.probing && self.differs { return }
                }
                return
            }
        }
        let bIndex = Self.index(bm)
        var matched = [Bool](repeating: false, count: bm.count)
        for member in am {
            if let j = Self.lookup(member.key, in: bm, index: bIndex) {
                matched[j] = true
                self.child(.key(member.key), member.value, bm[j].value, state)
            } else {
                self.oneSided(.missingInCandidate, .key(member.key), member.value, state)
            }
            if self.probing && self.differs { return }
        }
        for (j, member) in bm.enumerated() where !matched[j] {
            self.oneSided(.extraInCandidate, .key(member.key), member.value, state)
            if self.probing && self.differs { return }
        }
    }

    // MARK: - Duplicate keys

    /// Reports every key that occurs more than once in an object of one document as a `duplicate_key` of its own
    /// at that object's place on that side (clients disagree on which occurrence counts, and some reject the
    /// body), unless the other document has the object at the same place with the key repeated alike, or an
    /// `ignore` rule selects the member. Its value lists the occurrences' values in document order. The members
    /// themselves are compared by their last occurrence by ``diff(_:_:)``, as Python, JavaScript and Go clients
    /// read them.
    ///
    /// A walk of its own rather than part of the diff: the diff skips elements that are equal as a client reads
    /// them (last occurrence), which is exactly where a duplicate hides.
    mutating func reportDuplicateKeys(_ legacy: JSONValue, _ candidate: JSONValue) {
        self.walkDuplicates(legacy, other: candidate, legacySide: true, self.rules.matcher.initial)
        self.walkDuplicates(candidate, other: legacy, legacySide: false, self.rules.matcher.initial)
    }

    private mutating func walkDuplicates(_ value: JSONValue, other: JSONValue?, legacySide: Bool, _ state: State) {
        if self.isIgnored(state) { return }
        switch value {
        case .object(let object):
            var otherObject: JSONObject?
            if case .object(let o)? = other { otherObject = o }
            if object.hasDuplicateKeys {
                for (key, values) in Self.repeatedKeys(object) {
                    if let otherObject, Self.occurrences(of: key, in: otherObject) == values { continue }
                    if self.isIgnored(self.step(state, .key(key))) { continue }
                    self.elements.append(.key(key))
                    if legacySide {
                        self.emit(.duplicateKey, .array(values), nil)
                    } else {
                        self.emit(.duplicateKey, nil, .array(values))
                    }
                    self.elements.removeLast()
                }
            }
            let members = object.hasDuplicateKeys ? object.effectiveMembers : object.members
            for (i, member) in members.enumerated() {
                switch member.value {
                case .object, .array: break
                default: continue
                }
                // The other side's member: at the same position in the usual case, else looked up.
                var counterpart: JSONValue?
                if let otherObject {
                    if i < otherObject.members.count, otherObject.members[i].key.hasSameBytes(as: member.key) {
                        counterpart = otherObject.members[i].value
                    } else {
                        counterpart = otherObject[member.key]
                    }
                }
                self.elements.append(.key(member.key))
                self.walkDuplicates(member.value, other: counterpart, legacySide: legacySide, self.step(state, .key(member.key)))
                self.elements.removeLast()
            }
        case .array(let elements):
            var otherElements: [JSONValue] = []
            if case .array(let o)? = other { otherElements = o }
            for (i, element) in elements.enumerated() {
                // Scalars hold no objects: skip the path bookkeeping.
                switch element {
                case .object, .array: break
                default: continue
                }
                self.elements.append(.index(i))
                self.walkDuplicates(element, other: i < otherElements.count ? otherElements[i] : nil, legacySide: legacySide, self.step(state, .index(i)))
                self.elements.removeLast()
            }
        default:
            return
        }
    }

    /// Whether an `ignore` rule selects the value at `state` (not counted: the diff counts its rules).
    private func isIgnored(_ state: State) -> Bool {
        if state.isEmpty { return false }
        for index in self.rules.matcher.acceptedPaths(state) {
            if case .ignore = self.rules.pathRules[index].action { return true }
        }
        return false
    }

    /// Keys occurring more than once, in order of first appearance, each with its values in document order.
    private static func repeatedKeys(_ object: JSONObject) -> [(key: String, values: [JSONValue])] {
        var result: [(key: String, values: [JSONValue])] = []
        for (i, member) in object.members.enumerated() {
            // First occurrences only, and only keys that occur again.
            if object.members[..<i].contains(where: { $0.key.hasSameBytes(as: member.key) }) { continue }
            let values = Self.occurrences(of: member.key, in: object)
            if values.count > 1 { result.append((member.key, values)) }
        }
        return result
    }

    private static func occurrences(of key: String, in object: JSONObject) -> [JSONValue] {
        object.members.filter { $0.key.hasSameBytes(as: key) }.map(\.value)
    }

    private static func index(_ members: [JSONObject.Member]) -> [String: Int]? {
        guard members.count > 16 else { return nil }
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (i, m) in members.enumerated() { index[m.key] = i }
        return index
    }

    private static func lookup(_ key: String, in members: [JSONObject.Member], index: [String: Int]?) -> Int? {
        if let index {
            // `String` hashing is by canonical equivalence; confirm the bytes, else scan.
            if let i = index[key], members[i].key.hasSameBytes(as: key) { return i }
            if index[key] == nil { return nil }
        }
        for i in members.indices where members[i].key.hasSameBytes(as: key) { return i }
        return nil
    }

    // MARK: - Ordered arrays

    private mutating func diffArray(_ a: [JSONValue], _ b: [JSONValue], _ state: State) {
        let n = a.count
        let m = b.count
        var prefix = 0
        while prefix < n && prefix < m && self.equal(a[prefix], b[prefix], self.step(state, .index(prefix)), counting: true) { prefix += 1 }
        var suffix = 0
        while suffix < n - prefix && suffix < m - prefix
            && self.equal(a[n - 1 - suffix], b[m - 1 - suffix], self.step(state, .index(n - 1 - suffix)), counting: true)
        {
            suffix += 1
        }
        let gapA = prefix..<(n - suffix)
        let gapB = prefix..<(m - suffix)
        if gapA.isEmpty && gapB.isEmpty { return }
        if self.probing {
            self.differs = true
            return
        }

        // One changed element at one position (the usual single edit): every alignment below pairs the two, by
        // identity or by position, so pair them without hashing identities or elements.
        if gapA.count == 1 && gapB.count == 1 {
            self.child(.index(gapA.lowerBound), a[gapA.lowerBound], b[gapB.lowerBound], state)
            return
        }

        // An array with elements the comparator's lockstep parse left unbuilt (equal on both sides) and a wider gap:
        // the parse leaves them only where it found, as `identityKey` and `diffByIdentity` below would, that the
        // gap's elements keep their positions: each holds the same identity on both sides, or (under the first
        // identity key) an identity the other side's gap does not hold (`JSONParser.parseForDiff`). Paired by
        // position as there, and those removed and added.
        if state.isEmpty && self.rules.lexicalNumbersRule == nil, a.contains(where: { $0.sharesStorage(with: JSONParser.unbuiltEqualPart) }) {
            let key = self.rules.identityKeys.first
            var replaced: [Int] = []
            for (i, j) in zip(gapA, gapB) where !(a[i] == b[j]) {
                if let key, let x = Self.identity(a[i], key), let y = Self.identity(b[j], key), !(x == y) {
                    replaced.append(i)
                    continue
                }
                self.child(.index(i), a[i], b[j], state)
            }
            for i in replaced.reversed() { self.oneSided(.missingInCandidate, .index(i), a[i], state) }
            for j in replaced { self.oneSided(.extraInCandidate, .index(j), b[j], state) }
            return
        }

        // Objects that carry an identity (`id`, `uuid`, `key` or the rule set's `identity_keys`) are aligned by it:
        // a reordered listing whose elements also changed is one `array_order` plus the changes inside the
        // elements, not every element missing and extra.
        if let key = self.identityKey(a[gapA], b[gapB]) {
            self.diffByIdentity(a, b, gapA, gapB, key, state)
            return
        }

        var steps: [ArrayAlignment.Step] = []
        // Equal lengths with objects or arrays that look like the same entities at every position (same `id`,
        // or most members equal): changed in place. This is the common case, decided without hashing.
        // A few dissimilar positions (say an element whose `id` changed) do not break the pairing; a shift or a
        // reordering makes most positions dissimilar and goes to the alignment below.
        var inPlace = false
        if gapA.count == gapB.count {
            var dissimilar = 0
            for (i, j) in zip(gapA, gapB) {
                switch (a[i], b[j]) {
                case (.object, .object), (.array, .array):
                    if !Self.similar(a[i], b[j]) { dissimilar += 1 }
                default:
                    dissimilar += 1
                }
            }
            inPlace = dissimilar * 10 <= gapA.count && (gapA.count == 1 || dissimilar < gapA.count)
        }
        // The same elements in another order: one `array_order` for the whole array.
        if !inPlace, gapA.count == gapB.count, gapA.count >= 2 {
            let permuted: Bool
            if self.elementRulesInactive(state, gapA) {
                permuted = Self.isPermutation(a[gapA], b[gapB])
            } else {
                permuted = self.isPermutationUnderRules(a, b, gapA, gapB, state)
            }
            if permuted {
                self.emit(.arrayOrder, .array(a), .array(b))
                return
            }
        }

        if inPlace || (gapA.count == 1 && gapB.count == 1) {
            steps = zip(gapA, gapB).map { .pair($0, $1) }
        } else if gapA.count * gapB.count
            <= (self.elementRulesInactive(state, gapA) ? self.limits.maxCells : self.limits.maxSimilarityCells)
        {
            // Exact anchors first, then pair what lies between them.
            let inactive = self.elementRulesInactive(state, gapA)
            let hashesA = inactive ? a[gapA].map(\.hashValue) : []
            let hashesB = inactive ? b[gapB].map(\.hashValue) : []
            let anchors = ArrayAlignment.lcs(n: gapA.count, m: gapB.count) { i, j in
                if inactive {
                    return hashesA[i] == hashesB[j] && a[gapA.lowerBound + i] == b[gapB.lowerBound + j]
                }
                return self.equal(a[gapA.lowerBound + i], b[gapB.lowerBound + j], self.step(state, .index(gapA.lowerBound + i)))
            }
            steps = self.pairRuns(anchors, a, b, gapA.lowerBound, gapB.lowerBound)
        } else {
            for k in 0..<min(gapA.count, gapB.count) { steps.append(.pair(gapA.lowerBound + k, gapB.lowerBound + k)) }
            if gapA.count > gapB.count { for i in (gapA.lowerBound + gapB.count)..<gapA.upperBound { steps.append(.removed(i)) } }
            if gapB.count > gapA.count { for j in (gapB.lowerBound + gapA.count)..<gapB.upperBound { steps.append(.added(j)) } }
        }

        // Emission order keeps the list a valid patch: pairs (legacy indices), removals descending, additions ascending.
        let plain = state.isEmpty && self.rules.lexicalNumbersRule == nil
        for step in steps {
            guard case .pair(let i, let j) = step else { continue }
            // Equal pairs inside the gap are common (the gap spans from the first to the last change); the
            // exact comparison is cheaper than a walk with path bookkeeping.
            if plain && a[i] == b[j] { continue }
            self.child(.index(i), a[i], b[j], state)
        }
        for step in steps.reversed() {
            if case .removed(let i) = step { self.oneSided(.missingInCandidate, .index(i), a[i], state) }
        }
        for step in steps {
            if case .added(let j) = step { self.oneSided(.extraInCandidate, .index(j), b[j], state) }
        }
    }

    /// The first of the route's identity keys that every element of both gaps carries (objects only, a string or
    /// number value, unique within each side) and that at least one element pair shares; `nil` when none does,
    /// and the array is aligned as a sequence.
    private func identityKey(_ a: ArraySlice<JSONValue>, _ b: ArraySlice<JSONValue>) -> String? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        candidates: for key in self.rules.identityKeys {
            var seenA = Set<JSONValue>()
            seenA.reserveCapacity(a.count)
            for element in a {
                guard let id = Self.identity(element, key), seenA.insert(id).inserted else { continue candidates }
            }
            if a.count == b.count {
                // Gaps of one length are mostly elements the candidate's parse shared with legacy's at the same
                // position (``JSONValue/sharesStorage(with:)``): those carry legacy's ids, unique as just checked,
                // so only the others are hashed — against each other and against the shared ones' ids.
                switch Self.sharedPositionsIdentity(a, b, key, seenA) {
                case .unique(let shared): if shared { return key } else { continue candidates }
                case .notUnique: continue candidates
                }
            }
            var seenB = Set<JSONValue>()
            var shared = false
            for element in b {
                guard let id = Self.identity(element, key), seenB.insert(id).inserted else { continue candidates }
                if seenA.contains(id) { shared = true }
            }
            if shared { return key }
        }
        return nil
    }

    private enum SideIdentity { case unique(sharesAnId: Bool), notUnique }

    /// For gaps of one length whose legacy side has unique ids `idsA`: whether the candidate side's ids are unique
    /// too, and whether some id is on both sides. Same answer as hashing every candidate id, cheaper when most
    /// positions share storage.
    private static func sharedPositionsIdentity(
        _ a: ArraySlice<JSONValue>, _ b: ArraySlice<JSONValue>, _ key: String, _ idsA: Set<JSONValue>
    ) -> SideIdentity {
        var changedA = Set<JSONValue>()
        var changed: [Int] = []
        var sharesAnId = false
        for k in 0..<a.count {
            let (x, y) = (a[a.startIndex + k], b[b.startIndex + k])
            if x.sharesStorage(with: y) {
                sharesAnId = true
            } else {
                changedA.insert(Self.identity(x, key)!)
                changed.append(k)
            }
        }
        var changedB = Set<JSONValue>()
        for k in changed {
            guard let id = Self.identity(b[b.startIndex + k], key), changedB.insert(id).inserted else { return .notUnique }
            guard idsA.contains(id) else { continue }
            // Legacy's id at a shared position is also the candidate's id there: a repeat on the candidate's side.
            if !changedA.contains(id) { return .notUnique }
            sharesAnId = true
        }
        return .unique(sharesAnId: sharesAnId)
    }

    private static func identity(_ element: JSONValue, _ key: String) -> JSONValue? {
        guard case .object(let object) = element, let id = object[key] else { return nil }
        switch id {
        case .string, .number: return id
        default: return nil
        }
    }

    /// Pairs the gaps' elements by identity: changes inside each pair (at legacy indices), elements whose
    /// identity is on one side only as removed (descending) and added (ascending), then one `array_order` if the
    /// pairs' order differs. The `array_order` carries the whole candidate array, so the list stays a patch from
    /// legacy to candidate.
    private mutating func diffByIdentity(
        _ a: [JSONValue], _ b: [JSONValue], _ gapA: Range<Int>, _ gapB: Range<Int>, _ key: String, _ state: State
    ) {
        let plain = state.isEmpty && self.rules.lexicalNumbersRule == nil
        // Every position holds the same id on both sides (the usual in-place edit): the pairs are the positions,
        // in order, with nothing removed, added or reordered — what the lookup below finds, without hashing.
        if gapA.count == gapB.count,
            zip(gapA, gapB).allSatisfy({ a[$0].sharesStorage(with: b[$1]) || Self.identity(a[$0], key)! == Self.identity(b[$1], key)! })
        {
            for (i, j) in zip(gapA, gapB) {
                if plain && a[i] == b[j] { continue }
                self.child(.index(i), a[i], b[j], state)
            }
            return
        }
        var positionInB: [JSONValue: Int] = [:]
        positionInB.reserveCapacity(gapB.count)
        for j in gapB { positionInB[Self.identity(b[j], key)!] = j }
        var pairedB = [Bool](repeating: false, count: gapB.count)
        var removed: [Int] = []
        var reordered = false
        var lastJ = -1
        for i in gapA {
            guard let j = positionInB[Self.identity(a[i], key)!] else {
                removed.append(i)
                continue
            }
            pairedB[j - gapB.lowerBound] = true
            if j < lastJ { reordered = true }
            lastJ = j
            if plain && a[i] == b[j] { continue }
            self.child(.index(i), a[i], b[j], state)
        }
        for i in removed.reversed() { self.oneSided(.missingInCandidate, .index(i), a[i], state) }
        for j in gapB where !pairedB[j - gapB.lowerBound] { self.oneSided(.extraInCandidate, .index(j), b[j], state) }
        if reordered { self.emit(.arrayOrder, .array(a), .array(b)) }
    }

    /// Within each run between exact anchors, pairs elements that look like the same thing (same `id`, or most
    /// members equal) so a changed element is reported field by field, and the rest as removed or added.
    private func pairRuns(_ anchors: [ArrayAlignment.Step], _ a: [JSONValue], _ b: [JSONValue], _ offA: Int, _ offB: Int) -> [ArrayAlignment.Step] {
        var result: [ArrayAlignment.Step] = []
        var runA: [Int] = []
        var runB: [Int] = []
        func flush() {
            let positional = runA.count == runB.count && zip(runA, runB).allSatisfy { Self.similar(a[$0], b[$1]) }
            if positional {
                for k in runA.indices { result.append(.pair(runA[k], runB[k])) }
            } else if runA.isEmpty || runB.isEmpty || runA.count * runB.count > self.limits.maxSimilarityCells {
                let common = min(runA.count, runB.count)
                for k in 0..<common { result.append(.pair(runA[k], runB[k])) }
                for k in common..<runA.count { result.append(.removed(runA[k])) }
                for k in common..<runB.count { result.append(.added(runB[k])) }
            } else {
                let (ra, rb) = (runA, runB)
                for step in ArrayAlignment.lcs(n: ra.count, m: rb.count, { i, j in Self.similar(a[ra[i]], b[rb[j]]) }) {
                    switch step {
                    case .pair(let i, let j): result.append(.pair(ra[i], rb[j]))
                    case .removed(let i): result.append(.removed(ra[i]))
                    case .added(let j): result.append(.added(rb[j]))
                    }
                }
            }
            runA.removeAll(keepingCapacity: true)
            runB.removeAll(keepingCapacity: true)
        }
        for step in anchors {
            switch step {
            case .pair(let i, let j):
                flush()
                result.append(.pair(offA + i, offB + j))
            case .removed(let i): runA.append(offA + i)
            case .added(let j): runB.append(offB + j)
            }
        }
        flush()
        return result
    }

    /// Whether two values are probably the same entity in two versions.
    static func similar(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            if let ix = x["id"], let iy = y["id"] { return ix == iy }
            let total = max(x.count, y.count)
            if total == 0 { return true }
            var same = 0
            for member in x.members where y[member.key] == member.value { same += 1 }
            return same * 2 >= total
        case (.array, .array): return true
        default: return a.kind == b.kind
        }
    }

    /// Whether the gaps hold the same elements in another order, elements compared under the rules
    /// (bounded by ``Comparator/Configuration/Alignment/maxSimilarityCells`` comparisons).
    private mutating func isPermutationUnderRules(
        _ a: [JSONValue], _ b: [JSONValue], _ gapA: Range<Int>, _ gapB: Range<Int>, _ state: State
    ) -> Bool {
        guard gapA.count * gapB.count <= self.limits.maxSimilarityCells else { return false }
        var used = [Bool](repeating: false, count: gapB.count)
        for i in gapA {
            var found = false
            for (k, j) in gapB.enumerated() where !used[k] {
                if self.equal(a[i], b[j], self.step(state, .index(i))) {
                    used[k] = true
                    found = true
                    break
                }
            }
            if !found { return false }
        }
        return true
    }

    private static func isPermutation(_ a: ArraySlice<JSONValue>, _ b: ArraySlice<JSONValue>) -> Bool {
        var counts: [JSONValue: Int] = [:]
        for x in a { counts[x, default: 0] += 1 }
        for y in b {
            guard let c = counts[y], c > 0 else { return false }
            counts[y] = c - 1
        }
        return true
    }

    /// Whether no rule can apply at or below any element of the array (so exact equality is the comparison).
    private func elementRulesInactive(_ state: State, _ range: Range<Int>) -> Bool {
        if state.isEmpty && self.rules.lexicalNumbersRule == nil { return true }
        if self.rules.lexicalNumbersRule != nil { return false }
        for i in range where !self.step(state, .index(i)).isEmpty { return false }
        return true
    }

    // MARK: - Unordered arrays

    private mutating func diffUnordered(_ a: [JSONValue], _ b: [JSONValue], _ state: State, key: String?) {
        // Fast path: the same elements by key in the same order (the usual case) pair up by position.
        if let key, a.count == b.count {
            var aligned = true
            for i in a.indices {
                guard case .object(let x) = a[i], case .object(let y) = b[i], let kx = x[key], let ky = y[key], kx == ky else {
                    aligned = false
                    break
                }
            }
            if aligned {
                for i in a.indices {
                    self.child(.index(i), a[i], b[i], state)
                    if self.probing && self.differs { return }
                }
                return
            }
        }
        var matchedB = [Bool](repeating: false, count: b.count)
        var unmatchedA: [Int] = []
        if let key {
            var byKey: [JSONValue: [Int]] = [:]
            for (j, element) in b.enumerated() {
                if case .object(let o) = element, let k = o[key] { byKey[k, default: []].append(j) }
            }
            for (i, element) in a.enumerated() {
                if case .object(let o) = element, let k = o[key], var candidates = byKey[k], !candidates.isEmpty {
                    let j = candidates.removeFirst()
                    byKey[k] = candidates
                    matchedB[j] = true
                    self.child(.index(i), element, b[j], state)
                    if self.probing && self.differs { return }
                } else {
                    unmatchedA.append(i)
                }
            }
        } else {
            unmatchedA = Array(a.indices)
        }
        // Multiset matching for the rest: exact first (hashed), then rule-aware when rules apply inside.
        var stillUnmatched: [Int] = []
        var exact: [JSONValue: [Int]] = [:]
        for j in b.indices where !matchedB[j] { exact[b[j], default: []].append(j) }
        for i in unmatchedA {
            if var candidates = exact[a[i]], let j = candidates.first(where: { !matchedB[$0] }) {
                matchedB[j] = true
                candidates.removeAll { $0 == j }
                exact[a[i]] = candidates
                // Equal values may still need rule counting below (e.g. an ignore inside): walk them.
                if !self.step(state, .index(i)).isEmpty { self.child(.index(i), a[i], b[j], state) }
            } else {
                stillUnmatched.append(i)
            }
        }
        var remaining: [Int] = []
        for i in stillUnmatched {
            let childState = self.step(state, .index(i))
            var found: Int?
            if !childState.isEmpty || self.rules.lexicalNumbersRule != nil {
                var budget = self.limits.maxSimilarityCells
                for j in b.indices where !matchedB[j] {
                    budget -= 1
                    if budget < 0 { break }
                    if self.equal(a[i], b[j], childState) {
                        found = j
                        break
                    }
                }
            }
            if let j = found {
                matchedB[j] = true
                self.child(.index(i), a[i], b[j], state)
            } else {
                remaining.append(i)
            }
        }
        for i in remaining {
            self.oneSided(.missingInCandidate, .index(i), a[i], state)
            if self.probing && self.differs { return }
        }
        for j in b.indices where !matchedB[j] {
            self.oneSided(.extraInCandidate, .index(j), b[j], state)
            if self.probing && self.differs { return }
        }
    }

    // MARK: - Helpers

    @inline(__always)
    private func step(_ state: State, _ element: JSONPathElement) -> State {
        state.isEmpty ? state : self.rules.matcher.step(state, element)
    }

    /// Equality under the rules: exact when no rule can apply below, otherwise a probing walk (on this same
    /// differ, so it allocates nothing). The rules a successful probe applied are counted when `counting`:
    /// the elements are then taken as equal because of them.
    private mutating func equal(_ a: JSONValue, _ b: JSONValue, _ state: State, counting: Bool = false) -> Bool {
        if state.isEmpty && self.rules.lexicalNumbersRule == nil { return a == b }
        let wasProbing = self.probing
        let wasDiffering = self.differs
        self.probing = true
        self.differs = false
        self.diff(a, b, state)
        let equal = !self.differs
        self.probing = wasProbing
        self.differs = wasDiffering
        if !wasProbing {
            if equal && counting {
                for (rule, n) in self.probeApplications { self.applications[rule, default: 0] += n }
            }
            self.probeApplications.removeAll(keepingCapacity: true)
        }
        return equal
    }

    private mutating func child(_ element: JSONPathElement, _ a: JSONValue, _ b: JSONValue, _ state: State) {
        self.elements.append(element)
        self.diff(a, b, self.step(state, element))
        self.elements.removeLast()
    }

    /// A value present on one side only, unless an ignore rule selects it.
    private mutating func oneSided(_ kind: DiscrepancyKind, _ element: JSONPathElement, _ value: JSONValue, _ state: State) {
        let childState = self.step(state, element)
        if !childState.isEmpty {
            for index in self.rules.matcher.acceptedPaths(childState) {
                if case .ignore = self.rules.pathRules[index].action {
                    self.count(self.rules.pathRules[index].rule)
                    return
                }
            }
        }
        self.elements.append(element)
        if kind == .missingInCandidate {
            self.emit(kind, value, nil)
        } else {
            self.emit(kind, nil, value)
        }
        self.elements.removeLast()
    }

    private mutating func emit(_ kind: DiscrepancyKind, _ legacy: JSONValue?, _ candidate: JSONValue?) {
        self.differs = true
        if self.probing { return }
        self.discrepancies.append(
            Discrepancy(
                path: self.elements.jsonPointer,
                field: self.elements.collapsedField,
                kind: kind,
                legacyValue: legacy?.serialized(),
                candidateValue: candidate?.serialized()
            )
        )
    }

    private mutating func count(_ rule: Int, _ n: Int = 1) {
        if self.probing {
            self.probeApplications[rule, default: 0] += n
        } else {
            self.applications[rule, default: 0] += n
        }
    }

    static func within(_ a: JSONNumber, _ b: JSONNumber, _ tolerance: (absolute: Double?, relative: Double?)) -> Bool {
        let x = a.doubleValue
        let y = b.doubleValue
        guard x.isFinite, y.isFinite else { return false }
        let difference = abs(x - y)
        if let absolute = tolerance.absolute, difference <= absolute { return true }
        if let relative = tolerance.relative, difference <= relative * max(abs(x), abs(y)) { return true }
        return false
    }

    static func equivalent(_ a: JSONValue, _ b: JSONValue, _ equivalence: Equivalence) -> Bool {
        switch equivalence {
        case .timestamp:
            guard let x = Instant(a), let y = Instant(b) else { return false }
            return x == y
        case .caseInsensitive:
            guard case .string(let x) = a, case .string(let y) = b else { return false }
            return x.lowercased().hasSameBytes(as: y.lowercased())
        }
    }
}
