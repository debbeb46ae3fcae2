import Foundation

/// The types and services of a `FileDescriptorSet` (as `protoc --include_imports --descriptor_set_out` writes
/// it), indexed for decoding: messages and enums by fully-qualified name, methods by call path.
public struct DescriptorSet: Sendable, Hashable {
    /// Proto file names, in the set's order.
    public private(set) var files: [String] = []
    public private(set) var messages: [String: MessageDescriptor] = [:]
    public private(set) var enums: [String: EnumDescriptor] = [:]
    public private(set) var services: [ServiceDescriptor] = []
    private var methodsByPath: [String: ServiceDescriptor.Method] = [:]

    public init() {}

    /// Adds a file's content (used by the decoder and by tests that build descriptors in code).
    public mutating func add(file: String, messages: [MessageDescriptor], enums: [EnumDescriptor], services: [ServiceDescriptor]) {
        self.files.append(file)
        for m in messages { self.messages[m.fullName] = m }
        for e in enums { self.enums[e.fullName] = e }
        for s in services {
            self.services.append(s)
            for method in s.methods { self.methodsByPath[method.path] = method }
        }
    }

    /// The method called at `path` (`/package.Service/Method`), or `nil`.
    public func method(path: some StringProtocol) -> ServiceDescriptor.Method? {
        self.methodsByPath[String(path)]
    }

    /// Every method's call path, sorted.
    public var methodPaths: [String] { self.methodsByPath.keys.sorted() }

    /// Parses a serialized `FileDescriptorSet`.
    /// - Throws: ``DescriptorSetError`` naming `file` when the bytes are not one.
    public init(bytes: [UInt8], file: String = "descriptor set") throws(DescriptorSetError) {
        do {
            self = try DescriptorSetDecoder.decode(bytes)
        } catch let error as WireFormatError {
            throw DescriptorSetError(file: file, reason: "not a FileDescriptorSet (\(error))")
        } catch let error as DescriptorSetDecoder.Invalid {
            throw DescriptorSetError(file: file, reason: error.reason)
        } catch {
            throw DescriptorSetError(file: file, reason: "\(error)")
        }
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``DescriptorSetError`` naming the file: unreadable, not a descriptor set, or empty.
    public static func load(file path: String) throws(DescriptorSetError) -> DescriptorSet {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DescriptorSetError(file: path, reason: "cannot read the file (\((error as NSError).localizedDescription))")
        }
        let set = try DescriptorSet(bytes: [UInt8](data), file: path)
        if set.files.isEmpty {
            throw DescriptorSetError(file: path, reason: "holds no proto files")
        }
        return set
    }
}

/// A descriptor set file that cannot be used. The description names the file and the fix.
public struct DescriptorSetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        "\(self.file): \(self.reason); write it with 'protoc --include_imports --descriptor_set_out=\(self.file) YOUR.proto'"
    }
}
