import Foundation
import TapCompareCapture
import TapCompareCore

/// How `replay`'s typed options are parsed: ArgumentParser runs these transforms as it reads the command line.
///
/// A value that does not parse is kept as its ``ReplayError`` rather than thrown: ArgumentParser would report it as
/// a usage error (status 64, its own wording, the usage text), while `replay` promises CI one line naming the flag
/// and the fix with status 2, and checks its flags in a fixed order (``ReplayCommand`` calls `get()` on each).
enum ReplayArgument {
    /// A flag's parsed value, or why it could not be parsed.
    typealias Parsed<Value> = Result<Value, ReplayError>

    /// An upstream URL (`--candidate`, `--legacy`).
    static func target(_ flag: String) -> @Sendable (String) -> Parsed<ReplayTarget> {
        { text in Result { () throws(ReplayError) in try ReplayTarget(parsing: text, flag: flag) } }
    }

    /// A number for which `valid` holds; otherwise `message(text)`.
    static func number(
        where valid: @escaping @Sendable (Double) -> Bool,
        else message: @escaping @Sendable (String) -> String
    ) -> @Sendable (String) -> Parsed<Double> {
        { text in
            guard let value = Double(text), valid(value) else { return .failure(.badArgument(message(text))) }
            return .success(value)
        }
    }

    /// A whole number in `range`; otherwise `message(text)`.
    static func wholeNumber(
        in range: ClosedRange<Int>,
        else message: @escaping @Sendable (String) -> String
    ) -> @Sendable (String) -> Parsed<Int> {
        { text in
            guard let value = Int(text), range.contains(value) else { return .failure(.badArgument(message(text))) }
            return .success(value)
        }
    }

    /// A duration above zero (`30s`, `500ms`, `10m`); otherwise "`flag` 'text' is not a duration; write e.g. `example`".
    static func duration(_ flag: String, example: String) -> @Sendable (String) -> Parsed<Duration> {
        { text in
            guard let value = DurationParser.parse(text), value > .zero else {
                return .failure(.badArgument("\(flag) '\(text)' is not a duration; write e.g. \(example)"))
            }
            return .success(value)
        }
    }

    /// `--shift-time`: where a request timestamp is moved forward.
    static let timeShift: @Sendable (String) -> Parsed<ReplayTimeShift> = { text in
        Result { () throws(ReplayError) in try ReplayTimeShift(parsing: text) }
    }

    /// `--header 'NAME: VALUE'`.
    static let header: @Sendable (String) -> Parsed<ReplayHeader> = { text in
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            return .failure(.badArgument("--header '\(text)' must be 'NAME: VALUE', e.g. --header 'Authorization: Bearer test-token'"))
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        return .success(ReplayHeader(name: name, value: value))
    }
}

/// A header `replay --header` sets on every request, replacing the captured one.
struct ReplayHeader: Sendable {
    var name: String
    var value: String
}
