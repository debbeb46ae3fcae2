import TapCompareGRPC
import Testing

@Suite struct GRPCMethodPolicyTests {
    @Test func patternsMatchCallPaths() throws {
        let policy = try GRPCMethodPolicy(
            configuration: GRPCConfiguration(readMethods: ["*/Get*", "*/List*", "/pkg.Svc/Lookup"]),
            optedIn: ["/tapcompare.demo.Comments/CreateComment"]
        )
        #expect(policy.isMirrored(path: "/tapcompare.demo.Comments/GetComment"))
        #expect(policy.isMirrored(path: "/tapcompare.demo.Comments/ListComments"))
        #expect(policy.isMirrored(path: "/pkg.Svc/Lookup"))
        #expect(policy.isMirrored(path: "/tapcompare.demo.Comments/CreateComment"))
        #expect(!policy.isMirrored(path: "/tapcompare.demo.Comments/DeleteComment"))
        #expect(!policy.isMirrored(path: "/pkg.Svc/LookupAll"))
        // `Get` must start the method name, not appear anywhere, and `*` never spans a `/`.
        #expect(!policy.isMirrored(path: "/pkg.Svc/ForgetAll"))
        #expect(!policy.isMirrored(path: "/GetThings.Svc/Delete"))
    }

    @Test func wildcardsWithinSegments() throws {
        #expect(try GRPCMethodPattern(parsing: "/pkg.Svc/*").matches("/pkg.Svc/Delete"))
        #expect(try !GRPCMethodPattern(parsing: "/pkg.Svc/*").matches("/pkg.Other/Get"))
        #expect(try GRPCMethodPattern(parsing: "/pkg.*/Get*ById").matches("/pkg.Comments/GetCommentById"))
        #expect(try !GRPCMethodPattern(parsing: "/pkg.*/Get*ById").matches("/pkg.Comments/GetComment"))
        #expect(try GRPCMethodPattern(parsing: "*").matches("/any.Svc/Anything"))
        #expect(try GRPCMethodPattern(parsing: "/pkg.Svc/Get").isExact)
        #expect(try !GRPCMethodPattern(parsing: "*/Get*").isExact)
    }

    @Test func nothingIsMirroredByDefault() throws {
        let policy = try GRPCMethodPolicy(configuration: GRPCConfiguration())
        #expect(!policy.isMirrored(path: "/tapcompare.demo.Comments/GetComment"))
    }

    @Test func aPatternMustNameAPath() {
        #expect(throws: GRPCMethodPatternError.self) { try GRPCMethodPattern(parsing: "GetComment") }
        #expect(throws: GRPCMethodPatternError.self) { try GRPCMethodPattern(parsing: "/pkg.Svc/Get Comment") }
        #expect(throws: GRPCMethodPatternError.self) { try GRPCMethodPattern(parsing: "/pkg.Svc") }
        #expect(throws: GRPCMethodPatternError.self) { try GRPCMethodPattern(parsing: "/pkg.Svc/Get/x") }
    }

    @Test func defaultsAreInOnePlace() {
        let c = GRPCConfiguration()
        #expect(c.maxMessageBytes == 4 << 20)
        #expect(c.effectiveTrailers == ["grpc-status", "grpc-message"])
        #expect(GRPCConfiguration(compareTrailers: ["X-Shard", "grpc-status"]).effectiveTrailers == ["grpc-status", "grpc-message", "x-shard"])
    }

    @Test func callPathShape() {
        #expect(GRPCMethodPolicy.isCallPath("/tapcompare.demo.Comments/GetComment"))
        #expect(!GRPCMethodPolicy.isCallPath("/api/v1/comments"))
        #expect(!GRPCMethodPolicy.isCallPath("/api.v1/comments/{id}"))
    }
}

@Suite struct GRPCContentTypeTests {
    @Test func protobufGRPCOnly() {
        #expect(GRPCContentType.isProtobufGRPC("application/grpc"))
        #expect(GRPCContentType.isProtobufGRPC("Application/GRPC+proto; charset=binary"))
        #expect(!GRPCContentType.isProtobufGRPC("application/grpc+json"))
        #expect(!GRPCContentType.isProtobufGRPC("application/json"))
    }
}
