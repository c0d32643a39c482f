import SystemPackage

extension KernelPCM {
    /// Brings the stream back after an xrun or a suspend, as `RecoveryPolicy.automatic` does inside
    /// transfers: PREPARE after an xrun; RESUME after a suspend, falling back to PREPARE when the
    /// driver cannot resume. Rethrows `error` when it is not recoverable (disconnection, bad state,
    /// anything else), and throws `.suspended` while the device is still waking up (EAGAIN).
    public func recover(from error: AlsaError) throws(AlsaError) {
        switch error.kind {
        case .xrun:
            try prepare()
            xrunCount += 1
        case .suspended:
            do {
                try resume()
            } catch let resumeError {
                if resumeError.errno == .resourceTemporarilyUnavailable { throw error }
                if resumeError.kind == .disconnected { throw resumeError }
                try prepare()
            }
            suspendCount += 1
        default:
            throw error
        }
    }

    /// Applies the policy to an error met inside a transfer: returns normally when the transfer
    /// should be retried, throws when the caller must see the error.
    /// A transfer that fails again right after each recovery is not retried forever: after
    /// `maximumRecoveriesPerTransfer` attempts the error reaches the caller.
    func handleTransferError(_ error: AlsaError, attempt: inout Int) throws(AlsaError) {
        guard options.recovery == .automatic, error.kind == .xrun || error.kind == .suspended,
              attempt < Self.maximumRecoveriesPerTransfer
        else { throw error }
        attempt += 1
        try recover(from: error)
    }

    static var maximumRecoveriesPerTransfer: Int { 4 }
}
