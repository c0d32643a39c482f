import CAlsaKernel

/// The "PCM Rate Shift 100000" control of the snd-aloop cable a PCM is on, as alsaloop drives it:
/// 100000 runs the cable at its nominal rate, a larger value slows its clock by value / 100000, a
/// smaller one speeds it up (80000...120000). snd-aloop reads the control of the cable's capture
/// end: device `d` for its capture substreams, `d ^ 1` for its playback ones, same subdevice.
/// Written from the audio thread through a record prepared here, without allocating; set back to
/// 100000 when the stream ends.
final class RateShiftControl {
    static let name = "PCM Rate Shift 100000"

    /// The duplex side whose device is the loopback's.
    let side: StreamDirection
    let card: Int
    private let controls: CardControls
    private var record = snd_ctl_elem_value()
    /// The shift in force.
    private(set) var value = 100_000

    /// The control of `pcm`'s cable, when `pcm` is on a loopback card (its card has the control);
    /// nil otherwise, or when the card's controls cannot be read.
    init?(for pcm: any PCM) {
        guard let address = pcm.syncReport.hardware else { return nil }
        let device = pcm.direction == .capture ? address.device : address.device ^ 1
        let id = ControlElementID(interface: .pcm, device: device, subdevice: address.subdevice, name: Self.name)
        guard let controls = try? CardControls(card: address.card, kernel: pcm.kernel),
              let element = try? controls.element(id), case .integer = element.type, element.access.contains(.write),
              let idRecord = try? element.id.record(operation: .controlElementWrite) else { return nil }
        side = pcm.direction
        card = address.card
        self.controls = controls
        record.id = idRecord
        // Whatever another program left, the stream starts from the nominal rate.
        do { try write(100_000) } catch { return nil }
    }

    deinit { restoreNominal() }

    /// Back to 100000, as alsaloop leaves the control when it ends.
    func restoreNominal() { try? set(100_000) }

    /// Sets the shift (clamped to the control's range); writes only when it changes.
    func set(_ shift: Int) throws(AlsaError) {
        let clamped = min(max(shift, 80_000), 120_000)
        guard clamped != value else { return }
        try write(clamped)
    }

    private func write(_ shift: Int) throws(AlsaError) {
        try controls.writeInteger(shift, into: &record)
        value = shift
    }
}
