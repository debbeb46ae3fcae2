import Foundation
import NIOConcurrencyHelpers

/// Progress of a replay: counters updated by the workers, printed by ``report(total:)``.
///
/// On a terminal a bar redrawn in place ten times a second; elsewhere (CI logs) a plain line every few seconds,
/// because carriage returns make a log unreadable.
public final class ReplayProgress: Sendable {
    private struct Counts {
        var done = 0
        var failing = 0
    }

    private let counts = NIOLockedValueBox(Counts())
    private let start = ContinuousClock.now
    /// Exchanges to go through; `nil` for a loop (then no bar and no ETA).
    let total: Int?
    let isTerminal: Bool
    let interval: Duration
    private let output: @Sendable (String) -> Void

    /// - Parameters:
    ///   - isTerminal: whether to draw a bar (default: standard error is a terminal).
    ///   - output: where lines go. Default: standard error.
    public init(
        total: Int?,
        isTerminal: Bool = isatty(STDERR_FILENO) == 1,
        interval: Duration? = nil,
        output: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.total = total
        self.isTerminal = isTerminal
        self.interval = interval ?? (isTerminal ? .milliseconds(100) : .seconds(5))
        self.output = output
    }

    func completed(failing: Bool) {
        self.counts.withLockedValue {
            $0.done += 1
            if failing { $0.failing += 1 }
        }
    }

    /// The current line, e.g. `[#####-----] 1234/5000  24%  3456 req/s  ETA 1s  mismatches 12`.
    public func line() -> String {
        let c = self.counts.withLockedValue { $0 }
        let elapsed = (ContinuousClock.now - self.start).seconds
        let rate = elapsed > 0 ? Double(c.done) / elapsed : 0
        guard let total = self.total else {
            return (self.isTerminal ? "" : "replay: ") + "\(c.done) done  \(Int(rate)) req/s  mismatches \(c.failing)"
        }
        let fraction = total == 0 ? 1 : Double(c.done) / Double(total)
        let eta = rate > 0 ? Double(total - c.done) / rate : 0
        let stats = "\(c.done)/\(total) \(String(format: "%3d%%", Int(fraction * 100)))  \(Int(rate)) req/s  ETA \(Self.format(eta))  mismatches \(c.failing)"
        if self.isTerminal {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + stats
        }
        return "replay: " + stats
    }

    /// Prints the progress until cancelled, then once more.
    func report() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: self.interval)
            if Task.isCancelled { break }
            self.emit()
        }
        self.emit()
        if self.isTerminal { self.output("\n") }
    }

    private func emit() {
        self.output(self.isTerminal ? "\r\u{1B}[K" + self.line() : self.line() + "\n")
    }

    static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

extension Duration {
    var seconds: Double {
        let (s, a) = self.components
        return Double(s) + Double(a) / 1e18
    }
}
