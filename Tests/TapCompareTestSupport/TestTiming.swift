import Foundation
import NIOCore

/// How long the tests give honest work before calling it a hang, stretched for slow builds.
///
/// A sanitizer build runs several times slower than a debug build (ThreadSanitizer's documented slowdown is
/// 5–15×); on a 2-core host with the suites running in parallel an event loop can stall for seconds. A timeout that
/// only guards against a hang then fires on work that would have finished: a 504 from a 1 s connect timeout, a wait
/// loop giving up with half the rows written. `scripts/tsan.sh` sets `TAPCOMPARE_TEST_TIMEOUT_SCALE`, and every such guard
/// (harness timeouts, wait loops, suite time limits) is multiplied by it.
///
/// Timeouts a test *expects to fire* are never scaled: they are what the test checks (a hanging legacy must get
/// its 504 after `read_timeout`, however slow the build).
public enum TestTiming {
    /// `TAPCOMPARE_TEST_TIMEOUT_SCALE`, a whole number ≥ 1. Default 1 (a plain `swift test`).
    public static let scale: Int = {
        guard let text = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_TIMEOUT_SCALE"], !text.isEmpty else { return 1 }
        guard let value = Int(text), value >= 1 else {
            fatalError("TAPCOMPARE_TEST_TIMEOUT_SCALE='\(text)' is not a whole number ≥ 1 (scripts/tsan.sh sets 4; unset it for 1)")
        }
        return value
    }()

    /// How long a wait gives the event it waits for before the test fails as a hang: 30 s (before ``scale``).
    ///
    /// A wait ends the moment its event happens, so this only decides how long a broken run takes to fail. 10 s
    /// was too short once in 27 clean-clone runs: in the suite's opening seconds, when every suite starts at once
    /// on 2 cores, two waits for the proxy to close an idle connection (its idle timer, a shutdown) gave up at
    /// 10 s, and every other test of that run passed.
    public static let eventWait: Duration = .seconds(30)

    /// The connect timeout a harness gives a local server it expects to reach: 10 s × ``scale``.
    ///
    /// A connect to 127.0.0.1 either completes at once or is refused at once; it only takes longer when the machine
    /// stalls (a loopback SYN dropped while the listener's accept queue is full is retried after 1 s). The
    /// production default (1 s) then fires on a connection that would have succeeded, and a test that expected an
    /// answer sees a 504 or a missing comparison. Tests that check a connect failure use a refused port, which
    /// fails immediately whatever this is.
    public static var localConnect: Duration { Self.scaled(Duration.seconds(10)) }

    /// ``localConnect`` for NIO and AsyncHTTPClient configurations.
    public static var localConnectAmount: TimeAmount { TimeAmount(Self.localConnect) }

    /// `duration` × ``scale``.
    public static func scaled(_ duration: Duration) -> Duration { duration * Self.scale }

    /// `amount` × ``scale``, for NIO and AsyncHTTPClient timeouts.
    public static func scaled(_ amount: TimeAmount) -> TimeAmount { .nanoseconds(amount.nanoseconds * Int64(Self.scale)) }

    /// `minutes` × ``scale``, for `.timeLimit(.minutes(TestTiming.minutes(1)))`.
    public static func minutes(_ minutes: Int) -> Int { minutes * Self.scale }
}
