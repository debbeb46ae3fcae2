import TapCompareJSON

/// The JSON parser's property: no crash on any bytes, and what it accepts survives serialize → parse unchanged
/// (numbers keep their text, `1` stays apart from `true`).
enum JSONRoundTripProperty {
    static func check(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        guard let value = try? JSONParser.parse(input) else { return }
        let text = value.serialized()
        guard let again = try? JSONParser.parse(text) else {
            throw FuzzPropertyViolation("the serialized form does not parse: \(text.prefix(200))")
        }
        guard again == value else { throw FuzzPropertyViolation("the round trip changed the value: \(text.prefix(200))") }
    }
}
