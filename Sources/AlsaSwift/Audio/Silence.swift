extension SampleFormat {
    /// Fills `bytes` (whole samples of this format) with silence: zero for the signed and float
    /// formats, the middle of the range for the unsigned ones (U8 is 0x80, U16 0x8000).
    func fillSilence(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        switch self {
        case .u8:
            base.initializeMemory(as: UInt8.self, repeating: 0x80, count: bytes.count)
        case .u16LE, .u16BE:
            let word: UInt16 = self == .u16LE ? UInt16(0x8000).littleEndian : UInt16(0x8000).bigEndian
            let samples = bytes.count / 2
            base.initializeMemory(as: UInt16.self, repeating: word, count: samples)
        default:
            base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes.count)
        }
    }
}
