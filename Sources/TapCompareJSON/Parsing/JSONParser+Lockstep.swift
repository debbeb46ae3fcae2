/// Parsing two similar documents in lockstep for a diff, building only what differs.
///
/// Two answers to one request are mostly the same bytes, and a diff with no rule to apply needs only the parts
/// that differ. Parsed against the first (``parseSimilarDocuments(_:_:options:)``), the second document shares
/// the first's unchanged parts, but the first is still built in full: every string, number, array and object
/// allocated, only to be found equal and freed. Here both documents are walked token by token side by side; a
/// value that is the same on both sides (token for token, whitespace aside) is validated and moved past and
/// nothing is built for it: both trees hold ``unbuiltEqualPart`` in its place, one storage that the diff skips
/// (``JSONValue/sharesStorage(with:)``).
///
/// Such trees are for a diff that pairs values as this walk does and reads nothing else of them, so the walk
/// places an unbuilt part only where the rule-free diff (`JSONDiffer`) pairs it with its twin and never looks inside:
/// - an object is walked member by member while both sides have the same keys in the same order, no escaped
///   key and no repeated key: then the diff pairs members by position too. Anything else (another key,
///   another member count, an escaped or repeated key) builds both objects in full;
/// - an array is walked element by element while both sides have as many elements. With at most one pair of
///   elements differing, the diff finds that pair as its whole gap and compares the two directly. With more,
///   the diff's alignment (identities, similarity, permutations, `array_order` with the whole arrays) reads every
///   element between the first and the last change, so the array is built in full unless the walk finds, as
///   the diff would, that its elements carry the same identity (`identityKeys`, e.g. `id`) at every position
///   of that gap: then the diff pairs them by position and reads nothing of the unbuilt ones
///   (``Lockstep/pairedByPosition(from:)``). Another element count builds both arrays in full;
/// - "in full" is the guided parse of ``parseSimilarDocuments(_:_:options:)`` for that container: the same
///   trees a parse of the whole documents gives there.
/// A repeated key inside an unbuilt part is repeated alike on the other side at the same place, which is never
/// a `duplicate_key` discrepancy; so the documents' duplicate-key flags count only built objects.
///
/// The walk fails where a plain parse of either document fails (same scans, same limits: an unbuilt part sits
/// at the same depth on both sides), but without the plain parse's error: callers parse again on failure.
extension JSONParser {
    /// Stands, in both trees of ``parseForDiff(_:_:options:)``, for a value that is equal in both documents and
    /// was not built. Its content means nothing; only its storage, the same on both sides, does.
    public static let unbuiltEqualPart: JSONValue = .array([.string("(equal in both documents; not built)")])

    /// The two documents parsed for a rule-free diff (see above), each with whether one of its built objects
    /// repeats a key; `nil` when either document does not parse (or the walk gave up: see
    /// ``Lockstep/maxRebuiltBytes``), and the caller must parse them the usual way for the error.
    public static func parseForDiff(
        _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, options: Options = .init(), identityKeys: [String] = []
    ) -> (first: (value: JSONValue, hasDuplicateKeys: Bool), second: (value: JSONValue, hasDuplicateKeys: Bool))? {
        var lockstep = Lockstep(
            JSONParser(bytes: first, options: options), JSONParser(bytes: second, options: options), identityKeys: identityKeys
        )
        do throws(JSONParseError) {
            return try lockstep.documents()
        } catch {
            return nil
        }
    }

    /// The walk: one parser per document, advanced together.
    struct Lockstep {
        var l: JSONParser
        var c: JSONParser
        /// Members walked so far of the objects being walked (legacy's key bytes, their fingerprint, and the two
        /// values when they differ); popped at each object's end.
        var members: [Member] = []
        /// Elements walked so far of the arrays being walked: where each starts in both documents, and the two
        /// values when they differ (`nil`: equal, not built).
        var elements: [Element] = []
        /// The keys the diff aligns arrays of objects by (`RouteRules.identityKeys`), in its order of preference.
        let identityKeys: [String]
        /// Bytes of the first document walked once and then built again (a container that turned out to need
        /// building). Past ``maxRebuiltBytes`` the walk gives up, so nesting cannot make it quadratic.
        var rebuiltBytes = 0
        /// The first document's index where its bytes stop being the second's, read with the two documents
        /// aligned as `commonShift` says (the second's index minus the first's); recomputed when the walk has moved
        /// past it or the alignment changed, so each byte is compared about once.
        var commonEnd = 0
        var commonShift = Int.min
        /// What the last skip that gave up at ``commonEnd`` found (``JSONParser/SkipTrail``), and the next of its
        /// elements the walk will meet.
        var trail = JSONParser.SkipTrail()
        var trailCursor = 0

        struct Element {
            var l: Int
            var c: Int
            var values: (JSONValue, JSONValue)?
        }

        struct Member {
            var keyStart: Int
            var keyEnd: Int
            var hash: UInt64
            var values: (JSONValue, JSONValue)?
        }

        init(_ l: JSONParser, _ c: JSONParser, identityKeys: [String]) {
            self.l = l
            self.c = c
            self.identityKeys = identityKeys
        }

        /// Twice the first document: re-walking costs less than building, so a document whose changes make
        /// most containers be built gives up at about the cost of the guided parse.
        var maxRebuiltBytes: Int { 2 * self.l.bytes.count + 64 }

        mutating func documents() throws(JSONParseError) -> (first: (value: JSONValue, hasDuplicateKeys: Bool), second: (value: JSONValue, hasDuplicateKeys: Bool)) {
            self.l.skipWhitespace()
            self.c.skipWhitespace()
            // Not skipped whole: two documents that differ only in their whitespace are never compared.
            let pair = try self.value(skipping: false)
            self.l.skipWhitespace()
            self.c.skipWhitespace()
            guard self.l.index == self.l.bytes.count else { throw self.l.error("unexpected \(self.l.describeCurrent()) after the document") }
            guard self.c.index == self.c.bytes.count else { throw self.c.error("unexpected \(self.c.describeCurrent()) after the document") }
            let (a, b) = pair ?? (JSONParser.unbuiltEqualPart, JSONParser.unbuiltEqualPart)
            return ((a, self.l.sawDuplicateKeys), (b, self.c.sawDuplicateKeys))
        }

        /// The values at both parsers' ``index``: `nil` when they are the same tokens (nothing built), else both built.
        /// `element`: the value is an array's element, whose own keys the walk may read as its identity.
        mutating func value(element: Bool = false, skipping: Bool = true) throws(JSONParseError) -> (JSONValue, JSONValue)? {
            guard self.l.index < self.l.bytes.count, self.c.index < self.c.bytes.count else {
                throw JSONParseError(offset: self.l.index, reason: "unexpected end of input, expected a value")
            }
            if skipping, try self.skipSameValue(element: element) { return nil }
            let first = self.l.bytes[self.l.index]
            if first == self.c.bytes[self.c.index] {
                switch first {
                case UInt8(ascii: "{"): return try self.object()
                case UInt8(ascii: "["): return try self.array()
                case UInt8(ascii: "\""):
                    let start = self.l.index
                    _ = try self.l.skipString()
                    if self.sameBytes(from: start) { return nil }
                    self.l.index = start
                    return (.string(try self.l.parseString()), .string(try self.c.parseString()))
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let (ls, cs) = (self.l.index, self.c.index)
                    try self.l.scanNumberEnd()
                    try self.c.scanNumberEnd()
                    if self.l.index - ls == self.c.index - cs,
                        JSONParser.equalBytes(self.l.bytes.baseAddress! + ls, self.c.bytes.baseAddress! + cs, self.l.index - ls)
                    {
                        return nil
                    }
                    return (self.l.number(from: ls), self.c.number(from: cs))
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    // A literal builds nothing, and the same first letter is the same literal.
                    _ = try self.l.parseValue()
                    _ = try self.c.parseValue()
                    return nil
                default:
                    break
                }
            }
            return (try self.l.parseValue(), try self.c.parseValue())
        }

        /// Moves both parsers past the value at their index when its bytes are the same in both documents: the first
        /// document's scan validates it for both (``JSONParser/skipValue(endingBefore:ownKeys:)``), and the second's
        /// bytes are only compared, eight at a time. Most of two answers to one request goes this way.
        mutating func skipSameValue(element: Bool) throws(JSONParseError) -> Bool {
            let shift = self.c.index - self.l.index
            if shift != self.commonShift || self.l.index > self.commonEnd {
                self.commonShift = shift
                self.commonEnd = self.l.index + JSONParser.commonPrefixLength(
                    self.l.bytes.baseAddress! + self.l.index, self.c.bytes.baseAddress! + self.c.index,
                    min(self.l.bytes.count - self.l.index, self.c.bytes.count - self.c.index)
                )
                self.trail.reachedLimit = false
            }
            // Two bytes at least: a value and the byte after it.
            guard self.commonEnd - self.l.index >= 2 else { return false }
            let start = self.l.index
            if self.trail.reachedLimit {
                // Known from the skip that gave up at this limit: an element that ended before it, or a container
                // that holds it.
                let elements = self.trail.elements
                while self.trailCursor < elements.count, elements[self.trailCursor].start < start { self.trailCursor += 1 }
                if element, self.trailCursor < elements.count, elements[self.trailCursor].start == start {
                    self.l.index = elements[self.trailCursor].end
                    self.c.index += self.l.index - start
                    return true
                }
                if self.trail.open.contains(start) { return false }
            }
            guard try self.l.skipValue(endingBefore: self.commonEnd, ownKeys: element) else {
                if self.l.trail.reachedLimit {
                    swap(&self.trail, &self.l.trail)
                    self.trailCursor = 0
                }
                return false
            }
            self.c.index += self.l.index - start
            return true
        }

        /// When the candidate's bytes at its index are the legacy's from `start` to its index, moves past them.
        @inline(__always)
        mutating func sameBytes(from start: Int) -> Bool {
            let length = self.l.index - start
            guard length <= self.c.bytes.count - self.c.index,
                JSONParser.equalBytes(self.c.bytes.baseAddress! + self.c.index, self.l.bytes.baseAddress! + start, length)
            else { return false }
            self.c.index += length
            return true
        }

        /// Both parsers' current byte, when both have one and it is the same.
        @inline(__always)
        func common() -> UInt8? {
            guard self.l.index < self.l.bytes.count, self.c.index < self.c.bytes.count else { return nil }
            let x = self.l.bytes[self.l.index]
            return x == self.c.bytes[self.c.index] ? x : nil
        }

        @inline(__always)
        mutating func skipWhitespace() {
            self.l.skipWhitespace()
            self.c.skipWhitespace()
        }

        /// Where a container's walk started, to build it from there instead.
        struct Mark {
            var l: Int
            var c: Int
            var depth: Int
            var duplicates: (Int, Int)
            var members: Int
            var elements: Int
        }

        func mark() -> Mark {
            Mark(
                l: self.l.index, c: self.c.index, depth: self.l.depth,
                duplicates: (self.l.objectsWithDuplicateKeys, self.c.objectsWithDuplicateKeys),
                members: self.members.count, elements: self.elements.count
            )
        }

        /// Builds both containers that start at `mark` (see the type's comment), undoing the walk since then.
        mutating func build(from mark: Mark) throws(JSONParseError) -> (JSONValue, JSONValue) {
            self.rebuiltBytes += self.l.index - mark.l
            guard self.rebuiltBytes <= self.maxRebuiltBytes else {
                throw JSONParseError(offset: self.l.index, reason: "too many parts rebuilt")
            }
            self.members.removeSubrange(mark.members...)
            self.elements.removeSubrange(mark.elements...)
            self.l.index = mark.l
            self.c.index = mark.c
            self.l.depth = mark.depth
            self.c.depth = mark.depth
            (self.l.objectsWithDuplicateKeys, self.c.objectsWithDuplicateKeys) = mark.duplicates
            self.l.spans = []
            let a = try self.l.parseValue()
            let spans = self.l.spans!
            self.l.spans = nil
            let guide = self.l.bytes
            let b = spans.withUnsafeBufferPointer { spans in
                Result { () throws(JSONParseError) -> JSONValue in
                    self.c.guide = Guide(bytes: guide, spans: spans)
                    defer { self.c.guide = Guide() }
                    return try self.c.parseValue(counterpart: a, span: 0)
                }
            }
            return (a, try b.get())
        }

        mutating func object() throws(JSONParseError) -> (JSONValue, JSONValue)? {
            let mark = self.mark()
            try self.l.enter()
            try self.c.enter()
            self.l.index += 1
            self.c.index += 1
            self.skipWhitespace()
            if self.common() == UInt8(ascii: "}") {
                self.l.index += 1
                self.c.index += 1
                self.l.depth -= 1
                self.c.depth -= 1
                return nil
            }
            var differs = false
            while true {
                self.skipWhitespace()
                guard self.common() == UInt8(ascii: "\"") else { return try self.build(from: mark) }
                let keyStart = self.l.index
                let escaped = try self.l.skipString()
                guard !escaped, self.sameBytes(from: keyStart) else { return try self.build(from: mark) }
                let key = UnsafeRawBufferPointer(rebasing: self.l.bytes[(keyStart + 1)..<(self.l.index - 1)])
                let hash = JSONParser.keyFingerprint(key)
                for k in mark.members..<self.members.count where self.members[k].hash == hash {
                    let other = self.members[k]
                    if other.keyEnd - other.keyStart == key.count,
                        JSONParser.equalBytes(self.l.bytes.baseAddress! + other.keyStart, key.baseAddress!, key.count)
                    {
                        return try self.build(from: mark)
                    }
                }
                self.skipWhitespace()
                guard self.common() == UInt8(ascii: ":") else { return try self.build(from: mark) }
                self.l.index += 1
                self.c.index += 1
                self.skipWhitespace()
                let values = try self.value()
                if values != nil { differs = true }
                self.members.append(Member(keyStart: keyStart + 1, keyEnd: keyStart + 1 + key.count, hash: hash, values: values))
                self.skipWhitespace()
                guard let separator = self.common(), separator == UInt8(ascii: ",") || separator == UInt8(ascii: "}") else {
                    return try self.build(from: mark)
                }
                self.l.index += 1
                self.c.index += 1
                if separator == UInt8(ascii: "}") { break }
            }
            self.l.depth -= 1
            self.c.depth -= 1
            defer { self.members.removeSubrange(mark.members...) }
            guard differs else { return nil }
            var a: [JSONObject.Member] = []
            var b: [JSONObject.Member] = []
            a.reserveCapacity(self.members.count - mark.members)
            b.reserveCapacity(self.members.count - mark.members)
            for k in mark.members..<self.members.count {
                let member = self.members[k]
                // Validated by the walk (no escape, well-formed UTF-8): its bytes are its text.
                let key = String(decoding: UnsafeRawBufferPointer(rebasing: self.l.bytes[member.keyStart..<member.keyEnd]), as: UTF8.self)
                let (x, y) = member.values ?? (JSONParser.unbuiltEqualPart, JSONParser.unbuiltEqualPart)
                a.append(JSONObject.Member(key: key, value: x))
                b.append(JSONObject.Member(key: key, value: y))
            }
            return (.object(JSONObject(members: a, hasDuplicateKeys: false)), .object(JSONObject(members: b, hasDuplicateKeys: false)))
        }

        mutating func array() throws(JSONParseError) -> (JSONValue, JSONValue)? {
            let mark = self.mark()
            try self.l.enter()
            try self.c.enter()
            self.l.index += 1
            self.c.index += 1
            self.skipWhitespace()
            if self.common() == UInt8(ascii: "]") {
                self.l.index += 1
                self.c.index += 1
                self.l.depth -= 1
                self.c.depth -= 1
                return nil
            }
            var differing = 0
            var firstDiffering = -1
            while true {
                self.skipWhitespace()
                // One side's elements end first: another element count.
                guard self.l.index < self.l.bytes.count, self.c.index < self.c.bytes.count,
                    self.l.bytes[self.l.index] != UInt8(ascii: "]"), self.c.bytes[self.c.index] != UInt8(ascii: "]")
                else { return try self.build(from: mark) }
                let (ls, cs) = (self.l.index, self.c.index)
                let values = try self.value(element: true)
                self.elements.append(Element(l: ls, c: cs, values: values))
                if values != nil {
                    differing += 1
                    if differing == 1 { firstDiffering = self.elements.count - 1 }
                    // Two differing pairs: by position only if each keeps an identity (see `pairedByPosition`),
                    // so stop walking at the first that does not.
                    if differing == 2, try !self.keepsAnIdentity(firstDiffering) { return try self.build(from: mark) }
                    if differing >= 2, try !self.keepsAnIdentity(self.elements.count - 1) { return try self.build(from: mark) }
                }
                self.skipWhitespace()
                guard let separator = self.common(), separator == UInt8(ascii: ",") || separator == UInt8(ascii: "]") else {
                    return try self.build(from: mark)
                }
                self.l.index += 1
                self.c.index += 1
                if separator == UInt8(ascii: "]") { break }
            }
            self.l.depth -= 1
            self.c.depth -= 1
            defer { self.elements.removeSubrange(mark.elements...) }
            guard differing > 0 else { return nil }
            if differing > 1 {
                guard try self.pairedByPosition(from: mark.elements) else { return try self.build(from: mark) }
            }
            var a: [JSONValue] = []
            var b: [JSONValue] = []
            a.reserveCapacity(self.elements.count - mark.elements)
            b.reserveCapacity(self.elements.count - mark.elements)
            for k in mark.elements..<self.elements.count {
                let (x, y) = self.elements[k].values ?? (JSONParser.unbuiltEqualPart, JSONParser.unbuiltEqualPart)
                a.append(x)
                b.append(y)
            }
            return (.array(a), .array(b))
        }

        /// Whether the differing pair of elements `k` has, for some identity key, the same identity on both sides,
        /// or identities under the first key on both sides (another id: the diff may find it removed and added).
        /// When neither holds, the diff cannot pair its array by position (a pair in its gap would need that for
        /// the key it picks; a pair outside its gap is equal and so has), and the array is built in full.
        mutating func keepsAnIdentity(_ k: Int) throws(JSONParseError) -> Bool {
            for key in self.identityKeys {
                if let (a, b) = try self.identities(k, key), a == b || key == self.identityKeys[0] { return true }
            }
            return false
        }

        /// The identities under `key` of the walked elements `k` on both sides, read from the bytes (see
        /// ``JSONParser/identity(at:key:firstOnly:)``); `nil` when either has none.
        mutating func identities(_ k: Int, _ key: String) throws(JSONParseError) -> (JSONValue, JSONValue)? {
            let element = self.elements[k]
            guard let (x, y) = element.values else {
                // Not built: walked as an object, hence without a repeated key; the same on both sides.
                guard let id = try self.l.identity(at: element.l, key: key, firstOnly: true) else { return nil }
                return (id, id)
            }
            // Built objects know whether they repeat a key; without one the first member of the name is the last.
            guard case .object(let a) = x, case .object(let b) = y,
                let ia = try self.l.identity(at: element.l, key: key, firstOnly: !a.hasDuplicateKeys),
                let ib = try self.c.identity(at: element.c, key: key, firstOnly: !b.hasDuplicateKeys)
            else { return nil }
            return (ia, ib)
        }

        /// Whether the diff pairs the walked array's elements (from `base`, as many on both sides, two or more of
        /// them differing) by position, reading nothing of the unbuilt ones. Its choice is made over its gap (from
        /// the first to the last pair whose values differ) with the first of ``identityKeys`` that every element of
        /// the gap carries on both sides (a string or number, unique within each side, one shared), and the same
        /// choice is made here, with the identities read from the bytes (an unbuilt element has no repeated or
        /// escaped key, so its identity is its first member of that name). Unbuilt elements are left where that
        /// choice is one of:
        /// - every position holds the same identity on both sides: the diff pairs by position;
        /// - with the first identity key, the positions that hold another identity on each side hold identities
        ///   found nowhere else in the gap on the other side: the diff pairs the rest by position and finds those
        ///   removed and added (no pair moves, so no `array_order`).
        /// On seeing an unbuilt element in such an array the diff does just that (`JSONDiffer`): pairs by
        /// position, but for a built pair whose identities under the first key differ, removed and added; so with
        /// another key chosen, no built pair may hold two identities under the first key.
        mutating func pairedByPosition(from base: Int) throws(JSONParseError) -> Bool {
            var lo = -1
            var hi = -1
            var unbuilt = false
            for k in base..<self.elements.count {
                guard let (x, y) = self.elements[k].values else {
                    unbuilt = true
                    continue
                }
                if !(x == y) {
                    if lo < 0 { lo = k }
                    hi = k
                }
            }
            guard unbuilt else { return false }
            // No gap, or one pair: compared as they are.
            if lo < 0 || lo == hi { return true }
            keys: for key in self.identityKeys {
                var seenA = Set<JSONValue>()
                var seenB = Set<JSONValue>()
                var moved: [(k: Int, a: JSONValue, b: JSONValue)] = []
                for k in lo...hi {
                    guard let (a, b) = try self.identities(k, key), seenA.insert(a).inserted, seenB.insert(b).inserted else {
                        continue keys
                    }
                    if !(a == b) { moved.append((k, a, b)) }
                }
                guard seenB.contains(where: { seenA.contains($0) }) else { continue keys }
                guard key == self.identityKeys[0] else {
                    guard moved.isEmpty else { return false }
                    for k in lo...hi {
                        if let (x, y) = self.elements[k].values, !(x == y), let (a, b) = try self.identities(k, self.identityKeys[0]), !(a == b) {
                            return false
                        }
                    }
                    return true
                }
                guard moved.allSatisfy({ !seenB.contains($0.a) && !seenA.contains($0.b) }) else { return false }
                // Reported whole, as removed and added: built in full.
                for m in moved { try self.buildElement(m.k) }
                return true
            }
            return false
        }

        /// Builds the walked element `k` of the array just walked in full on both sides, as a plain parse does.
        mutating func buildElement(_ k: Int) throws(JSONParseError) {
            let saved = (self.l.index, self.c.index, self.l.depth, self.c.depth)
            defer { (self.l.index, self.c.index, self.l.depth, self.c.depth) = saved }
            // The array has ended: its elements sit one level deeper.
            (self.l.depth, self.c.depth) = (saved.2 + 1, saved.3 + 1)
            (self.l.index, self.c.index) = (self.elements[k].l, self.elements[k].c)
            self.elements[k].values = (try self.l.parseValue(), try self.c.parseValue())
        }
    }
}
