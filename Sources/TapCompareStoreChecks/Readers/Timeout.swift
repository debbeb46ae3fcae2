import TapCompareCore

/// `operation`, or ``StoreReadError`` with reason `timeout` once `timeout` has passed (the operation is
/// cancelled and abandoned: a driver stuck on a dead connection cannot hold a check past its timeout).
func withReadTimeout<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withAbandoningTimeout(timeout, timeoutError: { StoreReadError(reason: "timeout", message: "no answer within \(timeout)") }, operation)
}
