/// What both transports check and decide around an mmap commit, written once.
enum MmapCommitRules {
    /// The frames granted by the last `beginTransfer`; a commit of more, or of a negative count, or
    /// without a begin, is refused before anything moves.
    static func validate(_ frames: Int, against pending: (offset: Int, frames: Int)?) throws(AlsaError) -> (offset: Int, frames: Int) {
        guard let pending, frames >= 0, frames <= pending.frames else {
            throw AlsaError(.transfer, .invalidArgument, context: pending == nil ? "commit without beginTransfer" : nil)
        }
        return pending
    }

    /// A pointer move never starts a stream: playback starts once the start threshold is queued.
    static func startPlaybackIfDue(_ pcm: some PCM, setup: HardwareSetup, state: StreamState, available: () throws(AlsaError) -> Int) throws(AlsaError) {
        guard pcm.direction == .playback, state == .prepared else { return }
        let queued = setup.bufferSize - (try available())
        if queued >= pcm.softwareParameters?.startThreshold ?? setup.bufferSize { try pcm.start() }
    }
}
