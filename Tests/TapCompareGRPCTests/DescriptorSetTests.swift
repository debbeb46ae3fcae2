import Foundation
import TapCompareGRPC
import TapCompareTestSupport
import Testing

@Suite struct DescriptorSetTests {
    @Test func readsTheCommentAPI() throws {
        let set = try CommentFixture.descriptors()
        // Dependencies first, as protoc --include_imports writes them.
        #expect(set.files.last == "comments.proto")
        #expect(set.files.contains("google/protobuf/timestamp.proto"))
        let comment = try #require(set.messages[".tapcompare.demo.Comment"])
        #expect(comment.fields.map(\.number) == Array(1...17))
        let parent = try #require(comment.field(number: 7))
        #expect(parent.name == "parent_id")
        #expect(parent.jsonName == "parentId")
        #expect(parent.type == .int64)
        #expect(parent.oneofIndex == 0)
        #expect(comment.field(number: 13)?.proto3Optional == true)
        #expect(comment.oneofs.first == "reference")
        #expect(comment.field(number: 4)?.isRepeated == true)
        #expect(comment.field(number: 3)?.typeName == ".tapcompare.demo.Comment.Status")
        #expect(set.messages[".tapcompare.demo.Comment.Author"]?.fields.map(\.name) == ["name", "karma"])
        #expect(set.messages[".tapcompare.demo.Comment.LabelsEntry"]?.isMapEntry == true)
        #expect(set.enums[".tapcompare.demo.Comment.Status"]?.name(of: 2) == "HIDDEN")
    }

    @Test func readsServicesAndMethods() throws {
        let set = try CommentFixture.descriptors()
        #expect(set.methodPaths == [
            "/tapcompare.demo.Comments/CreateComment", "/tapcompare.demo.Comments/GetComment", "/tapcompare.demo.Comments/ListComments",
        ])
        let list = try #require(set.method(path: "/tapcompare.demo.Comments/ListComments"))
        #expect(list.serverStreaming)
        #expect(!list.clientStreaming)
        #expect(list.inputType == ".tapcompare.demo.ListCommentsRequest")
        #expect(list.outputType == ".tapcompare.demo.Comment")
        #expect(set.method(path: "/tapcompare.demo.Comments/GetComment")?.serverStreaming == false)
    }

    @Test func aFileThatIsNotADescriptorSetNamesTheFileAndTheFix() throws {
        let dir = try TestPaths.temporaryDirectory()
        let file = dir.appendingPathComponent("api.pb").path
        try Data("{\"not\": \"protobuf\"}".utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: DescriptorSetError.self) {
            try DescriptorSet.load(file: file)
        }
        let text = (error?.description ?? "")
        #expect(text.hasPrefix(file + ": ") && text.contains("protoc --include_imports --descriptor_set_out="))
    }

    @Test func aMissingFileIsAClearError() {
        let error = #expect(throws: DescriptorSetError.self) {
            try DescriptorSet.load(file: "/nonexistent/api.pb")
        }
        #expect(error?.description.hasPrefix("/nonexistent/api.pb: cannot read the file") == true)
    }

    @Test func anEmptyFileHoldsNoProtoFiles() throws {
        let dir = try TestPaths.temporaryDirectory()
        let file = dir.appendingPathComponent("empty.pb").path
        try Data().write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: DescriptorSetError.self) {
            try DescriptorSet.load(file: file)
        }
        #expect(error?.description.contains("holds no proto files") == true)
    }
}
