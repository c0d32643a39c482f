@testable import AlsaSwift
import CAlsa
import Testing

/// The info flags the alsa-lib transport reads from a configuration, without a device: an
/// alsa-lib parameter record whose info word says what a driver would say.
@Suite struct AlsaLibInfoFlagsTests {
    /// The info word's place in `snd_pcm_hw_params_t`, which is the kernel's record (608 bytes on
    /// LP64): flags, 3 + 5 masks of 32 bytes, 12 + 9 intervals of 12 bytes, rmask, cmask, info.
    static let infoOffset = 4 + 8 * 32 + 21 * 12 + 4 + 4

    static func parameters(info: UInt32, _ body: (OpaquePointer) -> Void) throws {
        var params: OpaquePointer?
        try #require(snd_pcm_hw_params_malloc(&params) == 0)
        let p = try #require(params)
        defer { snd_pcm_hw_params_free(p) }
        try #require(snd_pcm_hw_params_sizeof() == 608)
        UnsafeMutableRawPointer(p).storeBytes(of: info, toByteOffset: infoOffset, as: UInt32.self)
        body(p)
    }

    /// A driver that declares link counters (the rig's explicit-sync card declares LINK and
    /// LINK_ABSOLUTE) has them in the setup's info, so `timing()` asks alsa-lib for the best one
    /// instead of DEFAULT, as the direct transport does.
    @Test func linkTimestampTypesAlsaLibSupportsAreInTheInfo() throws {
        let link = PCMInfoFlags.hasLinkTime.rawValue | PCMInfoFlags.hasLinkAbsoluteTime.rawValue
        try Self.parameters(info: link) { p in
            #expect(snd_pcm_hw_params_supports_audio_ts_type(p, Int32(SND_PCM_AUDIO_TSTAMP_TYPE_LINK.rawValue)) == 1,
                    "the info word is where alsa-lib reads it")
            let info = AlsaLibPCM.infoFlags(p, [.readWriteInterleaved])
            #expect(info.isSuperset(of: [.hasLinkTime, .hasLinkAbsoluteTime]))
            #expect(!info.contains(.hasLinkEstimatedTime) && !info.contains(.hasLinkSynchronizedTime))
            #expect(AudioTimestampSource.best(offeredBy: info) == .linkAbsolute)
        }
        let all = link | PCMInfoFlags.hasLinkEstimatedTime.rawValue | PCMInfoFlags.hasLinkSynchronizedTime.rawValue
        try Self.parameters(info: all) { p in
            #expect(AudioTimestampSource.best(offeredBy: AlsaLibPCM.infoFlags(p, [.readWriteInterleaved])) == .linkSynchronized)
        }
        try Self.parameters(info: 0) { p in
            #expect(AudioTimestampSource.best(offeredBy: AlsaLibPCM.infoFlags(p, [.readWriteInterleaved])) == .hardwarePointer)
        }
    }
}
