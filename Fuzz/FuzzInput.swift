/// The fuzzer's bytes, consumed from the front as a sequence of decisions. Once they run out every
/// decision is 0: "carry on normally".
struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    mutating func uint16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }

    mutating func uint32() -> UInt32 { UInt32(uint16()) | UInt32(uint16()) << 16 }

    /// One of `choices`.
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(byte()) % choices.count] }

    /// What is left, as raw bytes.
    mutating func rest() -> UnsafeBufferPointer<UInt8> {
        defer { position = bytes.count }
        return UnsafeBufferPointer(rebasing: bytes[min(position, bytes.count)...])
    }
}
