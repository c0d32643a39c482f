import AlsaSwift
import CAlsaKernel

/// The test's hands on the simulated sequencer (/dev/snd/seq): kernel clients coming and going as
/// a USB MIDI keyboard's would.
///
/// The sequencer's queues keep time by the machine's one clock (`now`), which PCM positions and
/// timers read too: a test lets time pass with `advance(by:)` (or `advance(frames:)`), and a
/// caller sleeping in poll on a sequencer client while a queue has an event due sleeps until then.
/// Whoever moves the clock, every queue event that falls due on the way goes out at its time.
extension SimulatedKernel {
    /// Adds a kernel client (a MIDI interface's, such as snd-virmidi's or a USB keyboard's) with
    /// ports that can be read and written by subscription and pass what they receive on to their
    /// subscribers, announced as the kernel announces them. False when the number is taken or is
    /// not a kernel client's (1 to 127).
    @discardableResult
    public func addSequencerClient(_ number: Int, name: String, ports: [String]) -> Bool {
        locked {
            guard (1..<128).contains(number), sequencer.clients[number] == nil else { return false }
            let client = SequencerClientState(number: number, name: name, isKernel: true)
            client.through = true
            sequencer.clients[number] = client
            sequencer.announceClient(ALSA_SEQ_EVENT_CLIENT_START, number)
            for (index, portName) in ports.enumerated() {
                sequencer.addPort(SequencerPortState(client: number, port: index, name: portName,
                                                     capability: SimulatedSequencer.duplexCapability,
                                                     type: ALSA_SEQ_PORT_TYPE_MIDI_GENERIC | ALSA_SEQ_PORT_TYPE_HARDWARE), to: client)
            }
            return true
        }
    }

    /// Removes a client, as an unplugged device's goes: its connections are undone and announced,
    /// then the client. False when there is no such kernel client.
    @discardableResult
    public func removeSequencerClient(_ number: Int) -> Bool {
        locked {
            guard sequencer.clients[number]?.isKernel == true, number != 0 else { return false }
            sequencer.closeClient(number)
            return true
        }
    }
}
