import Foundation
import Logging
import Prometheus
import TapCompareComparison
import TapCompareCore
import TapCompareRules
import TapCompareTestSupport
import Testing
@testable import TapCompareApp

/// Names the rules share with the configuration (`store:`, gRPC methods) are checked at start and on every reload:
/// a name that matches nothing would drop the block's normalization without a word.
@Suite struct RulesConfigurationCheckTests {
    static let configuration = """
        legacy: http://127.0.0.1:1
        stores:
          comments_db: { kind: sqlite, legacy: legacy.sqlite, candidate: candidate.sqlite }
        """

    static let misspelledStore = """
        rules:
          - store: comments_dbb
            ignore: [$.updated_at]
        """

    func rulesDirectory(_ text: String) throws -> URL {
        let directory = try TestPaths.temporaryDirectory()
        try text.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test("serve refuses to start with a rule block for a store the configuration does not declare")
    func startUpRefusesAnUnknownStore() throws {
        let directory = try self.rulesDirectory(Self.misspelledStore)
        defer { try? FileManager.default.removeItem(at: directory) }
        var c = try ConfigurationLoader.load(yaml: Self.configuration, file: "tap.yml")
        c.rules = directory.path
        let error = #expect(throws: ConfigurationError.self) { try ServeRunner(configuration: c, configurationFile: "tap.yml").loadRules() }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("tap.yml: rules: the rules in '\(directory.path)' do not fit this configuration:"), "\(text)")
        #expect(text.contains("\(directory.path)/rules.yml:2:12: store: 'comments_dbb' is not declared under stores: in tap.yml; did you mean 'comments_db'? (declared: comments_db)"), "\(text)")
    }

    @Test("a reload naming an unknown store or gRPC method is refused and counted; the running rules stay")
    func reloadRefusesWhatStartUpRefuses() async throws {
        let directory = try self.rulesDirectory("rules:\n  - store: comments_db\n    ignore: [$.updated_at]\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let descriptors = TestPaths.fixture("grpc/comments.pb")
        var c = try ConfigurationLoader.load(yaml: Self.configuration + "\ngrpc:\n  descriptor_set: \(descriptors)\n", file: "tap.yml")
        c.rules = directory.path
        _ = MetricsBootstrap.registry  // before the reloader makes its counters
        let runner = ServeRunner(configuration: c, configurationFile: "tap.yml")
        let (ruleSet, _) = try runner.loadRules()
        let log = CapturedLog()
        let logger = Logger(label: "test") { _ in log }
        let stage = ComparisonStage(ruleSet: ruleSet, sink: DiscardingRecordSink(), logger: logger)
        let reloader = ServeRunner.makeReloader(stage: stage, rulesDirectory: directory.path, check: runner.rulesCheck, logger: logger)
        let running = stage.comparator.ruleSet.rules.map(\.name)
        #expect(running == ["* ignore $.updated_at"])
        let failedBefore = Self.failedReloads()

        try Self.misspelledStore.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        await reloader.action()
        #expect(stage.comparator.ruleSet.rules.map(\.name) == running)
        #expect(Self.failedReloads() == failedBefore + 1)
        #expect(log.lines.contains { $0.contains("rules.yml:2:12: store: 'comments_dbb' is not declared under stores: in tap.yml; did you mean 'comments_db'?") }, "\(log.lines)")

        try "rules:\n  - route: /tapcompare.demo.Comments/EditComment\n    ignore: [$.a]\n"
            .write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        await reloader.action()
        #expect(stage.comparator.ruleSet.rules.map(\.name) == running)
        #expect(Self.failedReloads() == failedBefore + 2)
        #expect(log.lines.contains { $0.contains("rules.yml:2:12: route: '/tapcompare.demo.Comments/EditComment' is not a method of the descriptor set \(descriptors)") }, "\(log.lines)")
    }

    /// `tapcompare_rules_reloads_total{result="failed"}` as `/metrics` shows it (no other test reloads rules).
    static func failedReloads() -> Int {
        var buffer: [UInt8] = []
        MetricsBootstrap.registry.emit(into: &buffer)
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(#"tapcompare_rules_reloads_total{result="failed"}"#) }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
    }
}

/// A record sink that keeps nothing: these tests compare no exchange.
private struct DiscardingRecordSink: ComparisonRecordSink {
    func record(_ record: ComparisonRecord) {}
}
