import Synchronization

/// A lock-free single-producer, single-consumer ring of `Float` samples: the bridge between an
/// app's threads (decoders, synthesizers, the network) and a real-time render callback, which must
/// never take a lock or allocate.
///
/// Contract: at most one thread writes and at most one thread reads at any time (they may be
/// different threads). Under that contract it is safe to share, hence `Sendable`; two concurrent
/// writers, or two concurrent readers, corrupt it.
public final class SampleRing: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Float>
    private let mask: Int
    /// Samples ever written / ever read. Each is stored by one side only; the other side's acquire
    /// load pairs with that release store, so the samples are visible before the count is.
    private let written = Atomic<Int>(0)
    private let read = Atomic<Int>(0)

    /// A ring of at least `minimumCapacity` samples (rounded up to a power of two). More than 2^62
    /// samples is a programming error: no power of two above it fits an Int (rounding up used to
    /// shift the capacity to zero and loop for ever).
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity <= 1 << (Int.bitWidth - 2), "a SampleRing holds at most 2^62 samples, not \(minimumCapacity)")
        var capacity = 1
        while capacity < max(minimumCapacity, 2) { capacity <<= 1 }
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0)
        mask = capacity - 1
    }

    deinit { storage.deallocate() }

    /// The samples the ring holds when full: a power of two.
    public var capacity: Int { mask + 1 }

    /// Samples waiting to be read.
    public var readable: Int { written.load(ordering: .acquiring) &- read.load(ordering: .acquiring) }
    /// Room for samples to be written.
    public var writable: Int { capacity - readable }

    /// Producer side: copies as many of `samples` as fit; returns how many.
    @discardableResult
    public func write(_ samples: UnsafeBufferPointer<Float>) -> Int {
        let head = written.load(ordering: .relaxed)
        let tail = read.load(ordering: .acquiring)
        let count = min(samples.count, capacity - (head &- tail))
        guard count > 0, let source = samples.baseAddress else { return 0 }
        let start = head & mask
        let first = min(count, capacity - start)
        (storage.baseAddress! + start).update(from: source, count: first)
        if count > first { storage.baseAddress!.update(from: source + first, count: count - first) }
        written.store(head &+ count, ordering: .releasing)
        return count
    }

    /// Consumer side: copies up to `destination.count` samples out; returns how many.
    @discardableResult
    public func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        let tail = read.load(ordering: .relaxed)
        let head = written.load(ordering: .acquiring)
        let count = min(destination.count, head &- tail)
        guard count > 0, let target = destination.baseAddress else { return 0 }
        let start = tail & mask
        let first = min(count, capacity - start)
        target.update(from: storage.baseAddress! + start, count: first)
        if count > first { (target + first).update(from: storage.baseAddress!, count: count - first) }
        read.store(tail &+ count, ordering: .releasing)
        return count
    }
}
