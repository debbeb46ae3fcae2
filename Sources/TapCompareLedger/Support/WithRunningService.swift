import ServiceLifecycle

/// Runs `service` (a store or a reader) for the duration of `body`, for commands and tests that are not a
/// `ServiceGroup`: the service is cancelled when `body` returns or throws.
func withRunningService<T: Sendable>(_ service: any Service, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}
