import SystemPackage

extension KernelPCM {
    /// Brings the stream back after an xrun or a suspend, as `RecoveryPolicy.automatic` does inside
    /// transfers (`RecoveryProcedure`): PREPARE after an xrun; RESUME after a suspend, falling back to PREPARE when the
    /// driver cannot resume. Rethrows `error` when it is not recoverable (disconnection, bad state,
    /// anything else), and throws `.suspended` while the device is still waking up (EAGAIN).
    public func recover(from error: AlsaError) throws(AlsaError) {
        if try RecoveryProcedure.recover(self, from: error) == .xrun {
            xrunCount += 1
        } else {
            suspendCount += 1
        }
    }
}
