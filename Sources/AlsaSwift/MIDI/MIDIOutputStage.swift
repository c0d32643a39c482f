/// Storage kept from a raw MIDI file's open that messages are encoded into on their way to
/// write(2), so that sending allocates nothing: the bytes go out in pieces of the storage's size.
/// All the messages of a call are range-checked before any byte is staged.
final class MIDIOutputStage {
    private let storage: UnsafeMutableRawBufferPointer

    /// The messages of one send: one message (no array is made for it) or the app's array. A
    /// concrete type rather than a generic collection: unspecialized generic code (a debug build,
    /// or a call the optimizer does not see through) allocates for its values as it iterates.
    enum Messages {
        case one(MIDIMessage)
        case many([MIDIMessage])

        var count: Int {
            switch self {
            case .one: 1
            case .many(let messages): messages.count
            }
        }

        subscript(index: Int) -> MIDIMessage {
            switch self {
            case .one(let message): message
            case .many(let messages): messages[index]
            }
        }
    }

    /// Where staging stopped: the message, and the byte within it.
    struct Position {
        var message = 0
        var byte = 0
        /// The bytes of message `message`, worked out when staging reached it: a SysEx that spans
        /// many pieces is checked and measured once, not once a piece.
        var encoded: MIDIEncoder.Encoded?
    }

    init(byteCount: Int) { storage = .allocate(byteCount: max(byteCount, 1), alignment: 8) }

    deinit { storage.deallocate() }

    /// Checks every message; one out of range throws and nothing is to be sent.
    func check(_ messages: Messages) throws(AlsaError) {
        for index in 0..<messages.count { try MIDIEncoder.check(messages[index]) }
    }

    /// The next piece of `messages`' bytes from `position` on, encoded into the storage: as many
    /// whole or partial messages as fit. Empty once every byte has been staged. The piece is valid
    /// until the next call.
    func stage(_ messages: Messages, from position: inout Position) -> UnsafeRawBufferPointer {
        var filled = 0
        while filled < storage.count && position.message < messages.count {
            // Checked before (`check`): a message that would not encode now has no bytes to send.
            if position.encoded == nil { position.encoded = try? MIDIEncoder.encoded(messages[position.message]) }
            let copied = position.encoded.map { MIDIEncoder.copy($0, from: position.byte, into: UnsafeMutableRawBufferPointer(rebasing: storage[filled...])) } ?? 0
            filled += copied
            position.byte += copied
            if position.byte >= position.encoded?.count ?? 0 {
                position.message += 1
                position.byte = 0
                position.encoded = nil
            }
        }
        return UnsafeRawBufferPointer(rebasing: storage[..<filled])
    }
}
