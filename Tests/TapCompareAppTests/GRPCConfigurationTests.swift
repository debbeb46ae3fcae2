import Foundation
import TapCompareGRPC
import TapCompareTestSupport
import Testing
@testable import TapCompareApp

/// `grpc.*` (issue 18): defaults, the descriptor set read at start, method patterns, and the mistakes that stop
/// start-up naming the file, the key and the fix.
@Suite struct GRPCConfigurationTests {
    static let descriptorSet = TestPaths.fixture("grpc/comments.pb")

    @Test func defaultsWhenAbsent() throws {
        let c = try ConfigurationLoader.load(yaml: "", file: "g.yml")
        #expect(c.grpc == GRPCConfiguration())
        #expect(c.grpc.maxMessageBytes == 4 << 20)
        #expect(c.grpc.maxRecordedMessages == 16)
        #expect(c.grpc.maxRecordedBytes == 64 << 10)
        #expect(c.grpc.compareTrailers == ["grpc-status", "grpc-message"])
        #expect(c.grpcDescriptors == nil)
        #expect(!c.grpcMethodPolicy.isMirrored(path: "/tapcompare.demo.Comments/GetComment"))
    }

    @Test func everyKeyIsRead() throws {
        let c = try ConfigurationLoader.load(yaml: """
            routes:
              - route: POST /tapcompare.demo.Comments/CreateComment
                mirror_writes: true
            grpc:
              descriptor_set: \(Self.descriptorSet)
              read_methods: ["*/Get*", "*/List*", /tapcompare.demo.Comments/GetComment]
              compare_trailers: [grpc-status, grpc-message, X-Shard]
              max_message_bytes: 1MiB
              max_recorded_messages: 4
              max_recorded_bytes: 8KiB
            """, file: "g.yml")
        #expect(c.grpcDescriptors?.method(path: "/tapcompare.demo.Comments/ListComments")?.serverStreaming == true)
        #expect(c.grpc.readMethods == ["*/Get*", "*/List*", "/tapcompare.demo.Comments/GetComment"])
        #expect(c.grpc.compareTrailers == ["grpc-status", "grpc-message", "x-shard"])
        #expect(c.grpc.maxMessageBytes == 1 << 20)
        #expect(c.grpc.maxRecordedMessages == 4)
        #expect(c.grpc.maxRecordedBytes == 8 << 10)
        let policy = c.grpcMethodPolicy
        #expect(policy.isMirrored(path: "/tapcompare.demo.Comments/ListComments"))
        #expect(policy.isMirrored(path: "/tapcompare.demo.Comments/CreateComment"))
        #expect(!policy.isMirrored(path: "/tapcompare.demo.Comments/DeleteComment"))
    }

    @Test func aDescriptorSetThatDoesNotParseNamesTheFileAndTheFix() throws {
        let dir = try TestPaths.temporaryDirectory()
        let file = dir.appendingPathComponent("api.pb").path
        try Data([0x0A, 0x05, 0x01]).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "grpc:\n  descriptor_set: \(file)\n", file: "g.yml")
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("g.yml:2:19: grpc.descriptor_set: \(file): not a FileDescriptorSet"))
        #expect(text.contains("protoc --include_imports --descriptor_set_out="))
    }

    @Test func aMissingDescriptorSetIsAnIssue() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "grpc:\n  descriptor_set: /nonexistent/api.pb\n", file: "g.yml")
        }
        #expect(error?.description.contains("grpc.descriptor_set: /nonexistent/api.pb: cannot read the file") == true)
    }

    @Test func aMethodNotInTheDescriptorSetStopsStartUp() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: """
                routes:
                  - route: POST /tapcompare.demo.Comments/EditComment
                    mirror_writes: true
                grpc:
                  descriptor_set: \(Self.descriptorSet)
                  read_methods: [/tapcompare.demo.Comments/GetComments]
                """, file: "g.yml")
        }
        // An HTTP route whose path merely looks like a call path is not checked against the set.
        #expect(throws: Never.self) {
            try ConfigurationLoader.load(yaml: """
                routes:
                  - route: GET /v1.0/status
                grpc:
                  descriptor_set: \(Self.descriptorSet)
                """, file: "g.yml")
        }
        let issues = error?.issues.map(\.description) ?? []
        #expect(issues.count == 2)
        #expect(issues.contains { $0.contains("grpc.read_methods: '/tapcompare.demo.Comments/GetComments' is not a method of the descriptor set \(Self.descriptorSet)") })
        #expect(issues.contains { $0.contains("routes: route 1 'POST /tapcompare.demo.Comments/EditComment': '/tapcompare.demo.Comments/EditComment' is not a method") })
    }

    @Test func badValuesAreIssues() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: """
                grpc:
                  read_methods: [GetComment]
                  compare_trailers: ["x shard"]
                  max_message_bytes: 0
                  max_recorded_messages: -1
                  descriptor: api.pb
                """, file: "g.yml")
        }
        let text = error?.description ?? ""
        #expect(text.contains("grpc.read_methods: 'GetComment' must start with '/'"))
        #expect(text.contains("grpc.compare_trailers: 'x shard' is not a trailer name"))
        #expect(text.contains("grpc.max_message_bytes: must be more than 0"))
        #expect(text.contains("grpc.max_recorded_messages: -1 is out of range; use 0…10000"))
        #expect(text.contains("grpc.descriptor"))
    }

    /// The commented-out `grpc:` block of tapcompare.example.yml, uncommented (its descriptor set pointed at the
    /// test fixture), loads with the values it documents.
    @Test func theExampleBlockLoads() throws {
        let example = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("tapcompare.example.yml"), encoding: .utf8)
        var block: [String] = []
        var inside = false
        for line in example.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "# grpc:" { inside = true }
            guard inside else { continue }
            guard line.hasPrefix("# ") else { break }
            let text = String(line.dropFirst(2))
            // Continuation comments of a value stay comments.
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
            block.append(text.replacingOccurrences(of: "api.pb", with: Self.descriptorSet))
        }
        let c = try ConfigurationLoader.load(yaml: block.joined(separator: "\n"), file: "example-grpc.yml")
        #expect(c.grpcDescriptors != nil)
        #expect(c.grpc.readMethods == ["*/Get*", "*/List*", "/tapcompare.demo.Comments/GetComment"])
        #expect(c.grpc.compareTrailers == ["grpc-status", "grpc-message", "x-shard"])
        #expect(c.grpc.maxMessageBytes == GRPCConfiguration.Defaults.maxMessageBytes)
        #expect(c.grpc.maxRecordedMessages == GRPCConfiguration.Defaults.maxRecordedMessages)
        #expect(c.grpc.maxRecordedBytes == GRPCConfiguration.Defaults.maxRecordedBytes)
    }
}
