import TapCompareCapture
import TapCompareTestSupport

extension ReplayConfiguration {
    /// This configuration with its call timeout scaled by ``TestTiming`` and its connect timeout at
    /// ``TestTiming/localConnect``: in the tests that use it they only guard against a hang. The connect timeout
    /// covers an HTTP/2 server's SETTINGS and a TLS handshake, both answered by a server in this test process; with
    /// every suite running at once on 2 cores that took longer than replay's 2 s default once in CI (a TLS replay
    /// got no answer at all).
    func withTestTimeouts() -> ReplayConfiguration {
        var configuration = self
        configuration.timeout = TestTiming.scaled(configuration.timeout)
        configuration.connectTimeout = max(TestTiming.localConnect, TestTiming.scaled(configuration.connectTimeout))
        return configuration
    }
}
