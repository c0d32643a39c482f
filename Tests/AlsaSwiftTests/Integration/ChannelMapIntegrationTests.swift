import AlsaSwift
import CAlsa
import Foundation
import SystemPackage
import Testing

/// Channel maps on the real kernel. snd-intel8x0 (AC97) makes a read-only channel map control:
/// its playback PCM gets the generic one (snd_pcm_add_chmap_ctls with snd_pcm_alt_chmaps, masked
/// to the codec's channel counts: FL FR on QEMU's stereo codec). snd-dummy and snd-aloop make none.
/// The explicit-sync test card's writable one is `WritableChannelMapIntegrationTests`'s.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct ChannelMapIntegrationTests {
    static let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                         periodSize: 1024, periodCount: 4)

    /// alsa-lib's own answer, printed by alsa-lib: `snd_pcm_query_chmaps` and
    /// `snd_pcm_get_chmap` through `snd_pcm_chmap_print` and `snd_pcm_chmap_type_name`.
    static func alsaLibsAnswer(_ name: String, _ direction: StreamDirection) throws -> (offers: [String], current: String?) {
        var pcm: OpaquePointer?
        let stream = direction == .playback ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE
        try #require(snd_pcm_open(&pcm, name, stream, 0) == 0)
        defer { snd_pcm_close(pcm) }
        try #require(snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48_000, 1, 100_000) == 0)
        func print(_ map: UnsafePointer<snd_pcm_chmap_t>) -> String {
            var text = [CChar](repeating: 0, count: 256)
            _ = snd_pcm_chmap_print(map, 256, &text)
            return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        var offers: [String] = []
        if let list = snd_pcm_query_chmaps(pcm) {
            var i = 0
            while let query = list[i] {
                let type = String(cString: snd_pcm_chmap_type_name(query.pointee.type))
                let map = UnsafeRawPointer(query) + MemoryLayout<snd_pcm_chmap_query_t>.offset(of: \.map)!
                offers.append("\(type): " + print(map.assumingMemoryBound(to: snd_pcm_chmap_t.self)))
                i += 1
            }
            snd_pcm_free_chmaps(list)
        }
        var current: String?
        if let map = snd_pcm_get_chmap(pcm) {
            current = print(map)
            free(map)
        }
        return (offers, current)
    }

    @Test(.enabled(if: RigEnvironment.ac97 != nil))
    func ac97PlaybackOffersAndReportsFrontLeftRight() throws {
        let card = try #require(RigEnvironment.ac97)
        let reference = try Self.alsaLibsAnswer("hw:\(card),0", .playback)
        #expect(reference.offers == ["FIXED: FL FR"])
        #expect(reference.current == "FL FR")
        // One at a time: the card has one substream per direction.
        let opens: [() throws -> any PCM] = [{ try KernelPCM(card: card, device: 0, direction: .playback) },
                                             { try AlsaLibPCM(name: "hw:\(card),0", direction: .playback) }]
        for open in opens {
            let pcm = try open()
            let offers = try pcm.channelMapOptions()
            #expect(offers.map(\.description) == reference.offers, "\(pcm.transport)")
            try pcm.configure(Self.request)
            let current = try #require(try pcm.channelMap())
            #expect(current.description == reference.current, "\(pcm.transport)")
            #expect(current == [.frontLeft, .frontRight])
            // The map in effect may be set (nothing changes); the control is read-only and offers
            // only FL FR, so another order is refused before the driver sees it.
            try pcm.setChannelMap([.frontLeft, .frontRight])
            #expect(try pcm.channelMap() == [.frontLeft, .frontRight])
            #expect { try pcm.setChannelMap([.frontRight, .frontLeft]) } throws: { ($0 as? AlsaError)?.kind == .invalidArgument }
            try pcm.close()
        }
        // The stream API answers the same.
        let stream = try PlaybackStream(device: "hw:\(card),0", request: StreamRequest(sampleRate: 48_000, channelCount: 2))
        #expect(try stream.channelMap() == [.frontLeft, .frontRight])
        #expect(try stream.channelMapOptions().map(\.description) == ["FIXED: FL FR"])
    }

    /// Where the driver makes no channel map control, both transports say so, as alsa-lib does.
    @Test(arguments: ["dummy", "loopback", "ac97 capture"])
    func driversWithoutAControlOfferNothing(_ which: String) throws {
        let card: Int?
        let direction: StreamDirection
        switch which {
        case "dummy": (card, direction) = (RigEnvironment.dummy, .playback)
        case "loopback": (card, direction) = (RigEnvironment.loopback, .playback)
        default: (card, direction) = (RigEnvironment.ac97, .capture)
        }
        guard let card else { return }
        let reference = try Self.alsaLibsAnswer("hw:\(card),0", direction)
        #expect(reference.offers.isEmpty && reference.current == nil)
        let opens: [() throws -> any PCM] = [{ try KernelPCM(card: card, device: 0, direction: direction) },
                                             { try AlsaLibPCM(name: "hw:\(card),0", direction: direction) }]
        for open in opens {
            let pcm = try open()
            #expect(try pcm.channelMapOptions().isEmpty)
            try pcm.configure(Self.request)
            #expect(try pcm.channelMap() == nil)
            #expect { try pcm.setChannelMap([.frontLeft, .frontRight]) } throws: { ($0 as? AlsaError)?.errno == .noSuchAddressOrDevice }
            try pcm.close()
        }
    }
}
