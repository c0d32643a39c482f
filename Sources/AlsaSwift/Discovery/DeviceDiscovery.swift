/// Finds the machine's sound cards and PCM devices through the kernel's control devices, without
/// reading /proc and without holding anything open: each control device is opened for its
/// answers and closed; each PCM is opened for a moment only when its capabilities are asked for.
/// One busy or failing device is reported on its own entry and never fails the whole listing.
///
/// Runs on any `KernelInterface`, so the simulated kernel can be listed too.
public struct DeviceDiscovery: Sendable {
    /// The kernel the devices are looked for on.
    public let kernel: any KernelInterface
    /// The card numbers tried (the kernel's default SNDRV_CARDS limit is 32).
    public var cardRange: Range<Int> = 0..<32

    /// Discovery on `kernel`: the machine's by default, or a simulated one.
    public init(kernel: any KernelInterface = LinuxKernel.shared) {
        self.kernel = kernel
    }

    /// Every card, by index.
    public func cards() throws(AlsaError) -> [SoundCard] {
        var cards: [SoundCard] = []
        for index in cardRange {
            guard let control = try ControlFile(card: index, kernel: kernel) else { continue }
            cards.append(try control.cardInfo())
        }
        return cards
    }

    /// Every card with its PCM devices. With `probeCapabilities`, each direction is opened for a
    /// moment (non-blocking) to read what it offers and the sync path this library would use.
    public func listing(probeCapabilities: Bool = true) -> [CardListing] {
        var result: [CardListing] = []
        for index in cardRange {
            let control: ControlFile
            do throws(AlsaError) {
                guard let opened = try ControlFile(card: index, kernel: kernel) else { continue }
                control = opened
            } catch {
                result.append(CardListing(card: SoundCard(index: index, id: "", driver: "", name: "", longName: "", mixerName: "", components: ""),
                                          devices: [], problem: error))
                continue
            }
            result.append(listing(of: control, probeCapabilities: probeCapabilities))
        }
        return result
    }

    /// The PCM devices of one card.
    public func pcmDevices(card: Int, probeCapabilities: Bool = true) throws(AlsaError) -> [PCMDeviceEntry] {
        guard let control = try ControlFile(card: card, kernel: kernel) else {
            throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card \(card)")
        }
        let listing = listing(of: control, probeCapabilities: probeCapabilities)
        if let problem = listing.problem { throw problem }
        return listing.devices
    }

    /// The index of the card whose id is `id` (as in `hw:CARD=<id>`).
    public func cardIndex(id: String) throws(AlsaError) -> Int {
        guard let card = try cards().first(where: { $0.id == id }) else {
            throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card with id \(id)")
        }
        return card.index
    }

    private func listing(of control: ControlFile, probeCapabilities: Bool) -> CardListing {
        let card: SoundCard
        do throws(AlsaError) {
            card = try control.cardInfo()
        } catch {
            return CardListing(card: SoundCard(index: control.card, id: "", driver: "", name: "", longName: "", mixerName: "", components: ""),
                               devices: [], problem: error)
        }
        var devices: [PCMDeviceEntry] = []
        do throws(AlsaError) {
            for device in try control.pcmDevices() {
                var entry = PCMDeviceEntry(card: card.index, device: device, id: "", name: "", playback: nil, capture: nil)
                for direction in [StreamDirection.playback, .capture] {
                    let stream: PCMStreamEntry
                    do throws(AlsaError) {
                        guard let info = try control.pcmInfo(device: device, direction: direction) else { continue }
                        let identity = PCMDeviceInfo(info)
                        entry.id = identity.id
                        entry.name = identity.name
                        stream = PCMStreamEntry(subdeviceCount: Int(identity.subdeviceCount),
                                                subdevicesAvailable: Int(identity.subdevicesAvailable),
                                                probe: probeCapabilities ? probe(card: card.index, device: device, direction: direction) : .notProbed)
                    } catch {
                        stream = PCMStreamEntry(subdeviceCount: 0, subdevicesAvailable: 0, probe: .failed(error))
                    }
                    if direction == .playback { entry.playback = stream } else { entry.capture = stream }
                }
                devices.append(entry)
            }
        } catch {
            return CardListing(card: card, devices: devices, problem: error, midiDevices: midiDevices(of: control, card: card.index))
        }
        return CardListing(card: card, devices: devices, problem: nil, midiDevices: midiDevices(of: control, card: card.index))
    }

    /// The raw MIDI devices of one card, with their subdevices.
    public func rawMIDIDevices(card: Int) throws(AlsaError) -> [RawMIDIDeviceEntry] {
        guard let control = try ControlFile(card: card, kernel: kernel) else {
            throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card \(card)")
        }
        return midiDevices(of: control, card: card)
    }

    /// Each raw MIDI device the control device lists; one that will not describe itself is an
    /// entry with a `problem`. A card whose control device cannot list them (a kernel without raw
    /// MIDI answers ENOTTY or ENOENT) has none.
    private func midiDevices(of control: ControlFile, card: Int) -> [RawMIDIDeviceEntry] {
        guard let numbers = try? control.rawMIDIDevices() else { return [] }
        return numbers.map { device in
            var entry = RawMIDIDeviceEntry(card: card, device: device, id: "", name: "", directions: [], subdevices: [])
            do throws(AlsaError) {
                var counts: [(RawMIDIDirections, Int)] = []
                for direction in [RawMIDIDirections.input, .output] {
                    guard let info = try control.rawMIDIInfo(device: device, direction: direction) else { continue }
                    entry.id = CString.decode(info.id)
                    entry.name = CString.decode(info.name)
                    entry.directions.insert(direction)
                    // A driver may claim any count: the kernel allows at most a few dozen.
                    counts.append((direction, min(Int(info.subdevices_count), 64)))
                }
                for number in 0..<(counts.map(\.1).max() ?? 0) {
                    var subdevice = RawMIDISubdeviceEntry(number: number, name: "", directions: [])
                    for (direction, count) in counts where number < count {
                        guard let info = try control.rawMIDIInfo(device: device, direction: direction, subdevice: number) else { continue }
                        subdevice.name = CString.decode(info.subname)
                        subdevice.directions.insert(direction)
                    }
                    entry.subdevices.append(subdevice)
                }
            } catch {
                entry.problem = error
            }
            return entry
        }
    }

    /// Opens the PCM for a moment: what it offers and the sync path the direct transport would use.
    private func probe(card: Int, device: Int, direction: StreamDirection) -> PCMProbe {
        do throws(AlsaError) {
            let pcm = try KernelPCM(card: card, device: device, direction: direction,
                                    options: PCMOpenOptions(nonBlocking: true), kernel: kernel)
            defer { try? pcm.close() }
            return .available(capabilities: pcm.capabilities, syncStrategy: pcm.syncStrategy)
        } catch {
            return error.kind == .busy ? .busy : .failed(error)
        }
    }
}
