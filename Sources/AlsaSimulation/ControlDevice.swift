import AlsaSwift
import CAlsaKernel
import SystemPackage

/// What a simulated card says about itself through its control device (CARD_INFO).
public struct SimulatedCardIdentity: Sendable, Equatable {
    /// The short id, as in `hw:CARD=<id>`.
    public var id: String
    /// The driver's name, as CARD_INFO reports it.
    public var driver: String
    /// The card's short name.
    public var name: String
    /// The card's long name (`/proc/asound/cards` shows it).
    public var longName: String
    /// The mixer chip's name.
    public var mixerName: String
    /// The card's component list, as CARD_INFO reports it.
    public var components: String

    /// An identity; the defaults are those of an unnamed simulated card.
    public init(id: String = "Simulated", driver: String = "AlsaSwiftSim", name: String = "AlsaSwift Simulated Card",
                longName: String = "AlsaSwift simulated card (a model of the ALSA PCM core)", mixerName: String = "",
                components: String = "") {
        self.id = id
        self.driver = driver
        self.name = name
        self.longName = longName
        self.mixerName = mixerName
        self.components = components
    }
}

/// The control device's PCM ioctls (snd_pcm_control_ioctl in sound/core/pcm.c, and CARD_INFO from
/// sound/core/control.c), answered from the card's substreams.
struct ControlDevice {
    let card: Int
    let identity: SimulatedCardIdentity
    /// The card's substreams that are plugged in.
    let substreams: [Substream]
    /// The card's control elements, and the file the call came through (for its subscription).
    let mixer: SimulatedMixer
    let fd: Int32

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        switch request {
        case ALSA_IOCTL_CTL_PVERSION:
            try argument.pointer(Int32.self).pointee = Int32(bitPattern: ALSA_CTL_VERSION)
        case ALSA_IOCTL_CTL_CARD_INFO:
            let r = try argument.pointer(snd_ctl_card_info.self)
            r.pointee = snd_ctl_card_info()
            r.pointee.card = Int32(truncatingIfNeeded: card)
            withUnsafeMutableBytes(of: &r.pointee.id) { copyCString(identity.id, into: $0) }
            withUnsafeMutableBytes(of: &r.pointee.driver) { copyCString(identity.driver, into: $0) }
            withUnsafeMutableBytes(of: &r.pointee.name) { copyCString(identity.name, into: $0) }
            withUnsafeMutableBytes(of: &r.pointee.longname) { copyCString(identity.longName, into: $0) }
            withUnsafeMutableBytes(of: &r.pointee.mixername) { copyCString(identity.mixerName, into: $0) }
            withUnsafeMutableBytes(of: &r.pointee.components) { copyCString(identity.components, into: $0) }
        case ALSA_IOCTL_CTL_PCM_NEXT_DEVICE:
            // snd_pcm_next(): the first device above the one given, or -1.
            let r = try argument.pointer(Int32.self)
            r.pointee = substreams.map { Int32(truncatingIfNeeded: $0.device) }.filter { $0 > r.pointee }.min() ?? -1
        case ALSA_IOCTL_CTL_PCM_INFO:
            let r = try argument.pointer(snd_pcm_info.self)
            let device = Int32(bitPattern: r.pointee.device)
            let capture = r.pointee.stream == ALSA_STREAM_CAPTURE
            guard r.pointee.stream == ALSA_STREAM_PLAYBACK || capture else { throw .invalidArgument }
            let ofDevice = substreams.filter { $0.device == device }
            guard !ofDevice.isEmpty else { throw .noSuchAddressOrDevice }
            guard let s = ofDevice.first(where: { $0.capture == capture }) else { throw .noSuchFileOrDirectory }
            guard r.pointee.subdevice == 0 else { throw .noSuchAddressOrDevice }
            s.fillInfo(r)
        case ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE:
            _ = try argument.pointer(Int32.self)
        default:
            return try mixer.ioctl(request, argument, fd: fd)
        }
        return 0
    }
}
