import Foundation
import Logging
import ServiceLifecycle

/// Runs the demo legacy and candidate services for the duration of a closure.
public enum DemoServers {
    /// Where the running services listen.
    public struct Endpoints: Sendable {
        public var legacy: String
        public var candidate: String
        /// The SQLite files the services store created comments in, when they were given a store directory.
        public var stores: StoreFiles?
    }

    /// Legacy's comment store and the candidate's sister store.
    public struct StoreFiles: Sendable {
        public var legacy: String
        public var candidate: String
    }

    /// The store files' names in the store directory.
    public static let legacyStoreFile = "legacy.sqlite"
    public static let candidateStoreFile = "sister.sqlite"

    /// Starts both services on `127.0.0.1`, ports given or 0 (any free port), runs `body`, then shuts them down.
    /// - Parameter storeDirectory: where the services store the comments they create, in ``DemoCommentRecords``
    ///   made afresh (``legacyStoreFile`` and the candidate's ``candidateStoreFile``); default: nowhere.
    public static func withRunning<T: Sendable>(
        store: DemoFixtureStore,
        latency: DemoLatency = DemoLatency(),
        legacyPort: Int = 0,
        candidatePort: Int = 0,
        logger: Logger = Logger(label: "tapcompare.demo"),
        observer: (@Sendable (DemoCommentService.Role, String, String, [(String, String)]) -> Void)? = nil,
        storeDirectory: String? = nil,
        _ body: @Sendable (Endpoints) async throws -> T
    ) async throws -> T {
        guard let storeDirectory else {
            return try await Self.withRunning(
                store: store, latency: latency, legacyPort: legacyPort, candidatePort: candidatePort, logger: logger,
                observer: observer, records: nil, body
            )
        }
        try FileManager.default.createDirectory(atPath: storeDirectory, withIntermediateDirectories: true)
        let legacy = try await DemoCommentRecords.create(path: storeDirectory + "/" + Self.legacyStoreFile, logger: logger)
        let candidate: DemoCommentRecords
        do {
            candidate = try await DemoCommentRecords.create(path: storeDirectory + "/" + Self.candidateStoreFile, logger: logger)
        } catch {
            await legacy.close()
            throw error
        }
        do {
            let result = try await Self.withRunning(
                store: store, latency: latency, legacyPort: legacyPort, candidatePort: candidatePort, logger: logger,
                observer: observer, records: (legacy, candidate), body
            )
            await legacy.close()
            await candidate.close()
            return result
        } catch {
            await legacy.close()
            await candidate.close()
            throw error
        }
    }

    private static func withRunning<T: Sendable>(
        store: DemoFixtureStore,
        latency: DemoLatency,
        legacyPort: Int,
        candidatePort: Int,
        logger: Logger,
        observer: (@Sendable (DemoCommentService.Role, String, String, [(String, String)]) -> Void)?,
        records: (legacy: DemoCommentRecords, candidate: DemoCommentRecords)?,
        _ body: @Sendable (Endpoints) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: (DemoCommentService.Role, Int).self)
        let legacyObserver: (@Sendable (String, String, [(String, String)]) -> Void)? = observer.map { o in
            { @Sendable (method: String, uri: String, headers: [(String, String)]) in o(.legacy, method, uri, headers) }
        }
        let candidateObserver: (@Sendable (String, String, [(String, String)]) -> Void)? = observer.map { o in
            { @Sendable (method: String, uri: String, headers: [(String, String)]) in o(.candidate, method, uri, headers) }
        }
        let legacyService = DemoCommentService(role: .legacy, store: store, latency: latency, observer: legacyObserver, records: records?.legacy)
        let candidateService = DemoCommentService(
            role: .candidate, store: store, latency: latency, observer: candidateObserver, records: records?.candidate
        )
        let onLegacy: @Sendable (Int) async -> Void = { port in continuation.yield((.legacy, port)) }
        let onCandidate: @Sendable (Int) async -> Void = { port in continuation.yield((.candidate, port)) }
        let legacy = legacyService.application(port: legacyPort, logger: logger, onRunning: onLegacy)
        let candidate = candidateService.application(port: candidatePort, logger: logger, onRunning: onCandidate)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [legacy, candidate], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                // A server that cannot bind ends the group: end the port stream too, so nobody waits forever.
                defer { continuation.finish() }
                try await group.run()
                return nil
            }
            var bound: [DemoCommentService.Role: Int] = [:]
            for await (role, port) in ports {
                bound[role] = port
                if bound.count == 2 { break }
            }
            guard let l = bound[.legacy], let c = bound[.candidate] else {
                // The group ended before both listened: its error (e.g. the port is in use) is the reason.
                await group.triggerGracefulShutdown()
                _ = try await tasks.next()
                throw DemoServerError(message: "the demo services stopped before listening")
            }
            let endpoints = Endpoints(
                legacy: "http://127.0.0.1:\(l)", candidate: "http://127.0.0.1:\(c)",
                stores: records.map { StoreFiles(legacy: $0.legacy.path, candidate: $0.candidate.path) }
            )
            do {
                let result = try await body(endpoints)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// The demo services could not start.
public struct DemoServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
