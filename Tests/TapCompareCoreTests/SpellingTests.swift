import TapCompareCore
import Testing

/// The one "did you mean" and the one header-name check, shared by the rule files, the configuration and the
/// command line.
struct SpellingTests {
    @Test func suggestsTheClosestKnownSpellingOnlyWhenItIsClose() {
        let keys = ["sample_rate", "candidate", "legacy", "routes"]
        #expect(Spelling.closest(to: "sample_rat", in: keys) == "sample_rate")
        #expect(Spelling.closest(to: "Legacy", in: keys) == "legacy", "case alone is a misspelling")
        #expect(Spelling.closest(to: "candidat", in: keys) == "candidate")
        #expect(Spelling.closest(to: "shadow_header", in: keys) == nil, "nothing close: no guess")
        #expect(Spelling.closest(to: "legacy", in: keys) == nil, "a known key is not a misspelling of itself")
        #expect(Spelling.closest(to: "rutes", in: ["routes", "rules"]) == "routes", "ties go to the first in order")
        #expect(Spelling.editDistance("kitten", "sitting") == 3)
        #expect(Spelling.editDistance("", "abc") == 3)
    }

    @Test func headerNamesAreRFC9110Tokens() {
        for name in ["X-Request-Id", "x_version", "A1", "!#$%&'*+-.^_`|~"] { #expect(HTTPToken.isValid(name), "\(name)") }
        for name in ["", "X Request", "X:Y", "é", "X-Ver(sion)", "a\"b"] { #expect(!HTTPToken.isValid(name), "\(name)") }
    }
}
