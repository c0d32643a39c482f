import SystemPackage

extension Optional where Wrapped == UnsafeMutableRawPointer {
    /// The ioctl's record, or EFAULT for a null pointer, as copy_from_user would say.
    func pointer<T>(_ type: T.Type) throws(Errno) -> UnsafeMutablePointer<T> {
        guard let self else { throw .badAddress }
        return self.assumingMemoryBound(to: type)
    }
}
