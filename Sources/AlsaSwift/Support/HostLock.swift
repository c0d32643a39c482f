#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex. Synchronization's `Mutex` is built on futexes on Linux, which
/// ThreadSanitizer does not model: every access under it is reported as a race, and a real race
/// would drown among them. A pthread mutex is intercepted by TSan, so `Scripts/sanitize` sees what
/// this lock orders. Locking and unlocking allocate nothing.
final class HostLock<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: consuming Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
