import AlsaSimulation
@testable import AlsaSwift

/// A machine with a PCM card 0 and a MIDI interface on card 1: device 0's MIDI OUT is cabled to
/// device 1's MIDI IN and back (a loop-back pair); device 2 is input only.
func makeMIDIMachine() -> SimulatedKernel {
    let kernel = SimulatedKernel(card: 0, hardware: .dummy)
    kernel.addMIDIDevice(card: 1, device: 0, SimulatedMIDIDevice(name: "Loop A", id: "LoopA"))
    kernel.addMIDIDevice(card: 1, device: 1, SimulatedMIDIDevice(name: "Loop B", id: "LoopB"))
    kernel.addMIDIDevice(card: 1, device: 2, SimulatedMIDIDevice(name: "Keyboard", id: "Keys", input: true, output: false))
    kernel.setIdentity(SimulatedCardIdentity(id: "SimMIDI", name: "Simulated MIDI interface"), card: 1)
    kernel.connectMIDIOut(card: 1, device: 0, toInputOf: 1, device: 1)
    kernel.connectMIDIOut(card: 1, device: 1, toInputOf: 1, device: 0)
    return kernel
}

/// A handle that is not Sendable, used by a test and by one task it starts, never at the same
/// moment: the test waits for the task before it touches the handle again.
final class Shared<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
