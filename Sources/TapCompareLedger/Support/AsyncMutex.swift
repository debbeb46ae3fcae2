/// A lock held across suspension points, for a resource that must see one operation at a time (an SQLite
/// connection inside a transaction: `BEGIN` … `COMMIT` are separate calls and must not interleave with another
/// task's statements). Waiters are served in arrival order.
actor AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private func lock() async {
        if !self.locked {
            self.locked = true
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    private func unlock() {
        if self.waiters.isEmpty {
            self.locked = false
        } else {
            // Ownership passes straight to the next waiter; `locked` stays true.
            self.waiters.removeFirst().resume()
        }
    }

    nonisolated func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await self.lock()
        do {
            let result = try await body()
            await self.unlock()
            return result
        } catch {
            await self.unlock()
            throw error
        }
    }
}
