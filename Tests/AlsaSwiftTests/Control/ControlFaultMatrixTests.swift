import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

/// The control-device half of the fault matrix: each ioctl discovery and subdevice selection issue
/// on /dev/snd/controlC<n>, failed on its first and second call, once and for good. A failure lands
/// on the entry it concerns (a card, a device, a stream) with its operation and errno, the rest of
/// the listing is intact, and no control file stays open.
@Suite("Fault matrix: control device")
struct ControlFaultMatrixTests {
    static let errnos: [Errno] = [.ioError, .noDevice, .badFileDescriptorState]

    /// Two cards (0 and 1), one PCM device each with both directions.
    static func machine() -> SimulatedKernel {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addDevice(card: 1, device: 0, hardware: .explicitSync)
        kernel.setIdentity(SimulatedCardIdentity(id: "Second", driver: "AlsaSwiftSim", name: "Second card"), card: 1)
        return kernel
    }

    static func arm(_ kernel: SimulatedKernel, _ errno: Errno, _ request: UInt, after skipped: Int, persistent: Bool) {
        if persistent {
            kernel.injectPersistently(errno, into: .ioctl, request: request, after: skipped)
        } else {
            kernel.inject(errno, into: .ioctl, request: request, after: skipped)
        }
    }

    static func cases(_ body: (Errno, Int, Bool) throws -> Void) rethrows {
        for errno in errnos {
            for skipped in [0, 1] {
                for persistent in [false, true] { try body(errno, skipped, persistent) }
            }
        }
    }

    @Test("CARD_INFO: the card it fails on is listed with the error, the other card in full; a card id lookup fails typed")
    func cardInfo() {
        Self.cases { errno, skipped, persistent in
            let kernel = Self.machine()
            Self.arm(kernel, errno, ALSA_IOCTL_CTL_CARD_INFO, after: skipped, persistent: persistent)
            let listing = AudioDevices(kernel: kernel).listing()
            let label = "#\(skipped + 1) \(errno)\(persistent ? " persistent" : "")"
            #expect(listing.cards.count == 2, "\(label)")
            for (index, card) in listing.cards.enumerated() {
                let failed = index == skipped || (persistent && index > skipped)
                let devices = listing.pcmDevices(card: card.index)
                if failed {
                    #expect(card.problem == AlsaError(.controlCardInfo, errno) && devices.isEmpty, "\(label) card \(index)")
                } else {
                    #expect(card.problem == nil && devices.count == 1, "\(label) card \(index)")
                }
            }
            #expect(kernel.openDescriptorCount == 0, "\(label)")

            let lookup = Self.machine()
            Self.arm(lookup, errno, ALSA_IOCTL_CTL_CARD_INFO, after: skipped, persistent: persistent)
            let error = #expect(throws: AlsaError.self) {
                _ = try PCMDevice.open("hw:CARD=Second,DEV=0", direction: .playback, transport: .direct, kernel: lookup)
            }
            #expect(error?.operation == .controlCardInfo && error?.errno == errno, "\(label)")
            #expect(lookup.openDescriptorCount == 0, "\(label)")
        }
    }

    @Test("PCM_NEXT_DEVICE: the card it fails on is listed with the error and no devices, the other card in full")
    func nextDevice() {
        Self.cases { errno, skipped, persistent in
            let kernel = Self.machine()
            Self.arm(kernel, errno, ALSA_IOCTL_CTL_PCM_NEXT_DEVICE, after: skipped, persistent: persistent)
            let listing = AudioDevices(kernel: kernel).listing()
            let label = "#\(skipped + 1) \(errno)\(persistent ? " persistent" : "")"
            // Card 0 asks twice (device 0, then the end): the first or second call fails there.
            #expect(listing.cards[0].problem == AlsaError(.controlNextDevice, errno), "\(label)")
            #expect(listing.pcmDevices(card: 0).isEmpty, "\(label)")
            // Card 1 is reached by a persistent fault only.
            #expect(listing.cards[1].problem == (persistent ? AlsaError(.controlNextDevice, errno) : nil), "\(label)")
            #expect(listing.pcmDevices(card: 1).count == (persistent ? 0 : 1), "\(label)")
            #expect(kernel.openDescriptorCount == 0, "\(label)")
        }
    }

    @Test("PCM_INFO: the stream it fails on reports the error, the other streams are listed")
    func pcmInfo() {
        Self.cases { errno, skipped, persistent in
            let kernel = Self.machine()
            Self.arm(kernel, errno, ALSA_IOCTL_CTL_PCM_INFO, after: skipped, persistent: persistent)
            let listing = AudioDevices(kernel: kernel).listing()
            let label = "#\(skipped + 1) \(errno)\(persistent ? " persistent" : "")"
            // In order: card 0 playback, card 0 capture, card 1 playback, card 1 capture.
            let streams = listing.cards.flatMap { listing.pcmDevices(card: $0.index) }.flatMap { $0.kernelInfo?.substreams ?? [] }
            #expect(streams.count == 4, "\(label)")
            for (position, stream) in streams.enumerated() {
                // ENODEV marks the card's control file dead: its later streams fail without a call.
                let sameCardAfter = errno == .noDevice && position / 2 == skipped / 2 && position > skipped
                let failed = position == skipped || (persistent && position > skipped) || sameCardAfter
                #expect(stream.problem == (failed ? AlsaError(.controlPCMInfo, errno) : nil), "\(label) stream \(position)")
            }
            #expect(listing.cards.allSatisfy { $0.problem == nil }, "\(label)")
            #expect(kernel.openDescriptorCount == 0, "\(label)")
        }
    }

    @Test("PCM_PREFER_SUBDEVICE: opening a named subdevice fails typed and leaves nothing open")
    func preferSubdevice() throws {
        try Self.cases { errno, skipped, persistent in
            let kernel = Self.machine()
            Self.arm(kernel, errno, ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE, after: skipped, persistent: persistent)
            let label = "#\(skipped + 1) \(errno)\(persistent ? " persistent" : "")"
            // The first open is call #1; a second open is call #2.
            for attempt in 0...skipped {
                let outcome = Result { () throws(AlsaError) in
                    try PCMDevice.open("hw:\(attempt),0,0", direction: .playback, transport: .direct, kernel: kernel)
                }
                if attempt < skipped {
                    try outcome.get().close()
                } else {
                    #expect(throws: AlsaError(.controlPreferSubdevice, errno), "\(label)") { try outcome.get() }
                }
            }
            #expect(kernel.openDescriptorCount == 0, "\(label)")
        }
    }
}
