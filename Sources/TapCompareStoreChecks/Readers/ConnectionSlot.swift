/// One lazily opened connection shared by a side's checks, opened again after it failed.
actor ConnectionSlot<Connection: Sendable> {
    private var connection: Connection?
    private var opening: Task<Connection, any Error>?

    /// The open connection, or a new one from `open` (one opening at a time; concurrent callers share it).
    func get(_ open: @escaping @Sendable () async throws -> Connection) async throws -> Connection {
        if let connection { return connection }
        if let opening { return try await opening.value }
        let task = Task { try await open() }
        self.opening = task
        defer { self.opening = nil }
        let connection = try await task.value
        self.connection = connection
        return connection
    }

    /// Forgets the connection (after an error that broke it), returning it for closing.
    func take() -> Connection? {
        defer { self.connection = nil }
        return self.connection
    }
}
