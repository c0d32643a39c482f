import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The counter the allocation tests rely on: it sees the allocations a Swift program makes (so the
/// allocator really is interposed in the test executable), counts only the calling thread's, and
/// leaves out what `Allocations.uncounted` wraps. A counter that saw nothing would pass every
/// "0 allocations" test; these fail instead.
@Suite("Allocation counter", .enabled(if: Allocations.areCounted, Allocations.skipReason))
struct AllocationCounterTests {
    /// An array made and read out of the optimizer's sight: one heap allocation.
    @inline(never)
    static func makeArray(_ count: Int) -> Int {
        let array = [Int](repeating: count, count: count)
        return array[count - 1] * count
    }

    @Test("a Swift Array allocation on this thread is counted, once per array")
    func arrayCounted() {
        let before = Allocations.count
        var sum = 0
        for _ in 0..<10 { sum &+= Self.makeArray(64) }
        let counted = Allocations.count - before
        #expect(sum == 10 * 64 * 64)
        #expect(counted == 10, "10 arrays counted as \(counted) allocations")
    }

    @Test("C's malloc, calloc, realloc, posix_memalign, aligned_alloc and valloc are each counted; free is not")
    func cAllocatorsCounted() {
        let before = Allocations.count
        let a = malloc(32)
        let b = calloc(4, 8)
        let c = realloc(a, 4096)
        var d: UnsafeMutableRawPointer?
        let aligned = posix_memalign(&d, 64, 100)
        let e = aligned_alloc(64, 128)
        let g = valloc(64)
        let counted = Allocations.count - before
        free(b); free(c); free(d); free(e); free(g)
        #expect(Allocations.count - before == counted, "free was counted")
        #expect(aligned == 0 && Int(bitPattern: d) % 64 == 0 && Int(bitPattern: e) % 64 == 0)
        #expect(counted == 6, "6 allocating calls counted as \(counted)")
    }

    @Test("calls that allocate nothing are not counted: a refused posix_memalign, and realloc(p, 0), which frees p")
    func nonAllocatingCallsNotCounted() {
        let a = malloc(32)
        let before = Allocations.count
        var refused: UnsafeMutableRawPointer?
        let status = posix_memalign(&refused, 3, 100)
        let freed = realloc(a, 0)
        let counted = Allocations.count - before
        let grown = realloc(nil, 16)  // realloc of nothing is a malloc: counted
        let afterGrown = Allocations.count - before
        free(freed); free(grown)
        #expect(status == EINVAL && refused == nil && freed == nil)
        #expect(counted == 0, "a refused posix_memalign and a realloc to 0 bytes counted as \(counted)")
        #expect(afterGrown == 1, "realloc(nil, 16) counted as \(afterGrown)")
    }

    @Test("another thread's allocations are not counted on this thread")
    func otherThreadsNotCounted() {
        let go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var theirs = 0
        let thread = Thread {
            go.wait()
            let before = Allocations.count
            for _ in 0..<1000 { _ = Self.makeArray(16) }
            theirs = Allocations.count - before
            done.signal()
        }
        thread.start()
        let before = Allocations.count
        go.signal()
        done.wait()
        let mine = Allocations.count - before
        #expect(theirs == 1000)
        #expect(mine == 0, "this thread counted \(mine) of the other's allocations")
    }

    @Test("allocations inside uncounted(_:) are left out, nested or not; after it, counting resumes")
    func uncountedLeftOut() {
        // Counts are taken before any `#expect`, which allocates.
        let before = Allocations.count
        Allocations.uncounted {
            _ = Self.makeArray(8)
            Allocations.uncounted { _ = Self.makeArray(8) }
            _ = Self.makeArray(8)
        }
        let afterUncounted = Allocations.count
        _ = Self.makeArray(8)
        let afterCounted = Allocations.count
        #expect(afterUncounted == before)
        #expect(afterCounted == before + 1)
    }
}
