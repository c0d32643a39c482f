import CAlsa

extension AlsaLibPCM {
    /// `snd_pcm_link`: hw-backed chains (hw, plug, hooks, file...) link their kernel substreams;
    /// dmix, dsnoop, dshare and the ioplug plugins (pulse, pipewire, jack) answer ENOSYS. The other
    /// PCM must be opened through alsa-lib too.
    public func link(to other: any PCM) throws(AlsaError) {
        guard let peer = other as? AlsaLibPCM else {
            throw AlsaError(.link, .invalidArgument,
                            context: "\(name) is on \(transport) and \(other.name) on the \(other.transport): only PCMs of one transport link")
        }
        let peerHandle = try peer.live(.link)
        try call(.link) { Int(snd_pcm_link($0, peerHandle)) }
        // The partner can now stop this stream: the mmap path must ask for the state again.
        isLinked = true
        peer.isLinked = true
        knownRunning = false
        peer.knownRunning = false
    }

    /// `snd_pcm_unlink`.
    public func unlink() throws(AlsaError) {
        try call(.unlink) { Int(snd_pcm_unlink($0)) }
        isLinked = false
    }
}
