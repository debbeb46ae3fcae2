import TapCompareRules

/// The rules loader's property: any text loads or is refused with a message a user can act on.
enum RulesLoaderProperty {
    static func check(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        let text = String(decoding: input, as: UTF8.self)
        do {
            _ = try RuleSetLoader.load(sources: [(name: "fuzz.yml", text: text)])
        } catch {
            if error.description.isEmpty { throw FuzzPropertyViolation("a rule error without a message") }
        }
    }
}
