import CAlsaKernel

extension KernelPCM {
    /// LINK: the kernel puts both substreams in one group (snd_pcm_link), so that one START starts
    /// both with one trigger timestamp, and DROP, PREPARE or an xrun on either acts on both. The
    /// other PCM must be a `KernelPCM` on the same kernel: the request carries its descriptor, which
    /// means nothing to another kernel, nor to alsa-lib's plugins.
    public func link(to other: any PCM) throws(AlsaError) {
        guard let peer = other as? KernelPCM else {
            throw AlsaError(.link, .invalidArgument,
                            context: "\(name) is on the \(transport) and \(other.name) on \(other.transport): only PCMs of one transport link")
        }
        guard peer.kernel === kernel else {
            throw AlsaError(.link, .invalidArgument, context: "\(name) and \(other.name) are on different kernels")
        }
        try peer.file.checkUsable(.link)
        // The descriptor travels as the ioctl's value, in the pointer's bits.
        try file.ioctl(.link, ALSA_IOCTL_LINK, UnsafeMutableRawPointer(bitPattern: Int(peer.file.fd.rawValue)))
    }

    /// UNLINK: takes this substream out of its group; EALREADY when it is in none.
    public func unlink() throws(AlsaError) {
        try file.ioctl(.unlink, ALSA_IOCTL_UNLINK, nil)
    }
}
