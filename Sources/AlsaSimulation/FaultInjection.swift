import SystemPackage

/// Errors armed by `SimulatedKernel.inject`: the next matching calls fail with them instead of
/// running, in the order they were armed.
struct FaultQueue {
    private struct Fault {
        let errno: Errno
        let call: SimulatedCall
        let request: UInt?
        var remaining: Int
    }

    private var faults: [Fault] = []

    mutating func arm(_ errno: Errno, call: SimulatedCall, request: UInt?, times: Int) {
        guard times > 0 else { return }
        faults.append(Fault(errno: errno, call: call, request: request, remaining: times))
    }

    /// The errno the call must fail with, consuming one use of the fault; nil to run the call.
    mutating func take(_ call: SimulatedCall, request: UInt?) -> Errno? {
        guard let index = faults.firstIndex(where: { $0.call == call && ($0.request == nil || $0.request == request) }) else {
            return nil
        }
        let errno = faults[index].errno
        faults[index].remaining -= 1
        if faults[index].remaining == 0 { faults.remove(at: index) }
        return errno
    }
}
