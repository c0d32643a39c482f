/// The device model an app needs: the default devices, the cards, every name it can open, what
/// each offers, probed when asked, and whether one exact configuration is supported.
///
/// ```swift
/// let devices = AudioDevices()
/// print(devices.defaultDevice(.playback))      // default playback: default (type empty) -> hw:0,0,0, card Dummy: Dummy
/// for device in devices.list() where device.serves(.playback) {
///     print(device.name, device.title)          // hw:CARD=Dummy,DEV=0  Dummy, Dummy PCM
///     print(devices.capabilities(of: device.name, direction: .playback))
/// }
/// ```
///
/// On the machine's kernel the listing merges alsa-lib's name hints with the kernel's PCM devices;
/// on a simulated kernel (no alsa-lib) it lists the kernel's devices. The cards and their devices
/// are read through each card's control device, without /proc. Listing opens no PCM; a card or
/// device that fails is reported on its own entry and never fails the listing.
public struct AudioDevices: Sendable {
    /// The kernel listed: the machine's (`LinuxKernel.shared`), or a simulated one.
    public let kernel: any KernelInterface
    /// alsa-lib configuration text (the syntax of `~/.asoundrc`) loaded on top of the system's when
    /// the default is resolved and alsa-lib names are probed, e.g. `pcm.!default { type null }`.
    /// alsa-lib's hints always come from the system's configuration.
    public var alsaLibConfiguration: String?

    /// The device model of `kernel`; on the machine's kernel, alsa-lib's configuration with
    /// `alsaLibConfiguration` on top, if given.
    public init(kernel: any KernelInterface = LinuxKernel.shared, alsaLibConfiguration: String? = nil) {
        self.kernel = kernel
        self.alsaLibConfiguration = alsaLibConfiguration
    }

    private var isMachine: Bool { kernel.servesMachineDevices }

    // MARK: default devices

    /// Where the default device of `direction` leads (see `DefaultDevice`). Never throws: a default
    /// that cannot be opened is reported as `.unavailable` with the reason.
    public func defaultDevice(_ direction: StreamDirection) -> DefaultDevice {
        guard isMachine else { return simulatedDefault(direction) }
        var configuredType: String?
        let route: DefaultDevice.Route
        do throws(AlsaError) {
            let tree = try alsaLibConfiguration.map { (text: String) throws(AlsaError) in try LocalConfiguration(text: text) }
            configuredType = LibraryConfiguration.pcmType(of: "default", in: tree)
            let pcm = try AlsaLibPCM(name: "default", direction: direction, configuration: alsaLibConfiguration,
                                     options: PCMOpenOptions(nonBlocking: true), kernel: kernel)
            defer { try? pcm.close() }
            if let address = pcm.syncReport.hardware {
                route = .hardware(address, card: CardScan(kernel: kernel).card(address.card))
            } else {
                route = .plugin(card: pcm.libraryCard)
            }
        } catch {
            route = .unavailable(error)
        }
        return DefaultDevice(direction: direction, name: "default", configuredType: configuredType, route: route)
    }

    /// alsa-lib's built-in default without any configuration on top: card 0, device 0.
    private func simulatedDefault(_ direction: StreamDirection) -> DefaultDevice {
        let name = "hw:0,0"
        let route: DefaultDevice.Route
        do throws(AlsaError) {
            let pcm = try KernelPCM(card: 0, device: 0, direction: direction, options: PCMOpenOptions(nonBlocking: true), kernel: kernel)
            defer { try? pcm.close() }
            let address = pcm.syncReport.hardware ?? HardwareAddress(card: 0, device: 0, subdevice: Int(pcm.deviceInfo.subdevice))
            route = .hardware(address, card: CardScan(kernel: kernel).card(address.card))
        } catch {
            route = .unavailable(error)
        }
        return DefaultDevice(direction: direction, name: name, configuredType: nil, route: route)
    }

    // MARK: listing

    /// Every name that can be opened, without duplicates: `default` first, alsa-lib's hints in alsa-lib's order,
    /// with each kernel device merged into the `hw:CARD=<id>,DEV=<n>` hint that names it, then the
    /// kernel devices alsa-lib does not advertise. Opens no PCM.
    ///
    /// A card or device the kernel would not describe is an entry with a `problem`; when alsa-lib's
    /// hints cannot be read, the kernel devices are still listed and `hintProblem` says why.
    public func list() -> [AudioDevice] { listing().devices }

    /// The cards and `list()`, with the reason alsa-lib's hints are missing, if they are.
    public func listing() -> AudioDeviceListing {
        let (cards, hardware) = CardScan(kernel: kernel).scan()
        var hints: [PCMNameHint] = []
        var hintProblem: AlsaError?
        if isMachine {
            do throws(AlsaError) { hints = try PCMNameHint.all() } catch { hintProblem = error }
        }
        var cardsByID: [String: Int] = [:]
        for card in cards where !card.id.isEmpty { cardsByID[card.id] = card.index }

        var devices: [AudioDevice] = []
        var position: [String: Int] = [:]
        func add(_ device: AudioDevice) {
            if let index = position[device.name] {
                devices[index] = Self.merge(devices[index], device)
            } else {
                position[device.name] = devices.count
                devices.append(device)
            }
        }
        // alsa-lib advertises `default` only when its configuration gives it a hint (a sound
        // server's does; the stock card default does not), yet it is the name most apps open.
        if isMachine {
            let advertised = hints.firstIndex { $0.name == "default" }.map { hints.remove(at: $0) }
            hints.insert(advertised ?? PCMNameHint(name: "default", description: "Default device\nThe system's default sound device, as alsa-lib's configuration sets it",
                                                   direction: nil), at: 0)
        }
        for hint in hints {
            let (title, details) = Self.split(hint.description)
            let card = Self.cardField(of: hint.name).flatMap { cardsByID[$0] ?? Int($0) }
            add(AudioDevice(name: hint.name, directions: hint.direction.map { [$0] } ?? [.playback, .capture],
                            title: title, details: details, origin: .alsaLib, card: card, device: nil,
                            transport: Self.transport(of: hint.name)))
        }
        for device in hardware { add(device) }
        return AudioDeviceListing(cards: cards, devices: devices, hintProblem: hintProblem)
    }

    /// One entry for a name listed twice: the kernel's account of a device wins for what the kernel
    /// knows (directions, card, device, problems), alsa-lib's for the words.
    static func merge(_ first: AudioDevice, _ second: AudioDevice) -> AudioDevice {
        let (hint, kernel) = first.origin == .hardware ? (second, first) : (first, second)
        guard kernel.origin == .hardware, hint.origin == .alsaLib else {
            var merged = first
            merged.directions = [StreamDirection.playback, .capture].filter { first.serves($0) || second.serves($0) }
            return merged
        }
        var merged = kernel
        if !hint.title.isEmpty {
            merged.title = hint.title
            merged.details = hint.details
        }
        return merged
    }

    /// alsa-lib hints describe a device in lines: the first names it, the rest explain it.
    static func split(_ description: String) -> (title: String, details: String) {
        let lines = description.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        return (lines.first ?? "", lines.dropFirst().joined(separator: " "))
    }

    /// The `CARD=` argument of a name such as `sysdefault:CARD=Dummy` or `hw:CARD=Dummy,DEV=0`.
    static func cardField(of name: String) -> String? {
        guard let colon = name.firstIndex(of: ":") else { return nil }
        for field in name[name.index(after: colon)...].split(separator: ",") where field.hasPrefix("CARD=") {
            return String(field.dropFirst(5))
        }
        return nil
    }

    private static func transport(of name: String) -> PCMTransport {
        if case .hardware? = try? PCMName(parsing: name) { return .direct }
        return .alsaLib
    }

    // MARK: MIDI

    /// Every card's raw MIDI devices (`hw:<card>,<device>`, what `RawMIDI` opens), from the same
    /// control devices the PCM listing reads. Sequencer ports are listed by `Sequencer.clients()`.
    public func midiDevices() -> [RawMIDIDeviceEntry] {
        CardScan(kernel: kernel).midiDevices()
    }

    // MARK: capabilities

    /// Opens `name` for a moment (non-blocking, nothing configured) on the transport
    /// `PCMDevice.open` would use, and reads what it offers: formats, rates, channels, period and
    /// buffer ranges, whether the kernel PCM behind it requires explicit sync and how this process
    /// would move the records. A busy device is `.busy`, never a wait; a failure's error names the
    /// device and direction (`hw:1,0 playback: …`).
    public func capabilities(of name: String, direction: StreamDirection) -> DeviceCapabilityProbe {
        do throws(AlsaError) {
            let options = PCMOpenOptions(nonBlocking: true)
            let pcm: any PCM
            if isMachine, let alsaLibConfiguration, Self.transport(of: name) == .alsaLib {
                pcm = try AlsaLibPCM(name: name, direction: direction, configuration: alsaLibConfiguration, options: options, kernel: kernel)
            } else {
                pcm = try PCMDevice.open(name, direction: direction, options: options, kernel: kernel)
            }
            defer { try? pcm.close() }
            return .available(capabilities: pcm.capabilities, sync: pcm.syncReport)
        } catch {
            return error.kind == .busy ? .busy : .failed(Self.naming(name, direction, in: error))
        }
    }

    /// `capabilities(of:direction:)` for every direction `device` serves, playback first.
    public func capabilities(of device: AudioDevice) -> [(direction: StreamDirection, probe: DeviceCapabilityProbe)] {
        device.directions.map { ($0, capabilities(of: device.name, direction: $0)) }
    }

    // MARK: exact support

    /// Whether `name` can be configured with exactly `request` for `direction`, as the kernel's
    /// HW_REFINE answers it: the question `snd_pcm_hw_params_test_rate` and `Pa_IsFormatSupported`
    /// ask. Access, format, channel count and rate are taken as given, and so are the period size,
    /// buffer size or period count when set; nothing is met by the nearest value, as `configure`
    /// would. The device is opened for a moment, non-blocking, and configured with nothing.
    ///
    /// ```swift
    /// let devices = AudioDevices(kernel: SimulatedKernel(card: 0, hardware: .dummy))
    /// let request = HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 44_100)
    /// print(try devices.supports(request, on: "hw:0,0", direction: .playback))   // true
    /// ```
    ///
    /// - Throws: when the question has no answer: a name the direct transport does not serve
    ///   (only `hw:` names), an absent or busy device, numbers no device can take (`rate 0`).
    ///   A refusal is `false`; `requireSupport(_:on:direction:)` says which value was refused.
    public func supports(_ request: HardwareRequest, on name: String, direction: StreamDirection) throws(AlsaError) -> Bool {
        try refusal(of: request, on: name, direction: direction) == nil
    }

    /// Returns when `supports(_:on:direction:)` would say true; otherwise throws an
    /// `.invalidArgument` error (operation `HW_REFINE`) that names the device and the first value
    /// it refused with those before it, and what it allows there:
    /// `hw:0,0 playback: rate 96000 is not supported with access …, format S16_LE, channels 2; the device allows rate 5500...48000`.
    public func requireSupport(_ request: HardwareRequest, on name: String, direction: StreamDirection) throws(AlsaError) {
        if let reason = try refusal(of: request, on: name, direction: direction) {
            throw AlsaError(.hwRefine, .invalidArgument, context: "\(name) \(direction): \(reason)")
        }
    }

    private func refusal(of request: HardwareRequest, on name: String, direction: StreamDirection) throws(AlsaError) -> String? {
        do throws(AlsaError) {
            guard case .hardware(let card, let device, let subdevice) = try PCMName(parsing: name) else {
                throw AlsaError(.open, .invalidArgument, context: "the kernel is asked directly, so only hw: names are answered")
            }
            let pcm = try PCMDevice.openDirect(card: card, device: device, subdevice: subdevice, direction: direction,
                                               options: PCMOpenOptions(nonBlocking: true), kernel: kernel)
            defer { try? pcm.close() }
            return try pcm.refusal(ofExactly: request)
        } catch {
            throw Self.naming(name, direction, in: error)
        }
    }

    /// `error` with the device and direction it concerns at the head of its context.
    private static func naming(_ name: String, _ direction: StreamDirection, in error: AlsaError) -> AlsaError {
        let subject = "\(name) \(direction)"
        if let context = error.context, context.hasPrefix(subject) { return error }
        return AlsaError(error.operation, error.errno, context: error.context.map { "\(subject): \($0)" } ?? subject)
    }
}
