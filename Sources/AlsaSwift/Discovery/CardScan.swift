/// Walks the kernel's control devices for the device model (`AudioDevices`): each card's identity,
/// its PCM devices per direction and its raw MIDI devices, without reading /proc and without
/// holding anything open (each control device is opened for its answers and closed; no PCM is
/// opened). One failing card or device is reported on its own entry and never fails the walk.
///
/// Runs on any `KernelInterface`, so the simulated kernel is walked the same way.
struct CardScan: Sendable {
    /// The kernel the devices are looked for on.
    let kernel: any KernelInterface
    /// The card numbers tried (the kernel's default SNDRV_CARDS limit is 32).
    var cardRange: Range<Int> = 0..<32

    init(kernel: any KernelInterface) {
        self.kernel = kernel
    }

    /// Every card, by index; the first card that will not describe itself fails the call.
    func cards() throws(AlsaError) -> [SoundCard] {
        var cards: [SoundCard] = []
        for index in cardRange {
            guard let control = try ControlFile(card: index, kernel: kernel) else { continue }
            cards.append(try control.cardInfo())
        }
        return cards
    }

    /// Card `index`'s identity only (no device is read); nil when it is absent or will not describe itself.
    func card(_ index: Int) -> SoundCard? {
        guard let control = try? ControlFile(card: index, kernel: kernel) else { return nil }
        return try? control.cardInfo()
    }

    /// Every card's raw MIDI devices, reading nothing else of the cards (no PCM_INFO).
    func midiDevices() -> [RawMIDIDeviceEntry] {
        var entries: [RawMIDIDeviceEntry] = []
        for index in cardRange {
            guard let control = try? ControlFile(card: index, kernel: kernel) else { continue }
            entries += midiDevices(of: control, card: index)
        }
        return entries
    }

    /// The index of the card whose id is `id` (as in `hw:CARD=<id>`).
    func cardIndex(id: String) throws(AlsaError) -> Int {
        guard let card = try cards().first(where: { $0.id == id }) else {
            throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card with id \(id)")
        }
        return card.index
    }

    /// Every card, with its raw MIDI devices, and every kernel PCM device as a `.hardware` entry
    /// named `hw:CARD=<id>,DEV=<n>` (by index when the card's id is unknown). A card that could
    /// not be listed carries its `problem`; when it has no device to show, it is also one entry
    /// (`hw:CARD=<id>` or `hw:<index>`) with that problem, so a device picker shows it.
    func scan() -> (cards: [SoundCard], devices: [AudioDevice]) {
        var cards: [SoundCard] = []
        var devices: [AudioDevice] = []
        for index in cardRange {
            let control: ControlFile
            do throws(AlsaError) {
                guard let opened = try ControlFile(card: index, kernel: kernel) else { continue }
                control = opened
            } catch {
                cards.append(Self.unknownCard(index, problem: error))
                devices.append(Self.cardEntry(cards[cards.count - 1]))
                continue
            }
            let (card, pcms) = scan(control)
            cards.append(card)
            devices += pcms
            if let problem = card.problem, pcms.isEmpty { devices.append(Self.cardEntry(card, problem: problem)) }
        }
        return (cards, devices)
    }

    private static func unknownCard(_ index: Int, problem: AlsaError) -> SoundCard {
        SoundCard(index: index, id: "", driver: "", name: "", longName: "", mixerName: "", components: "", problem: problem)
    }

    /// The entry that stands for a card none of whose devices could be listed.
    private static func cardEntry(_ card: SoundCard, problem: AlsaError? = nil) -> AudioDevice {
        AudioDevice(name: card.id.isEmpty ? "hw:\(card.index)" : "hw:CARD=\(card.id)", directions: [], title: card.name, details: "",
                    origin: .hardware, card: card.index, device: nil, transport: .direct, problem: problem ?? card.problem)
    }

    private func scan(_ control: ControlFile) -> (SoundCard, [AudioDevice]) {
        var card: SoundCard
        do throws(AlsaError) {
            card = try control.cardInfo()
        } catch {
            return (Self.unknownCard(control.card, problem: error), [])
        }
        var devices: [AudioDevice] = []
        do throws(AlsaError) {
            for device in try control.pcmDevices() {
                devices.append(entry(card: card, device: device, control: control))
            }
        } catch {
            card.problem = error
        }
        card.midiDevices = midiDevices(of: control, card: card.index)
        return (card, devices)
    }

    /// One kernel PCM device: the directions whose PCM_INFO answered, the first refusal as the
    /// entry's problem.
    private func entry(card: SoundCard, device: Int, control: ControlFile) -> AudioDevice {
        var info = AudioDevice.KernelInfo(id: "", name: "", substreams: [])
        for direction in [StreamDirection.playback, .capture] {
            do throws(AlsaError) {
                guard let answer = try control.pcmInfo(device: device, direction: direction) else { continue }
                let identity = PCMDeviceInfo(answer)
                info.id = identity.id
                info.name = identity.name
                info.substreams.append(AudioDevice.Substreams(direction: direction, count: identity.subdeviceCount,
                                                              available: identity.subdevicesAvailable))
            } catch {
                info.substreams.append(AudioDevice.Substreams(direction: direction, count: 0, available: 0, problem: error))
            }
        }
        let name = card.id.isEmpty ? "hw:\(card.index),\(device)" : "hw:CARD=\(card.id),DEV=\(device)"
        let title = [card.name, info.name].filter { !$0.isEmpty }.joined(separator: ", ")
        return AudioDevice(name: name, directions: info.substreams.filter { $0.problem == nil }.map(\.direction),
                           title: title, details: "", origin: .hardware, card: card.index, device: device,
                           transport: .direct, problem: info.substreams.lazy.compactMap(\.problem).first, kernelInfo: info)
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
}
