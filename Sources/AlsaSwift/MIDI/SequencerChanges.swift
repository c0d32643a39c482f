/// Sequencer clients and ports coming and going, and connections made and undone, as an
/// `AsyncSequence`: MIDI hotplug, beside `DeviceChanges` for cards and device nodes. A USB MIDI
/// keyboard plugged in appears here as a new kernel client and its ports. It is a sequencer
/// client of its own ("AlsaSwift changes"), with a port connected to the System client's announce
/// port; it leaves when the object goes away. The sequence ends (nil) when the task is cancelled.
public final class SequencerChanges: AsyncSequence {
    public typealias Element = SequencerChange
    public typealias Failure = AlsaError

    private let sequencer: Sequencer
    /// This watcher's own client, which is announced too and never reported.
    public var client: Int { sequencer.client }

    /// Starts listening on `kernel`'s sequencer.
    public init(kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        sequencer = try Sequencer(name: "AlsaSwift changes", kernel: kernel)
        let port = try sequencer.createPort(name: "announcements", capabilities: .input, types: [.application])
        try sequencer.connect(from: .systemAnnounce, to: port)
    }

    /// The changes already announced, without waiting.
    public func available() throws(AlsaError) -> [SequencerChange] {
        try sequencer.available().compactMap(change)
    }

    /// The next change, suspending the task until there is one; nil when the task is cancelled.
    nonisolated(nonsending) public func next() async throws(AlsaError) -> SequencerChange? {
        while let event = try await sequencer.next() {
            if let change = change(event) { return change }
        }
        return nil
    }

    /// The change an event announces, unless it is about this watcher's own client.
    private func change(_ event: SequencerEvent) -> SequencerChange? {
        guard case .change(let change) = event.content else { return nil }
        switch change {
        case .clientAdded(let number), .clientRemoved(let number), .clientChanged(let number):
            return number == client ? nil : change
        case .portAdded(let port), .portRemoved(let port), .portChanged(let port):
            return port.client == client ? nil : change
        case .connected(let from, let to), .disconnected(let from, let to):
            return from.client == client || to.client == client ? nil : change
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let changes: SequencerChanges

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> SequencerChange? {
            try await changes.next()
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> SequencerChange? {
            try await changes.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(changes: self) }
}
