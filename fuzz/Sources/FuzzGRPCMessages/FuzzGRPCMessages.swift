import TapCompareFuzzProperties

/// libFuzzer's per-input callback: a violated property (see `FuzzProperty.grpcMessages`) crashes, so libFuzzer saves
/// the input; `scripts/fuzz.sh` then copies it into `fuzz/regressions/FuzzGRPCMessages/`, where the tests replay it.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        try FuzzProperty.grpcMessages.check(Array(UnsafeBufferPointer(start: data, count: size)))
    } catch {
        fatalError(error.description)
    }
    return 0
}
