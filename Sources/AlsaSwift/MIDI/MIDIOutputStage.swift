/// Storage kept from a raw MIDI file's open that messages are encoded into on their way to
/// write(2), so that sending allocates nothing: the bytes go out in pieces of the storage's size.
/// All the messages of a call are range-checked before any byte is staged.
final class MIDIOutputStage {
    private let storage: UnsafeMutableRawBufferPointer

    /// Where staging stopped: the message, and the byte within it.
    struct Position<Index> {
        var message: Index
        var byte = 0
    }

    init(byteCount: Int) { storage = .allocate(byteCount: max(byteCount, 1), alignment: 8) }

    deinit { storage.deallocate() }

    /// Checks every message; one out of range throws and nothing is to be sent.
    func check(_ messages: some Collection<MIDIMessage>) throws(AlsaError) {
        for message in messages { try MIDIEncoder.check(message) }
    }

    /// The next piece of `messages`' bytes from `position` on, encoded into the storage: as many
    /// whole or partial messages as fit. Empty once every byte has been staged. The piece is valid
    /// until the next call.
    func stage<Messages: Collection<MIDIMessage>>(_ messages: Messages, from position: inout Position<Messages.Index>) -> UnsafeRawBufferPointer {
        var filled = 0
        while filled < storage.count && position.message != messages.endIndex {
            let message = messages[position.message]
            let copied = MIDIEncoder.copy(message, from: position.byte,
                                          into: UnsafeMutableRawBufferPointer(rebasing: storage[filled...]))
            filled += copied
            position.byte += copied
            if position.byte >= MIDIEncoder.length(of: message) {
                position.message = messages.index(after: position.message)
                position.byte = 0
            }
        }
        return UnsafeRawBufferPointer(rebasing: storage[..<filled])
    }
}
