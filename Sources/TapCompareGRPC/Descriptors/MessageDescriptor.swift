/// One message type: its fields by number, and whether it is a map's synthetic entry type.
public struct MessageDescriptor: Sendable, Hashable {
    /// Fully-qualified with a leading dot: `.tapcompare.demo.Comment.Author`.
    public var fullName: String
    /// In declaration order (the order members are written in the JSON value).
    public var fields: [FieldDescriptor]
    /// `MessageOptions.map_entry`: the `XxxEntry` type protoc generates for a `map<K, V>` field.
    public var isMapEntry: Bool
    /// The `oneof` names, in declaration order.
    public var oneofs: [String]
    private var indexByNumber: [Int: Int]

    public init(fullName: String, fields: [FieldDescriptor], isMapEntry: Bool = false, oneofs: [String] = []) {
        self.fullName = fullName
        self.fields = fields
        self.isMapEntry = isMapEntry
        self.oneofs = oneofs
        var index: [Int: Int] = [:]
        for (i, field) in fields.enumerated() { index[field.number] = i }
        self.indexByNumber = index
    }

    /// The field numbered `number`, or `nil` for an unknown field.
    public func field(number: Int) -> FieldDescriptor? {
        self.indexByNumber[number].map { self.fields[$0] }
    }
}

/// One enum type: value names by number.
public struct EnumDescriptor: Sendable, Hashable {
    public struct Value: Sendable, Hashable {
        public var name: String
        public var number: Int32
        public init(name: String, number: Int32) {
            self.name = name
            self.number = number
        }
    }

    public var fullName: String
    /// In declaration order.
    public var values: [Value]

    public init(fullName: String, values: [Value]) {
        self.fullName = fullName
        self.values = values
    }

    /// The first name declared for `number` (with `allow_alias` several may share one), or `nil`.
    public func name(of number: Int32) -> String? {
        self.values.first { $0.number == number }?.name
    }
}

/// One service: its methods, each reached at `/package.Service/Method`.
public struct ServiceDescriptor: Sendable, Hashable {
    public struct Method: Sendable, Hashable {
        public var name: String
        /// Fully-qualified with a leading dot.
        public var inputType: String
        public var outputType: String
        public var clientStreaming: Bool
        public var serverStreaming: Bool
        /// The HTTP/2 `:path` of a call: `/tapcompare.demo.Comments/GetComment`.
        public var path: String

        public init(name: String, inputType: String, outputType: String, clientStreaming: Bool, serverStreaming: Bool, path: String) {
            self.name = name
            self.inputType = inputType
            self.outputType = outputType
            self.clientStreaming = clientStreaming
            self.serverStreaming = serverStreaming
            self.path = path
        }
    }

    /// Fully-qualified without a leading dot, as in a call's path: `tapcompare.demo.Comments`.
    public var fullName: String
    public var methods: [Method]

    public init(fullName: String, methods: [Method]) {
        self.fullName = fullName
        self.methods = methods
    }
}
