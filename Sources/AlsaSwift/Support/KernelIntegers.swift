/// Numbers that reach a kernel record must fit the record's field. A value from outside (an ALSA
/// name typed by a user, an API argument) that does not is refused with a typed error naming the
/// operation, instead of trapping in a conversion.
enum KernelIntegers {
    /// `value` as the kernel's `int` (card, device and subdevice numbers are `int` in the ABI).
    static func int32(_ value: Int, _ operation: PCMOperation, _ what: String) throws(AlsaError) -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw AlsaError(operation, .invalidArgument, context: "\(what) \(value) does not fit the kernel's 32-bit field")
        }
        return narrow
    }

    /// `value` as the kernel's `unsigned int`; negative values are refused too.
    static func uint32(_ value: Int, _ operation: PCMOperation, _ what: String) throws(AlsaError) -> UInt32 {
        guard let narrow = UInt32(exactly: value) else {
            throw AlsaError(operation, .invalidArgument, context: "\(what) \(value) does not fit the kernel's unsigned 32-bit field")
        }
        return narrow
    }
}
