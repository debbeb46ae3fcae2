/// Whether terminal output gets ANSI colour: only on a terminal, and never when `NO_COLOR` is set to anything but
/// the empty string (https://no-color.org), nor when `TERM=dumb`.
public enum ColorPolicy {
    public static func useColor(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return true
    }
}
