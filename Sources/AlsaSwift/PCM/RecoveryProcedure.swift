import SystemPackage

/// The one recovery procedure and its one rule, shared by both transports (under
/// `RecoveryPolicy.automatic`) and by every stream kind's period engine, so that xruns and suspends
/// are handled the same way whoever meets them.
///
/// **The procedure.** PREPARE after an xrun; RESUME after a suspend, falling back to PREPARE when the
/// driver cannot resume. Each recovery is counted in the PCM's `xrunCount` or `suspendCount`.
///
/// **The rule.** An xrun or a suspend is recovered where it is met, and the operation goes on. It is
/// thrown instead when `limit` recoveries in a row have moved no frame: a device that fails again
/// each time it is brought back cannot run, and saying so beats looping. Inside one PCM call (the
/// automatic policy) "in a row" is within that call; in a stream, it is since the last frame moved.
/// Also thrown: anything that is not an xrun or a suspend, a device still waking from a suspend
/// (RESUME says EAGAIN: the library never sleeps waiting for it), and a recovery that fails itself.
enum RecoveryProcedure {
    /// Recoveries in a row, with no frame moved between them, before the error is thrown.
    static let limit = 4

    /// Runs the procedure for `error`; returns the kind recovered. Rethrows `error` when it is not
    /// recoverable, and while the device is still waking up.
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

    /// Recoveries in a row without a frame moved: where the rule is counted.
    struct Streak {
        private(set) var count = 0

        /// Recovers `pcm` from `error` under the rule (and counts it on the PCM), or throws.
        mutating func recover(_ pcm: some PCM, from error: AlsaError) throws(AlsaError) {
            guard error.kind == .xrun || error.kind == .suspended, count < RecoveryProcedure.limit else { throw error }
            count += 1
            try pcm.recover(from: error)
        }

        /// Frames moved: the streak starts again.
        @inline(__always)
        mutating func progressed() { count = 0 }
    }

    /// The automatic policy for a call that must not be repeated after a recovery (a commit, whose
    /// frames the PREPARE discarded; a wait, which the caller repeats): recover under the rule, or
    /// throw when the PCM reports instead.
    static func absorb(_ pcm: some PCM, _ error: AlsaError) throws(AlsaError) {
        guard pcm.recoveryPolicy == .automatic else { throw error }
        var streak = Streak()
        try streak.recover(pcm, from: error)
    }

    /// The automatic policy for a call that is repeated after a recovery (a transfer, a query): it
    /// met `error`; recover and run `body` again, under the rule, or throw when the PCM reports.
    @inline(never)
    static func retrying<T>(_ pcm: some PCM, after error: AlsaError, _ body: () throws(AlsaError) -> T) throws(AlsaError) -> T {
        guard pcm.recoveryPolicy == .automatic else { throw error }
        var streak = Streak()
        var failure = error
        while true {
            try streak.recover(pcm, from: failure)
            do {
                return try body()
            } catch {
                failure = error
            }
        }
    }
}
