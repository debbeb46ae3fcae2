/// A test's environment is not as the test needs it (a server missing, a script failing): the message says what
/// to do.
public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
