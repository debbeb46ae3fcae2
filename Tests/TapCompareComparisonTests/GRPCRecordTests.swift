import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareTestSupport
import Testing

/// What the record of a gRPC call carries for the ledger (``GRPCExchangeRecord``): each side's status and message,
/// and for a mismatch its messages as JSON with their size on the wire, within the caps.
@Suite struct GRPCRecordTests {
    typealias Fixture = GRPCComparisonTests

    static func record(
        _ legacy: ResponseSnapshot, _ candidate: CandidateResult, descriptors: DescriptorSet? = nil,
        grpc: GRPCConfiguration = GRPCConfiguration()
    ) -> ComparisonRecord {
        let exchange = Exchange(
            requestID: "req-1", route: "POST \(Fixture.getComment)",
            request: RequestSnapshot(method: .POST, uri: Fixture.getComment, headers: HTTPHeaders([("content-type", "application/grpc")])),
            legacy: legacy, legacyLatency: .milliseconds(2), candidate: candidate
        )
        return Comparator(configuration: Comparator.Configuration(grpc: .init(descriptors: descriptors, configuration: grpc))).compare(exchange)
    }

    @Test("a mismatch keeps both sides' status, percent-decoded message and proto3 JSON messages with their wire size")
    func aMismatchKeepsBothSides() throws {
        let messages = [Fixture.comment(id: 1).bytes, Fixture.comment(id: 2).bytes]
        let legacy = Fixture.response(messages)
        let candidate = Fixture.response([], status: "5", message: "comment%2042 not found")
        let record = Self.record(legacy, .response(candidate, latency: .milliseconds(3)), descriptors: try Fixture.descriptors())
        #expect(record.outcome == .mismatch)
        let grpc = try #require(record.grpc)
        #expect(grpc.legacy.status == 0)
        #expect(grpc.legacy.message == nil)
        #expect(grpc.legacy.messages?.map(\.wireBytes) == messages.map(\.count))
        #expect(grpc.legacy.messages?.first?.json.hasPrefix(#"{"id":"1","body":"first!""#) == true)
        #expect(grpc.legacy.omittedMessages == 0)
        #expect(grpc.candidate?.status == 5)
        #expect(grpc.candidate?.message == "comment 42 not found")
        #expect(grpc.candidate?.messages == [])
    }

    @Test("without a descriptor set the messages are kept by field number, as they are diffed")
    func withoutDescriptorsByFieldNumber() throws {
        let record = Self.record(Fixture.response([Fixture.comment().bytes]), .response(Fixture.response([Fixture.comment(body: "x").bytes]), latency: .milliseconds(3)))
        let json = try #require(record.grpc?.candidate?.messages?.first?.json)
        #expect(json.contains(#""2":"x""#))
    }

    @Test("the caps keep the first messages and count the rest, by number and by bytes")
    func capsCountWhatTheyLeaveOut() throws {
        let five = (1...5).map { Fixture.comment(id: Int64($0)).bytes }
        let candidate = CandidateResult.response(Fixture.response(Array(five.prefix(4))), latency: .milliseconds(3))
        let byCount = Self.record(Fixture.response(five), candidate, grpc: GRPCConfiguration(maxRecordedMessages: 2))
        #expect(byCount.grpc?.legacy.messages?.count == 2)
        #expect(byCount.grpc?.legacy.omittedMessages == 3)
        #expect(byCount.grpc?.candidate?.omittedMessages == 2)
        let first = try #require(Self.record(Fixture.response(five), candidate).grpc?.legacy.messages?.first?.json)
        let byBytes = Self.record(Fixture.response(five), candidate, grpc: GRPCConfiguration(maxRecordedBytes: first.utf8.count * 3 / 2))
        #expect(byBytes.grpc?.legacy.messages?.count == 1)
        #expect(byBytes.grpc?.legacy.omittedMessages == 4)
    }

    @Test("a match keeps statuses but no messages; a timed-out candidate keeps legacy's messages; HTTP keeps nothing")
    func whatEachOutcomeKeeps() throws {
        let answer = Fixture.response([Fixture.comment().bytes])
        let match = Self.record(answer, .response(answer, latency: .milliseconds(3)))
        #expect(match.outcome == .match)
        #expect(match.grpc?.legacy.status == 0 && match.grpc?.candidate?.status == 0)
        #expect(match.grpc?.legacy.messages == nil)
        let timedOut = Self.record(answer, .timedOut(after: .milliseconds(500)))
        #expect(timedOut.grpc?.candidate == nil)
        #expect(timedOut.grpc?.legacy.messages?.count == 1)
        let json = ResponseSnapshot(status: .ok, headers: HTTPHeaders([("content-type", "application/json")]), body: ByteBuffer(string: "{}"))
        #expect(Self.record(json, .response(json, latency: .milliseconds(3))).grpc == nil)
    }
}
