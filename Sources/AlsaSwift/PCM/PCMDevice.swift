/// Opens a PCM by ALSA name on the right transport.
///
/// | name | `.automatic` gives |
/// |---|---|
/// | `hw:0,0`, `hw:CARD=Dummy,DEV=1,SUBDEV=0` | the direct kernel transport: explicit sync read from the device, two-phase SYNC_PTR when required |
/// | `default`, `plughw:…`, `dmix`, `pulse`, anything else | alsa-lib, with its plugins and configuration |
///
/// `.alsaLib` sends `hw:` names to alsa-lib as well; `.direct` refuses names it cannot serve.
/// Either way `PCM.syncReport` says whether the device requires explicit sync and how the records
/// move. On a kernel other than the machine's (the simulated one) only the direct transport exists.
public enum PCMDevice {
    /// Which transport `open` may use for a name.
    public enum TransportChoice: Sendable, Equatable {
        /// `hw:` names on the direct transport, every other name through alsa-lib.
        case automatic
        /// Every name through alsa-lib, `hw:` names too.
        case alsaLib
        /// The direct transport only: names it cannot serve are refused.
        case direct
    }

    /// Opens the PCM `name` for `direction` on the transport `transport` allows; on a kernel other than the
    /// machine's, `hw:` names only.
    public static func open(_ name: String, direction: StreamDirection, options: PCMOpenOptions = PCMOpenOptions(),
                            transport: TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) -> any PCM {
        let parsed = try PCMName(parsing: name)
        let realMachine = kernel.servesMachineDevices
        switch (parsed, transport) {
        case (.hardware(let card, let device, let subdevice), .automatic), (.hardware(let card, let device, let subdevice), .direct):
            return try openDirect(card: card, device: device, subdevice: subdevice, direction: direction, options: options, kernel: kernel)
        case (_, .alsaLib) where realMachine, (.library, .automatic) where realMachine:
            return try AlsaLibPCM(name: name, direction: direction, options: options, kernel: kernel)
        case (.library, .direct):
            throw AlsaError(.open, .invalidArgument, context: "the direct transport serves hw: names only; \(name) needs alsa-lib")
        default:
            throw AlsaError(.open, .invalidArgument, context: "\(name) needs alsa-lib, which runs on the machine's kernel only; this kernel serves hw: names")
        }
    }

    /// Opens a `hw:` name on the direct transport, resolving a card id through the control devices.
    static func openDirect(card reference: PCMName.CardReference, device: Int, subdevice: Int?, direction: StreamDirection,
                                   options: PCMOpenOptions, kernel: any KernelInterface) throws(AlsaError) -> KernelPCM {
        let card: Int
        switch reference {
        case .index(let index): card = index
        case .id(let id): card = try CardScan(kernel: kernel).cardIndex(id: id)
        }
        guard let subdevice else {
            return try KernelPCM(card: card, device: device, direction: direction, options: options, kernel: kernel)
        }
        // The kernel hands out the preferred subdevice to this process while the control file that
        // asked for it stays open.
        guard let control = try ControlFile(card: card, kernel: kernel) else {
            throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card \(card)")
        }
        try control.preferSubdevice(subdevice)
        let pcm = try KernelPCM(card: card, device: device, direction: direction, options: options, kernel: kernel)
        guard Int(pcm.deviceInfo.subdevice) == subdevice else {
            throw AlsaError(.open, .resourceBusy, context: "subdevice \(subdevice) of hw:\(card),\(device) is not available")
        }
        return pcm
    }
}
