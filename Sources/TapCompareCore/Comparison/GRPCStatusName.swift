/// The names of gRPC's status codes (`grpc-status`), as the gRPC specification's `statuscodes.md` lists them, so
/// the report and the UI say `5 NOT_FOUND` rather than a bare number.
public enum GRPCStatusName {
    static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    /// The name of a code (`NOT_FOUND` for 5), `nil` for a code gRPC does not define.
    public static func name(of code: Int) -> String? {
        self.names.indices.contains(code) ? self.names[code] : nil
    }

    /// The code and its name, `5 NOT_FOUND`; the code alone when it has no name.
    public static func label(_ code: Int) -> String {
        self.name(of: code).map { "\(code) \($0)" } ?? String(code)
    }
}
