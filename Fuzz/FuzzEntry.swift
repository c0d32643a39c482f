#if canImport(Glibc)
import Glibc
#endif

// The libFuzzer entry points. Scripts/fuzz links this module with libFuzzer's own main, which
// calls them; ALSA_FUZZ_TARGET picks the target (wav, name, arguments, kernel, midi).

enum FuzzTarget: String {
    case wav, name, arguments, kernel, midi

    // Set once by LLVMFuzzerInitialize, before any input; libFuzzer runs inputs on one thread.
    nonisolated(unsafe) static var selected: FuzzTarget?
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    let name = getenv("ALSA_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let usage = "set ALSA_FUZZ_TARGET to wav, name, arguments, kernel or midi (not \"\(name)\")\n"
        _ = usage.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        exit(2)
    }
    FuzzTarget.selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    switch FuzzTarget.selected {
    case .wav?: WAVReaderFuzz.run(input)
    case .name?: NameFuzz.run(input)
    case .arguments?: ArgumentsFuzz.run(input)
    case .kernel?: KernelPCMFuzz.run(input)
    case .midi?: MIDIParserFuzz.run(input)
    case nil: break
    }
    return 0
}
