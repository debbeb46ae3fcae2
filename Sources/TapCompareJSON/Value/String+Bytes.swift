#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether two strings have the same UTF-8 bytes.
    ///
    /// Why not `==`: Swift's `==` is Unicode canonical equivalence, so `"é"` (U+00E9) equals `"e\u{301}"`; a
    /// service that changed normalization form changed its bytes on the wire, and the comparison must see it.
    @inlinable
    public func hasSameBytes(as other: String) -> Bool {
        // Identical representations hold identical bytes: two small strings with the same bytes have the same
        // bits, and two large ones with the same bits share one buffer. The common "same key" case ends here.
        if unsafeBitCast(self, to: (UInt64, UInt64).self) == unsafeBitCast(other, to: (UInt64, UInt64).self) { return true }
        let count = self.utf8.count
        guard count == other.utf8.count else { return false }
        if count == 0 { return true }
        if let result = self.utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in memcmp(a.baseAddress!, b.baseAddress!, count) == 0 }
        }), let result {
            return result
        }
        return self.utf8.elementsEqual(other.utf8)
    }
}
