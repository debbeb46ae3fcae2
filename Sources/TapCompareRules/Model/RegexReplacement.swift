import Foundation

/// A compiled `replace` rule: every match of `pattern` is replaced by `template` (`$1` refers to a group).
///
/// `NSRegularExpression` rather than Swift `Regex`: it is immutable and documented thread-safe, so one compiled
/// instance is shared by every comparison worker; `Regex<AnyRegexOutput>` is not `Sendable`.
public struct RegexReplacement: @unchecked Sendable {
    public let pattern: String
    public let template: String
    let regex: NSRegularExpression

    /// - Throws: the `NSRegularExpression` error for an invalid pattern.
    public init(pattern: String, template: String) throws {
        self.pattern = pattern
        self.template = template
        self.regex = try NSRegularExpression(pattern: pattern)
    }

    /// `string` with every match replaced.
    public func apply(to string: String) -> String {
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return self.regex.stringByReplacingMatches(in: string, range: range, withTemplate: self.template)
    }
}
