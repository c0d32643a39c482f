import AlsaSwift

extension SimulatedKernel {
    /// snd-aloop's per-cable rate control: 100000 is the nominal rate; a larger value slows the
    /// cable's clock by value / 100000, a smaller one speeds it up (80000...120000).
    public static let rateShiftControlName = "PCM Rate Shift 100000"

    /// Adds a loopback card like snd-aloop at `card`: devices 0 and 1 in both directions, and a
    /// "PCM Rate Shift 100000" control (PCM interface) per device that sets the clock of the cable
    /// ending in that device's capture side: the control of device 1 runs playback 0 and capture
    /// 1, that of device 0 runs playback 1 and capture 0. `clockDeviation` (ppm) sets the card's
    /// crystal, so that it is a clock of its own beside the machine's other cards.
    public func addLoopbackCard(card: Int, clockDeviation: Int = 0) {
        var hardware = SimulatedHardware.loopback
        hardware.clockDeviation = clockDeviation
        // snd-aloop has no mixer: only its rate-shift controls.
        addDevice(card: card, device: 0, hardware: hardware, mixer: .none)
        addDevice(card: card, device: 1, hardware: hardware, mixer: .none)
        setIdentity(SimulatedCardIdentity(id: "Loopback", driver: "Loopback", name: "Loopback", longName: "Loopback 1",
                                          mixerName: "Loopback Mixer"), card: card)
        addControls((0...1).map { device in
            var element = SimulatedControlElement(name: Self.rateShiftControlName, interface: .pcm,
                                                  type: .integer(minimum: 80_000, maximum: 120_000, step: 1), values: [100_000])
            element.device = device
            return element
        }, card: card)
    }
}
