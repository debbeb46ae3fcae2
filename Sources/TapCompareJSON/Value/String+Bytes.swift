extension String {
    /// Whether two strings have the same UTF-8 bytes.
    ///
    /// Why not `==`: Swift's `==` is Unicode canonical equivalence, so `"é"` (U+00E9) equals `"e\u{301}"`; a
    /// service that changed normalization form changed its bytes on the wire, and the comparison must see it.
    @inlinable
    public func hasSameBytes(as other: String) -> Bool {
        var a = self
        var b = other
        guard a.utf8.count == b.utf8.count else { return false }
        return a.withUTF8 { pa in b.withUTF8 { pb in pa.elementsEqual(pb) } }
    }
}
