import SystemPackage

/// Errors armed by `SimulatedKernel.inject`: matching calls fail with them instead of running, in
/// the order they were armed. A fault can let a number of matching calls through first (to hit the
/// Nth call) and can hit any number of calls, or every one from then on.
struct FaultQueue {
    private struct Fault {
        let errno: Errno
        let call: SimulatedCall
        let request: UInt?
        /// Matching calls still to run normally before the fault starts hitting.
        var skipped: Int
        /// Calls still to fail; nil: every one, for as long as the kernel lives.
        var remaining: Int?
    }

    private var faults: [Fault] = []

    mutating func arm(_ errno: Errno, call: SimulatedCall, request: UInt?, after skipped: Int = 0, times: Int?) {
        if let times, times <= 0 { return }
        faults.append(Fault(errno: errno, call: call, request: request, skipped: max(skipped, 0), remaining: times))
    }

    /// The errno the call must fail with, consuming one use of the fault; nil to run the call.
    mutating func take(_ call: SimulatedCall, request: UInt?) -> Errno? {
        guard let index = faults.firstIndex(where: { $0.call == call && ($0.request == nil || $0.request == request) }) else {
            return nil
        }
        if faults[index].skipped > 0 {
            faults[index].skipped -= 1
            return nil
        }
        let errno = faults[index].errno
        if let remaining = faults[index].remaining {
            if remaining == 1 { faults.remove(at: index) } else { faults[index].remaining = remaining - 1 }
        }
        return errno
    }
}
