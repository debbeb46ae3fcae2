/// Waits for an event the test cannot be told about directly: polls `condition` until it holds, and fails the test
/// (naming `what`) when it still does not after `timeout`.
///
/// The one wait loop of the suite. A test waits for the event that proves what it checks, never for a fixed time:
/// on a loaded 2-core CI machine "should be done by now" is the classic flake. `timeout` only guards against a hang,
/// so it is scaled by ``TestTiming/scale`` (sanitizer builds run several times slower).
///
/// - Parameters:
///   - what: what is awaited, for the failure message ("every comparison of the outage spooled").
///   - timeout: how long before it counts as a hang (default ``TestTiming/eventWait``, scaled).
///   - poll: how often `condition` is evaluated.
///   - condition: the event; may be async (a ledger query, a metrics scrape).
/// - Throws: ``TestSetupError`` naming `what` when `timeout` passed (the test fails with it and stops there, instead
///   of asserting on a state that never came), or what `condition` threw.
public func eventually(
    _ what: String,
    timeout: Duration = TestTiming.eventWait,
    poll: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    guard try await pollUntil(timeout: timeout, poll: poll, condition) else {
        throw TestSetupError("timed out after \(TestTiming.scaled(timeout)) waiting until \(what)")
    }
}

/// The one poll loop of the suite: evaluates `condition` until it holds or `timeout` (scaled by ``TestTiming``)
/// passes, and returns whether it held. For the waits whose caller reports what it got (the bytes received, the
/// rows written) so the assertion after it says what was wrong; ``eventually`` is this plus a failure naming the
/// event. Cancellation ends the wait (the test is over).
public func pollUntil(
    timeout: Duration = TestTiming.eventWait,
    poll: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + TestTiming.scaled(timeout)
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
        try? await Task.sleep(for: poll)
    }
}
