import SystemPackage

/// The one recovery procedure, shared by every transport so that xruns and suspends are handled
/// the same way whether alsa-lib or the kernel transport moves the data.
enum RecoveryProcedure {
    /// PREPARE after an xrun; RESUME after a suspend, falling back to PREPARE when the driver
    /// cannot resume. Returns the kind recovered. Rethrows `error` when it is not recoverable, and
    /// while the device is still waking up (RESUME says EAGAIN): the library never sleeps here.
    static func recover(_ pcm: some PCM, from error: AlsaError) throws(AlsaError) -> AlsaError.Kind {
        switch error.kind {
        case .xrun:
            try pcm.prepare()
        case .suspended:
            do {
                try pcm.resume()
            } catch let resumeError {
                if resumeError.errno == .resourceTemporarilyUnavailable { throw error }
                if resumeError.kind == .disconnected { throw resumeError }
                try pcm.prepare()
            }
        default:
            throw error
        }
        return error.kind
    }

    /// Applies the policy to an error met inside a transfer: returns normally when the transfer
    /// should be retried, throws when the caller must see the error. A transfer that fails again
    /// right after each recovery is not retried forever.
    static func handleTransferError(_ pcm: some PCM, _ error: AlsaError, attempt: inout Int) throws(AlsaError) {
        guard pcm.recoveryPolicy == .automatic, error.kind == .xrun || error.kind == .suspended,
              attempt < maximumRecoveriesPerTransfer
        else { throw error }
        attempt += 1
        try pcm.recover(from: error)
    }

    static var maximumRecoveriesPerTransfer: Int { 4 }
}
