import AlsaSwift
import CAlsa
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A writable channel map on the real kernel: the explicit-sync test card's "Playback Channel Map"
/// and "Capture Channel Map" controls offer MONO, FL FR (the default for two channels) and FR FL,
/// and accept a write of an offered map while the substream is open and not running; each open
/// starts with the defaults (Rig/explicit-sync-driver/snd-explicit-sync.c says so in full).
///
/// Each way round: a map set through AlsaSwift (either transport) reads back through AlsaSwift and
/// through alsa-lib's own control calls; a map set through alsa-lib (`snd_pcm_set_chmap`) reads back
/// through AlsaSwift's controls. The substream is chosen by name (`hw:C,0,1`), so the control index
/// to read is known.
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct WritableChannelMapIntegrationTests {
    static let subdevice = 1
    static let swapped: ChannelMap = [.frontRight, .frontLeft]
    static func request(channelCount: Int) -> HardwareRequest {
        HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: channelCount, sampleRate: 48_000, periodSize: 1024, periodCount: 4)
    }

    static func elementName(_ direction: StreamDirection) -> String {
        direction == .playback ? "Playback Channel Map" : "Capture Channel Map"
    }

    /// The control's values as alsa-lib's control API reads them (`snd_ctl_elem_read`).
    static func alsaLibControlValues(card: Int, direction: StreamDirection, index: Int) throws -> [Int] {
        var ctl: OpaquePointer?
        try #require(snd_ctl_open(&ctl, "hw:\(card)", 0) == 0)
        defer { snd_ctl_close(ctl) }
        var value: OpaquePointer?
        try #require(snd_ctl_elem_value_malloc(&value) == 0)
        defer { snd_ctl_elem_value_free(value) }
        snd_ctl_elem_value_set_interface(value, SND_CTL_ELEM_IFACE_PCM)
        snd_ctl_elem_value_set_name(value, elementName(direction))
        snd_ctl_elem_value_set_device(value, 0)
        snd_ctl_elem_value_set_index(value, UInt32(index))
        let result = snd_ctl_elem_read(ctl, value)
        try #require(result == 0, "snd_ctl_elem_read: \(result)")
        return (0..<2).map { snd_ctl_elem_value_get_integer(value, UInt32($0)) }
    }

    /// The control's values as AlsaSwift's control API reads them.
    static func alsaSwiftControlValues(card: Int, direction: StreamDirection, index: Int) throws -> [Int] {
        let controls = try CardControls(card: card)
        let element = try controls.element(named: elementName(direction), index: index, interface: .pcm)
        guard case .integers(let values) = try controls.value(of: element) else { return [] }
        return values
    }

    static func open(_ transport: PCMTransport, card: Int, direction: StreamDirection) throws -> any PCM {
        try PCMDevice.open("hw:\(card),0,\(subdevice)", direction: direction, transport: transport == .direct ? .direct : .alsaLib)
    }

    static let cases: [(PCMTransport, StreamDirection)] = [PCMTransport.direct, .alsaLib].flatMap { t in
        [StreamDirection.playback, .capture].map { (t, $0) }
    }

    /// Set through AlsaSwift, read back through AlsaSwift and through alsa-lib; an invalid map is
    /// refused with a typed error and changes nothing; the next open starts with the default.
    @Test(arguments: cases)
    func aMapSetThroughAlsaSwiftReadsBackEverywhere(_ transport: PCMTransport, _ direction: StreamDirection) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let reference = try ChannelMapIntegrationTests.alsaLibsAnswer("hw:\(card),0,\(Self.subdevice)", direction)
        #expect(reference.offers == ["FIXED: MONO", "FIXED: FL FR", "FIXED: FR FL"])
        #expect(reference.current == "FL FR")

        let pcm = try Self.open(transport, card: card, direction: direction)
        #expect(try pcm.channelMapOptions().map(\.description) == reference.offers, "\(transport)")
        try pcm.configure(Self.request(channelCount: 2))
        #expect(try pcm.channelMap() == [.frontLeft, .frontRight])
        try pcm.setChannelMap(Self.swapped)
        #expect(try pcm.channelMap() == Self.swapped, "AlsaSwift reads back what it set")
        let swappedValues = Self.swapped.positions.map { Int($0.rawValue) }
        #expect(try Self.alsaLibControlValues(card: card, direction: direction, index: Self.subdevice) == swappedValues,
                "alsa-lib's control read sees the map")
        // Not offered: refused with a typed error before the driver sees it, and nothing changes.
        #expect { try pcm.setChannelMap([.frontLeft, .frontLeft]) } throws: { ($0 as? AlsaError)?.kind == .invalidArgument }
        #expect { try pcm.setChannelMap([.mono]) } throws: { ($0 as? AlsaError)?.kind == .invalidArgument }
        #expect(try pcm.channelMap() == Self.swapped)
        // Back to the default, through the same call.
        try pcm.setChannelMap([.frontLeft, .frontRight])
        #expect(try Self.alsaLibControlValues(card: card, direction: direction, index: Self.subdevice) == [3, 4])
        try pcm.setChannelMap(Self.swapped)
        try pcm.close()

        let reopened = try Self.open(transport, card: card, direction: direction)
        try reopened.configure(Self.request(channelCount: 2))
        #expect(try reopened.channelMap() == [.frontLeft, .frontRight], "each open starts with the default map")
        try reopened.close()
    }

    /// Set through alsa-lib (`snd_pcm_set_chmap` on a prepared stream), read back through
    /// AlsaSwift's controls and through alsa-lib's `snd_pcm_get_chmap`.
    @Test(arguments: [StreamDirection.playback, .capture])
    func aMapSetThroughAlsaLibReadsBackThroughAlsaSwift(_ direction: StreamDirection) throws {
        let card = try #require(RigEnvironment.explicitSync)
        var pcm: OpaquePointer?
        let stream = direction == .playback ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE
        try #require(snd_pcm_open(&pcm, "hw:\(card),0,\(Self.subdevice)", stream, 0) == 0)
        defer { snd_pcm_close(pcm) }
        try #require(snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48_000, 1, 100_000) == 0)
        let words: [UInt32] = [2, Self.swapped.positions[0].rawValue, Self.swapped.positions[1].rawValue]
        let result = words.withUnsafeBytes { raw in
            raw.withMemoryRebound(to: snd_pcm_chmap_t.self) { snd_pcm_set_chmap(pcm, $0.baseAddress) }
        }
        #expect(result == 0, "snd_pcm_set_chmap: \(result)")
        #expect(try Self.alsaSwiftControlValues(card: card, direction: direction, index: Self.subdevice)
                == Self.swapped.positions.map { Int($0.rawValue) })
        let current = try #require(snd_pcm_get_chmap(pcm))
        defer { free(current) }
        let channels = Int(current.pointee.channels)
        let positions = UnsafeRawPointer(current) + MemoryLayout<UInt32>.size
        #expect(ChannelMap((0..<channels).map { ChannelPosition(rawValue: positions.load(fromByteOffset: $0 * 4, as: UInt32.self)) }) == Self.swapped)
    }

    /// The driver's own refusals, through AlsaSwift's controls (which check nothing themselves): a
    /// map it does not offer (EINVAL), one of another channel count than the stream's (EINVAL),
    /// and any write while the stream runs (EBUSY). A one-channel stream reports MONO.
    @Test func theDriverRefusesWhatItDoesNotOffer() throws {
        let card = try #require(RigEnvironment.explicitSync)
        let pcm = try Self.open(.direct, card: card, direction: .playback)
        try pcm.configure(Self.request(channelCount: 2))
        let controls = try CardControls(card: card)
        let element = try controls.element(named: Self.elementName(.playback), index: Self.subdevice, interface: .pcm)
        #expect(element.access.contains(.write))
        for bad in [[3, 3], [4, 0], [2, 0], [0, 0]] {
            #expect(throws: AlsaError.self) { try controls.setValue(.integers(bad), of: element) }
            do { try controls.setValue(.integers(bad), of: element) } catch { #expect(error.errno == .invalidArgument, "\(bad): \(error)") }
        }
        #expect(try pcm.channelMap() == [.frontLeft, .frontRight], "refused writes changed nothing")
        let buffer = [UInt8](repeating: 0, count: 1024 * 4)
        _ = try buffer.withUnsafeBytes { try pcm.writeInterleaved($0) }
        if try pcm.state == .prepared { try pcm.start() }
        #expect(try pcm.state == .running)
        do {
            try controls.setValue(.integers([4, 3]), of: element)
            Issue.record("a write while running was accepted")
        } catch {
            #expect(error.errno == .resourceBusy, "\(error)")
        }
        #expect { try pcm.setChannelMap(Self.swapped) } throws: { ($0 as? AlsaError)?.kind == .badState }
        try pcm.drop()
        try pcm.close()

        let mono = try Self.open(.direct, card: card, direction: .playback)
        try mono.configure(Self.request(channelCount: 1))
        #expect(try mono.channelMap() == [.mono])
        try mono.close()
    }
}
