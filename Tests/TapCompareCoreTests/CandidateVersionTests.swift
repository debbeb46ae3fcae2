import NIOHTTP1
import TapCompareCore
import Testing

/// The candidate's version header (`comparison.version_header`) is the candidate's to set: what is kept of it is
/// bounded and printable, whatever it sends.
@Suite struct CandidateVersionTests {
    @Test func readsTheFirstValueOfTheNamedHeaderCaseInsensitively() {
        var headers = HTTPHeaders()
        headers.add(name: "x-version", value: " 2.4.1 ")
        headers.add(name: "X-Version", value: "2.4.2")
        #expect(CandidateVersion(header: "X-Version", in: headers) == CandidateVersion(header: "X-Version", value: "2.4.1"))
        #expect(CandidateVersion(header: "X-Build", in: headers) == nil)
    }

    @Test func keepsAtMost64PrintableASCIIBytes() {
        #expect(CandidateVersion.bounded(String(repeating: "a", count: 100)) == String(repeating: "a", count: 64))
        #expect(CandidateVersion.bounded("v2\u{0}\u{1B}[31m") == "v2??[31m")
        #expect(CandidateVersion.bounded("v2-é") == "v2-?")
        #expect(CandidateVersion.bounded("   ") == nil)
        #expect(CandidateVersion.bounded("\u{7}\u{7}") == nil)
        #expect(CandidateVersion.bounded("") == nil)
        // A non-ASCII character is one `?`, never several bytes: the bound holds whatever is sent.
        #expect(CandidateVersion.bounded(String(repeating: "😀", count: 100)) == nil)
        #expect(CandidateVersion.bounded("1.0" + String(repeating: "😀", count: 100)) == "1.0" + String(repeating: "?", count: 61))
    }
}
