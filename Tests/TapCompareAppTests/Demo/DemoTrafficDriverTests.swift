import NIOConcurrencyHelpers
import NIOCore
@testable import TapCompareApp
import Testing

/// The demo's client sends a request once more only when its pooled connection closed before the request left
/// (`ioOnClosedChannel`), and only once; the summary counts each request once, and the resent ones apart.
@Suite struct DemoTrafficDriverTests {
    /// Attempts answered in order by `outcomes` (a status, or an error thrown); counts the attempts made.
    final class ScriptedAttempts: Sendable {
        let outcomes: [Result<Int, ChannelError>]
        private let made = NIOLockedValueBox(0)

        init(_ outcomes: [Result<Int, ChannelError>]) { self.outcomes = outcomes }

        var count: Int { self.made.withLockedValue { $0 } }

        func attempt() throws -> Int {
            let index = self.made.withLockedValue { made in
                defer { made += 1 }
                return made
            }
            return try self.outcomes[index].get()
        }
    }

    @Test("a request whose connection closed before it left is sent once more and counted once, as resent")
    func closedConnectionIsResentOnce() async {
        let attempts = ScriptedAttempts([.failure(.ioOnClosedChannel), .success(201)])
        let answer = await DemoTrafficDriver.send { try attempts.attempt() }
        #expect(answer == .status(201, resent: true))
        #expect(attempts.count == 2)
    }

    @Test("a second close before the request left is its answer: no third attempt")
    func secondCloseIsAFailure() async {
        let attempts = ScriptedAttempts([.failure(.ioOnClosedChannel), .failure(.ioOnClosedChannel), .success(200)])
        let answer = await DemoTrafficDriver.send { try attempts.attempt() }
        #expect(answer == .failed(String(describing: ChannelError.ioOnClosedChannel), resent: true))
        #expect(attempts.count == 2)
    }

    @Test("any other error is the request's answer at once: it may have reached the proxy, so it is not sent again")
    func otherErrorsAreNotRetried() async {
        let attempts = ScriptedAttempts([.failure(.eof), .success(200)])
        let answer = await DemoTrafficDriver.send { try attempts.attempt() }
        #expect(answer == .failed(String(describing: ChannelError.eof), resent: false))
        #expect(attempts.count == 1)
        let first = ScriptedAttempts([.success(200)])
        #expect(await DemoTrafficDriver.send { try first.attempt() } == .status(200, resent: false))
    }

    @Test("the summary counts every request once, the failures by reason and the resent ones apart")
    func summaryCountsEachRequestOnce() {
        var result = DemoTrafficDriver.Result()
        for answer: DemoTrafficDriver.Answer in [
            .status(200, resent: false), .status(200, resent: true), .status(404, resent: false), .failed("eof", resent: true),
        ] {
            DemoTrafficDriver.count(answer, into: &result)
        }
        #expect(result.sent == 4)
        #expect(result.statuses == [200: 2, 404: 1])
        #expect(result.failureReasons == ["eof": 1])
        #expect(result.resent == 2)
        #expect(result.summary == "2× 200, 1× 404, 1 failed: 1 eof, 2 sent again after their connection closed before they left")
    }
}
