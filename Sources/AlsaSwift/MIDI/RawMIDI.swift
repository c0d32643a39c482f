import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A raw MIDI device (`/dev/snd/midiC<card>D<device>`): the bytes of a MIDI cable, in and out,
/// through the kernel seam. Reads come as typed `MIDIMessage`s (running status, real-time bytes
/// and SysEx of any length handled by `MIDIParser`) or as bytes; writes take messages or bytes.
///
/// ```swift
/// let keyboard = try RawMIDI("hw:1,0", directions: .input)
/// for try await message in keyboard.messages {
///     if case .noteOn(_, let note, let velocity) = message, velocity > 0 { print("key", note) }
/// }
/// ```
///
/// Every call that waits has a blocking form, named `…Blocking`, which sleeps in poll(2), and an
/// `async` one: the task is suspended on the kernel's poll reactor, and no thread is held. The file closes when the object
/// goes away. Sending and the one-at-a-time reads (`next()`, `nextBlocking(timeout:)`, `messages`)
/// allocate nothing per message, but for SysEx, whose payload is an array, and `.invalid`: a
/// synth's input thread may use them. The calls that hand out arrays allocate those arrays. One task at a time should use it; the messages and the bytes of the input are one
/// stream, so read one way or the other. As with every raw MIDI file, the kernel starts the input
/// at the first read or wait (`available()` is one): what arrives before that is not kept.
public final class RawMIDI {
    /// What the kernel says about the device this file holds.
    public let info: RawMIDIPortInfo
    /// The directions this file holds.
    public var directions: RawMIDIDirections { info.directions }

    private let midi: MIDIFile<MIDIMessage>
    private var parser: MIDIParser
    /// Room for one read(2): the kernel's default buffer. Allocated last in `init`, once nothing
    /// can throw: a throwing initializer runs no `deinit`, so an earlier allocation would leak.
    private let buffer: UnsafeMutableRawBufferPointer
    /// The bytes the last read(2) put in `buffer`, and how many of them the parser has used: the
    /// messages they complete are handed out one at a time, never gathered in an array.
    private var readCount = 0
    private var parsed = 0
    /// Where sent messages are encoded on their way to write(2).
    private let output = MIDIOutputStage(byteCount: 4096)

    /// Opens device `device` of card `card` for `directions`. `subdevice` picks one of a device's
    /// subdevices (virmidi has 16), nil for the first free one. A device another process holds
    /// in that direction is `.busy` at once, never a wait.
    public init(card: Int, device: Int, subdevice: Int? = nil, directions: RawMIDIDirections = [.input, .output],
                systemExclusiveLimit: Int = MIDIParser.defaultSystemExclusiveLimit,
                kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        guard !directions.isEmpty, directions.isSubset(of: [.input, .output]) else {
            throw AlsaError(.open, .invalidArgument, context: "a raw MIDI device is opened for input, output or both")
        }
        _ = try KernelIntegers.int32(card, .open, "card")
        _ = try KernelIntegers.int32(device, .open, "device")
        let path = "/dev/snd/midiC\(card)D\(device)"
        let flags = directions == [.input, .output] ? O_RDWR : directions == .input ? O_RDONLY : O_WRONLY
        // The preference holds for this process's next open while the control file stays open.
        var control: ControlFile?
        if let subdevice {
            guard let opened = try ControlFile(card: card, kernel: kernel) else {
                throw AlsaError(.open, .noSuchFileOrDirectory, context: "there is no card \(card)")
            }
            try opened.preferRawMIDISubdevice(subdevice)
            control = opened
        }
        midi = try MIDIFile(path: path, flags: flags, kernel: kernel)
        withExtendedLifetime(control) {}
        parser = MIDIParser(systemExclusiveLimit: systemExclusiveLimit)
        info = try Self.info(of: midi, directions: directions)
        buffer = .allocate(byteCount: 4096, alignment: 8)
    }

    /// Opens a raw MIDI device by name: `hw:1,0`, `hw:1,0,2` (subdevice 2) or
    /// `hw:CARD=VirMIDI,DEV=0`, as amidi's `-p` takes them.
    public convenience init(_ name: String, directions: RawMIDIDirections = [.input, .output],
                            systemExclusiveLimit: Int = MIDIParser.defaultSystemExclusiveLimit,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        guard case .hardware(let reference, let device, let subdevice) = try PCMName(parsing: name) else {
            throw AlsaError(.open, .invalidArgument, context: "\(name): a raw MIDI device is named hw:CARD,DEV[,SUBDEV]")
        }
        let card: Int
        switch reference {
        case .index(let index): card = index
        case .id(let id): card = try CardScan(kernel: kernel).cardIndex(id: id)
        }
        try self.init(card: card, device: device, subdevice: subdevice, directions: directions,
                      systemExclusiveLimit: systemExclusiveLimit, kernel: kernel)
    }

    deinit { buffer.deallocate() }

    /// Closes the device now (it also closes when the object goes away). Output still buffered is
    /// sent first, as the kernel does at close.
    public func close() throws(AlsaError) { try midi.close() }

    private static func info(of midi: MIDIFile<MIDIMessage>, directions: RawMIDIDirections) throws(AlsaError) -> RawMIDIPortInfo {
        var info = snd_rawmidi_info()
        info.stream = directions.contains(.input) ? RawMIDIDirections.input.stream : RawMIDIDirections.output.stream
        try midi.file.ioctl(.rawMIDIInfo, ALSA_IOCTL_RAWMIDI_INFO, &info)
        return RawMIDIPortInfo(card: Int(info.card), device: Int(info.device), subdevice: Int(info.subdevice),
                               id: CString.decode(info.id), name: CString.decode(info.name),
                               subdeviceName: CString.decode(info.subname), directions: directions)
    }

    // MARK: output

    /// Sends `messages`, each whole with its status byte, waiting (in poll) for room as needed.
    /// A message with a value out of range sends nothing of the call.
    public func sendBlocking(_ messages: MIDIMessage...) throws(AlsaError) { try sendStagedBlocking(.many(messages)) }

    /// `sendBlocking(_:)` for one message; allocates nothing.
    public func sendBlocking(_ message: MIDIMessage) throws(AlsaError) { try sendStagedBlocking(.one(message)) }

    /// `sendBlocking(_:)` for an array of messages.
    public func sendBlocking(_ messages: [MIDIMessage]) throws(AlsaError) { try sendStagedBlocking(.many(messages)) }

    /// Sends `messages`, suspending the task (not a thread) while the device has no room.
    nonisolated(nonsending) public func send(_ messages: MIDIMessage...) async throws(AlsaError) {
        try await sendStaged(.many(messages))
    }

    /// `send(_:) async` for one message; allocates nothing.
    nonisolated(nonsending) public func send(_ message: MIDIMessage) async throws(AlsaError) {
        try await sendStaged(.one(message))
    }

    /// `send(_:) async` for an array of messages.
    nonisolated(nonsending) public func send(_ messages: [MIDIMessage]) async throws(AlsaError) {
        try await sendStaged(.many(messages))
    }

    private func sendStagedBlocking(_ messages: MIDIOutputStage.Messages) throws(AlsaError) {
        try output.check(messages)
        try requireDirection(.output, .rawMIDIWrite)
        var position = MIDIOutputStage.Position()
        while true {
            let piece = output.stage(messages, from: &position)
            if piece.isEmpty { return }
            try writeAllBlocking(count: piece.count) { offset throws(AlsaError) in try writeSome(piece, from: offset) }
        }
    }

    nonisolated(nonsending) private func sendStaged(_ messages: MIDIOutputStage.Messages) async throws(AlsaError) {
        try output.check(messages)
        try requireDirection(.output, .rawMIDIWrite)
        var position = MIDIOutputStage.Position()
        while true {
            let piece = output.stage(messages, from: &position)
            if piece.isEmpty { return }
            try await writeAll(count: piece.count) { offset throws(AlsaError) in try writeSome(piece, from: offset) }
        }
    }

    /// Writes `bytes` as they are, waiting (in poll) for room as needed.
    public func writeBlocking(_ bytes: [UInt8]) throws(AlsaError) {
        try requireDirection(.output, .rawMIDIWrite)
        try writeAllBlocking(count: bytes.count) { offset throws(AlsaError) in try writeSome(bytes, from: offset) }
    }

    /// Writes `bytes` as they are, suspending the task while the device has no room.
    nonisolated(nonsending) public func write(_ bytes: [UInt8]) async throws(AlsaError) {
        try requireDirection(.output, .rawMIDIWrite)
        try await writeAll(count: bytes.count) { offset throws(AlsaError) in try writeSome(bytes, from: offset) }
    }

    /// `count` bytes through `writeSome` (which writes from an offset and says how many the
    /// kernel took), waiting in poll(2) while the device has no room.
    private func writeAllBlocking(count: Int, _ writeSome: (Int) throws(AlsaError) -> Int) throws(AlsaError) {
        var offset = 0
        while offset < count {
            let taken = try writeSome(offset)
            if taken == 0 { try midi.waitBlocking(for: POLLOUT, .rawMIDIWrite) }
            offset += taken
        }
    }

    /// `writeAllBlocking`, suspending the task while the device has no room.
    nonisolated(nonsending) private func writeAll(count: Int, _ writeSome: (Int) throws(AlsaError) -> Int) async throws(AlsaError) {
        var offset = 0
        while offset < count {
            let taken = try writeSome(offset)
            if taken == 0 { try await midi.queue.waitWritable(.rawMIDIWrite) }
            offset += taken
        }
    }

    private func writeSome(_ bytes: [UInt8], from offset: Int) throws(AlsaError) -> Int {
        try bytes.withUnsafeBytes { all in
            Result { () throws(AlsaError) in try writeSome(all, from: offset) }
        }.get()
    }

    private func writeSome(_ bytes: UnsafeRawBufferPointer, from offset: Int) throws(AlsaError) -> Int {
        try midi.write(UnsafeRawBufferPointer(rebasing: bytes[offset...]), .rawMIDIWrite)
    }

    /// Waits until everything written has left the device (RAWMIDI DRAIN). The kernel gives up
    /// after 10 s on a device that stopped sending: EIO.
    public func drain() throws(AlsaError) {
        try requireDirection(.output, .rawMIDIDrain)
        var stream = RawMIDIDirections.output.stream
        try midi.file.ioctl(.rawMIDIDrain, ALSA_IOCTL_RAWMIDI_DRAIN, &stream)
    }

    /// Discards what was written and not yet sent (RAWMIDI DROP).
    public func drop() throws(AlsaError) {
        try requireDirection(.output, .rawMIDIDrop)
        var stream = RawMIDIDirections.output.stream
        try midi.file.ioctl(.rawMIDIDrop, ALSA_IOCTL_RAWMIDI_DROP, &stream)
    }

    // MARK: input

    /// The messages the bytes waiting now complete, without waiting; empty when there are none.
    public func available() throws(AlsaError) -> [MIDIMessage] {
        var messages: [MIDIMessage] = []
        while let message = nextParsed() { messages.append(message) }
        guard try readMore() else { return messages }
        while let message = nextParsed() { messages.append(message) }
        return messages
    }

    /// The next messages: waits (in poll) until the bytes read complete at least one.
    public func receiveBlocking() throws(AlsaError) -> [MIDIMessage] {
        while true {
            let messages = try available()
            if !messages.isEmpty { return messages }
            try midi.waitBlocking(for: POLLIN, .rawMIDIRead)
        }
    }

    /// The next messages, suspending the task until the bytes read complete at least one; empty
    /// when the task is cancelled.
    nonisolated(nonsending) public func receive() async throws(AlsaError) -> [MIDIMessage] {
        guard let first = try await next() else { return [] }
        return [first] + (try available())
    }

    /// The next message, suspending the task until one is complete; nil when the task is cancelled.
    /// Allocates nothing for a message other than SysEx and `.invalid`.
    nonisolated(nonsending) public func next() async throws(AlsaError) -> MIDIMessage? {
        try await midi.queue.next(kept: { nextParsed() }, read: { () throws(AlsaError) in try readNext() })
    }

    /// The next message, the calling thread sleeping in poll(2) until one is complete; nil when
    /// `timeout` (nil: no limit) passes first. Allocates nothing for a message other than SysEx
    /// and `.invalid`: the call for a synth's MIDI input thread.
    public func nextBlocking(timeout: Duration? = nil) throws(AlsaError) -> MIDIMessage? {
        try midi.queue.nextBlocking(timeout: timeout, kept: { nextParsed() }, read: { () throws(AlsaError) in try readNext() })
    }

    /// The incoming messages as an `AsyncSequence`, served by the kernel's poll reactor. It ends
    /// (nil) when the task is cancelled and throws `.disconnected` when the device is unplugged.
    public var messages: RawMIDIMessages { RawMIDIMessages(midi: self) }

    /// The bytes waiting now, up to `maximum`, without parsing them; waits (in poll) until there
    /// is at least one. Messages already parsed by `available`/`receive` are not given again.
    public func readBlocking(upTo maximum: Int = 4096) throws(AlsaError) -> [UInt8] {
        while true {
            let bytes = try readBytes(upTo: maximum)
            if !bytes.isEmpty { return bytes }
            try midi.waitBlocking(for: POLLIN, .rawMIDIRead)
        }
    }

    /// `readBlocking(upTo:)`, suspending the task until there is at least one byte; empty when the task
    /// is cancelled.
    nonisolated(nonsending) public func read(upTo maximum: Int = 4096) async throws(AlsaError) -> [UInt8] {
        while true {
            let bytes = try readBytes(upTo: maximum)
            if !bytes.isEmpty { return bytes }
            guard try await midi.queue.waitReadable() else { return [] }
        }
    }

    /// One read(2) of at most `maximum` bytes into an array of its own: the bytes read before and
    /// not yet parsed stay in `buffer` for the message calls.
    private func readBytes(upTo maximum: Int) throws(AlsaError) -> [UInt8] {
        try requireDirection(.input, .rawMIDIRead)
        guard maximum > 0 else { throw AlsaError(.rawMIDIRead, .invalidArgument, context: "read up to \(maximum) bytes") }
        var bytes = [UInt8](repeating: 0, count: min(maximum, buffer.count))
        let count = try bytes.withUnsafeMutableBytes { room in
            Result { () throws(AlsaError) in try midi.read(into: room, .rawMIDIRead) }
        }.get()
        bytes.removeSubrange(count...)
        return bytes
    }

    /// The next message the bytes read before complete; nil once they are used up.
    private func nextParsed() -> MIDIMessage? {
        parser.next(in: UnsafeRawBufferPointer(rebasing: buffer[..<readCount]), from: &parsed)
    }

    /// One read(2) into `buffer`, whose bytes must be used up: false when nothing waits.
    private func readMore() throws(AlsaError) -> Bool {
        try requireDirection(.input, .rawMIDIRead)
        let count = try midi.read(into: buffer, .rawMIDIRead)
        readCount = count
        parsed = 0
        return count > 0
    }

    /// One read(2) and the first message it completes; nil when none does.
    private func readNext() throws(AlsaError) -> MIDIMessage? {
        guard try readMore() else { return nil }
        return nextParsed()
    }

    // MARK: state

    /// The state of one direction: bytes waiting (input) or room (output), and input overruns.
    public func status(_ direction: RawMIDIDirections) throws(AlsaError) -> RawMIDIStatus {
        try requireSingle(direction, .rawMIDIStatus)
        var status = snd_rawmidi_status()
        status.stream = direction.stream
        try midi.file.ioctl(.rawMIDIStatus, ALSA_IOCTL_RAWMIDI_STATUS, &status)
        return RawMIDIStatus(available: Int(status.avail), xruns: Int(status.xruns))
    }

    /// Sets one direction's buffer and wake-up (RAWMIDI PARAMS). Values outside the kernel's
    /// limits are refused before the kernel sees them.
    public func setParameters(_ parameters: RawMIDIParameters, for direction: RawMIDIDirections) throws(AlsaError) {
        try requireSingle(direction, .rawMIDIParameters)
        guard RawMIDIParameters.bufferSizes.contains(parameters.bufferSize) else {
            throw AlsaError(.rawMIDIParameters, .invalidArgument,
                            context: "buffer size \(parameters.bufferSize) is outside \(RawMIDIParameters.bufferSizes)")
        }
        guard (1...parameters.bufferSize).contains(parameters.wakeUpBytes) else {
            throw AlsaError(.rawMIDIParameters, .invalidArgument,
                            context: "wake-up at \(parameters.wakeUpBytes) bytes is outside 1...\(parameters.bufferSize)")
        }
        var params = snd_rawmidi_params()
        params.stream = direction.stream
        params.buffer_size = parameters.bufferSize
        params.avail_min = parameters.wakeUpBytes
        alsa_rawmidi_params_set_no_active_sensing(&params, parameters.noActiveSensing)
        try midi.file.ioctl(.rawMIDIParameters, ALSA_IOCTL_RAWMIDI_PARAMS, &params)
    }

    private func requireDirection(_ direction: RawMIDIDirections, _ operation: PCMOperation) throws(AlsaError) {
        guard directions.contains(direction) else {
            throw AlsaError(operation, .badFileDescriptor, context: "the device was not opened for \(direction == .input ? "input" : "output")")
        }
    }

    private func requireSingle(_ direction: RawMIDIDirections, _ operation: PCMOperation) throws(AlsaError) {
        guard direction == .input || direction == .output else {
            throw AlsaError(operation, .invalidArgument, context: "one direction at a time: .input or .output")
        }
        try requireDirection(direction, operation)
    }
}

/// The messages arriving at a raw MIDI device, as an `AsyncSequence` (see `RawMIDI.messages`).
public struct RawMIDIMessages: AsyncSequence {
    public typealias Element = MIDIMessage
    public typealias Failure = AlsaError
    let midi: RawMIDI

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let midi: RawMIDI

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> MIDIMessage? {
            try await midi.next()
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> MIDIMessage? {
            try await midi.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(midi: midi) }
}
