import TapCompareCapture
import TapCompareTestSupport

extension ReplayConfiguration {
    /// This configuration with its call and connect timeouts scaled by ``TestTiming``: in the tests that use it
    /// they only guard against a hang, and a sanitizer build can take longer than the defaults for honest answers.
    func withTestTimeouts() -> ReplayConfiguration {
        var configuration = self
        configuration.timeout = TestTiming.scaled(configuration.timeout)
        configuration.connectTimeout = TestTiming.scaled(configuration.connectTimeout)
        return configuration
    }
}
