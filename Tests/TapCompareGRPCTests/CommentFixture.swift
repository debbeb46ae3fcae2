import Foundation
import TapCompareGRPC
import TapCompareTestSupport

/// The comment API of `fixtures/grpc/comments.proto`, as `scripts/grpc-fixtures.sh` wrote `comments.pb`.
enum CommentFixture {
    static let path = TestPaths.fixture("grpc/comments.pb")
    static let comment = ".tapcompare.demo.Comment"

    static func descriptors() throws -> DescriptorSet { try DescriptorSet.load(file: path) }

    /// A Comment: id 1, body 2, status 3, tags 4, author 5 (name 1, karma 2), labels 6, parent_id 7 / thread_url 8,
    /// score 9, signature 10, votes 11, delta 12, pinned 13.
    static func comment(id: Int64 = 42, body: String = "first!", status: Int64 = 1, tags: [String] = ["a", "b"]) -> ProtobufWriter {
        var w = ProtobufWriter().varint(1, id).string(2, body).varint(3, status)
        for tag in tags { w = w.string(4, tag) }
        return w.message(5, ProtobufWriter().string(1, "ada").uvarint(2, 7))
            .mapEntry(6, "lang", "en")
            .varint(7, 9)
    }
}
