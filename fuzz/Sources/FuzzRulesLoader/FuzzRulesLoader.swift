import TapCompareRules

/// Any text as a rule file: the loader must load it or report errors with positions, never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRulesLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try RuleSetLoader.load(sources: [(name: "fuzz.yml", text: text)])
    } catch {
        if error.description.isEmpty { fatalError("a rule error without a message") }
    }
    return 0
}
