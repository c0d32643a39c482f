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
        case ALSA_IOCTL_CTL_ELEM_READ, ALSA_IOCTL_CTL_ELEM_WRITE:
            let r = try argument.pointer(snd_ctl_elem_value.self)
            guard let element = mixer.element(for: r.pointee.id), let offers = element.channelMapOffers else {
                return try mixer.ioctl(request, argument, fd: fd)
            }
            if request == ALSA_IOCTL_CTL_ELEM_WRITE && !element.access.contains(.write) { throw .permissionDenied }
            let s = substreams.first { $0.device == element.device && $0.capture == (element.name == "Capture Channel Map") }
            guard let s else { throw .noDevice }
            r.pointee.id = mixer.fullID(for: r.pointee.id) ?? r.pointee.id
            let values = alsa_ctl_value_integers(r)!
            if request == ALSA_IOCTL_CTL_ELEM_READ {
                let map = try Self.channelMap(of: s, offers: offers)
                for i in 0..<element.values.count { values[i] = i < map.count ? map[i] : 0 }
            } else {
                try Self.setChannelMap(of: s, offers: offers, values: (0..<element.values.count).map { values[$0] })
            }
        default:
            return try mixer.ioctl(request, argument, fd: fd)
        }
        return 0
    }

    /// pcm_chmap_ctl_get: zeros while no file has the substream open; for an open one, the map
    /// for its channel count (the one user space chose, where the driver lets it, else the
    /// first offered); EINVAL when none fits (also before HW_PARAMS, with no channel count).
    static func channelMap(of s: Substream, offers: [ChannelMapOption]) throws(Errno) -> [Int] {
        guard s.isOpen else { return [] }
        guard let channels = s.setup?.channelCount else { throw .invalidArgument }
        if let chosen = s.channelMapChoice, chosen.count == channels { return chosen }
        guard let offer = offers.first(where: { $0.map.channelCount == channels }) else { throw .invalidArgument }
        return offer.map.positions.map { Int($0.rawValue) }
    }

    /// A writable channel map control (as HDMI drivers have): the substream must be configured,
    /// and the map must be one the control offers for its channel count.
    static func setChannelMap(of s: Substream, offers: [ChannelMapOption], values: [Int]) throws(Errno) {
        guard s.isOpen, let channels = s.setup?.channelCount else { throw .badFileDescriptorState }
        let chosen = Array(values.prefix(channels))
        guard chosen.allSatisfy({ UInt32(exactly: $0) != nil }),
              offers.contains(where: { $0.allows(ChannelMap(chosen.map { ChannelPosition(rawValue: UInt32($0)) })) }) else {
            throw .invalidArgument
        }
        s.channelMapChoice = chosen
    }
}
