/// Parsing a document against a similar one: the candidate's body against legacy's.
///
/// Two answers to one request are mostly the same bytes. Parsed on their own, both are tokenized and built in
/// full, and the diff then walks the two trees to find them equal almost everywhere. Parsed against the first
/// (the *guide*), the second document takes every array or object that is byte for byte the guide's at the same
/// place (same keys and indices from the root) from the guide, shared rather than parsed: one comparison of
/// bytes instead of a parse, and a tree whose unchanged parts are the guide's own storage, which equality and
/// the diff recognize without walking them (``JSONValue/sharesStorage(with:)``).
///
/// The result is the same value a plain parse gives: identical bytes of a complete value that parsed once parse
/// the same way again, at the same depth (the same place has the same depth), so every error and limit holds.
extension JSONParser {
    /// The byte range of one array or object of a parsed document, and how many arrays and objects it contains,
    /// so the spans of its children are found without walking the value.
    struct ContainerSpan {
        var start: Int
        var end: Int
        var descendants: Int
        /// How many objects of it (itself included) repeat a key.
        var objectsWithDuplicateKeys: Int
    }

    /// The document being parsed against: its bytes and its container spans in document order.
    struct Guide {
        var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        var spans = UnsafeBufferPointer<ContainerSpan>(start: nil, count: 0)

        /// The guide's children of one container, met in order as the parser meets its own: the n-th element
        /// of an array, or the n-th member of an object when it has the same key.
        struct Children {
            var elements: [JSONValue] = []
            var members: [JSONObject.Member] = []
            private var position = 0
            /// The span of the guide's next child that is a container.
            private var cursor: Int

            init(span: Int) { self.cursor = span + 1 }

            mutating func nextElement(_ spans: UnsafeBufferPointer<ContainerSpan>) -> (JSONValue?, Int) {
                guard self.position < self.elements.count else { return (nil, -1) }
                let value = self.elements[self.position]
                self.position += 1
                return (value, self.advance(over: value, spans))
            }

            mutating func nextMember(_ key: String, _ spans: UnsafeBufferPointer<ContainerSpan>) -> (JSONValue?, Int) {
                guard self.position < self.members.count else { return (nil, -1) }
                let member = self.members[self.position]
                self.position += 1
                let span = self.advance(over: member.value, spans)
                guard member.key.hasSameBytes(as: key) else { return (nil, -1) }
                return (member.value, span)
            }

            private mutating func advance(over value: JSONValue, _ spans: UnsafeBufferPointer<ContainerSpan>) -> Int {
                switch value {
                case .array, .object:
                    let span = self.cursor
                    self.cursor += 1 + spans[span].descendants
                    return span
                default:
                    return -1
                }
            }
        }
    }

    /// Parses two documents, the second against the first (see above). Each result is what
    /// ``parseDocument(_:options:)`` gives for that document alone; when the first fails, the second is parsed
    /// on its own.
    public static func parseSimilarDocuments(
        _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, options: Options = .init()
    ) -> (
        first: Result<(value: JSONValue, hasDuplicateKeys: Bool), JSONParseError>,
        second: Result<(value: JSONValue, hasDuplicateKeys: Bool), JSONParseError>
    ) {
        var parser = JSONParser(bytes: first, options: options)
        parser.spans = []
        let guide = Result { () throws(JSONParseError) in try parser.parseWholeDocument() }
        guard case .success(let document) = guide, let spans = parser.spans else {
            return (guide, Result { () throws(JSONParseError) in try parseDocument(second, options: options) })
        }
        let result = spans.withUnsafeBufferPointer { spans in
            Result { () throws(JSONParseError) -> (value: JSONValue, hasDuplicateKeys: Bool) in
                var guided = JSONParser(bytes: second, options: options)
                guided.guide = Guide(bytes: first, spans: spans)
                return try guided.parseWholeDocument(counterpart: document.value)
            }
        }
        return (guide, result)
    }

    /// Opens the span of the container starting at ``index`` (when recording): its slot.
    @inline(__always)
    mutating func openSpan() -> Int {
        guard self.spans != nil else { return -1 }
        self.spans!.append(ContainerSpan(start: self.index, end: self.index, descendants: 0, objectsWithDuplicateKeys: self.objectsWithDuplicateKeys))
        return self.spans!.count - 1
    }

    /// Closes the span opened at `slot`, the container having ended just before ``index``.
    @inline(__always)
    mutating func closeSpan(_ slot: Int) {
        guard slot >= 0 else { return }
        self.spans![slot].end = self.index
        self.spans![slot].descendants = self.spans!.count - slot - 1
        // Opened with the count before it, closed with the count after it: the difference is its own.
        self.spans![slot].objectsWithDuplicateKeys = self.objectsWithDuplicateKeys - self.spans![slot].objectsWithDuplicateKeys
    }

    /// When the bytes at ``index`` are exactly those of the guide's container `span`, moves past them.
    @inline(__always)
    mutating func skipSameBytes(as span: Int) -> Bool {
        let s = self.guide.spans[span]
        let length = s.end - s.start
        guard length <= self.bytes.count - self.index,
            Self.equalBytes(self.bytes.baseAddress! + self.index, self.guide.bytes.baseAddress! + s.start, length)
        else { return false }
        self.index += length
        // A part taken from the guide brings its repeated keys along.
        self.objectsWithDuplicateKeys += s.objectsWithDuplicateKeys
        return true
    }

    /// How many of the `count` bytes at `a` and `b` are equal before the first that differs, eight at a time.
    static func commonPrefixLength(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Int {
        var i = 0
        while i + 8 <= count {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Little-endian loads: the lowest set bit is in the first differing byte.
            if x != 0 { return i + (x.littleEndian.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < count, a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) { i += 1 }
        return i
    }

    /// Whether `count` bytes at `a` and `b` are equal, eight at a time.
    static func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}
