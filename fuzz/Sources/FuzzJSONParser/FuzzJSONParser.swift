import TapCompareJSON

/// Any bytes: the parser must return a value or an error, never crash or hang; an accepted document must
/// serialize to text that parses back to an equal value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(text) else { fatalError("serialized form does not parse: \(text)") }
    if again != value { fatalError("round trip changed the value: \(text)") }
    return 0
}
