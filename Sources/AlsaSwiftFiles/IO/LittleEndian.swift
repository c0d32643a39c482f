/// The little-endian integers of RIFF headers, read from and written to byte arrays.
extension Array where Element == UInt8 {
    /// The 16-bit little-endian integer at `at`.
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    /// The 32-bit little-endian integer at `at`.
    func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
    /// Appends `value` as two little-endian bytes.
    mutating func appendLE16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    /// Appends `value` as four little-endian bytes.
    mutating func appendLE32(_ value: UInt32) { appendLE16(UInt16(value & 0xFFFF)); appendLE16(UInt16(value >> 16)) }
}
