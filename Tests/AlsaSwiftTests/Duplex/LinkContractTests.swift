import AlsaSimulation
import Testing
@testable import AlsaSwift

/// `link(to:)` on both transports: a capture and a playback PCM of one device either link (one
/// start starts both, a drop stops both) or are refused with ENOSYS, as alsa-lib's plugins
/// without a link (null, dmix, dsnoop, pulse...) refuse. Run on the host's transports and, on the
/// rig, on snd-dummy through the direct transport and alsa-lib's hw, plughw and default.
@Suite("Link contract", .serialized)
struct LinkContractTests {
    @Test("a capture and a playback PCM link, or are refused with ENOSYS", arguments: TransportUnderTest.available)
    func linkOrRefuse(_ transport: TransportUnderTest) throws {
        let (capture, playback) = try transport.openPair()
        let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256,
                                      periodCount: 4)
        try capture.configure(request)
        try playback.configure(request)
        do {
            try capture.link(to: playback)
        } catch {
            #expect(transport.mayRefuseLink, "\(transport) refused: \(error)")
            #expect(error.errno == .noFunction && error.operation == .link, "\(error)")
            return
        }
        #expect(transport != .alsaLibNull, "alsa-lib's null PCM has no link")
        let period = [UInt8](repeating: 0, count: 256 * 4)
        // Three of four periods: below the start threshold, which would start the group by itself.
        for _ in 0..<3 { try period.withUnsafeBytes { _ = try playback.writeInterleaved($0) } }
        try capture.start()
        #expect(try playback.state == .running, "\(transport): the capture side's start started the playback side")
        try playback.drop()
        #expect(try capture.state == .setup, "\(transport): the playback side's drop stopped the capture side")
        try capture.unlink()
    }
}

extension TransportUnderTest {
    /// A capture and a playback PCM of one device, on one kernel (a simulated one for the
    /// simulated transports: a PCM's descriptor means nothing to another kernel).
    func openPair() throws -> (capture: any PCM, playback: any PCM) {
        switch self {
        case .directSimulated, .directSimulatedExplicitSync:
            let kernel = makeKernel(self == .directSimulated ? .dummy : .explicitSync)
            return (try KernelPCM(card: 0, device: 0, direction: .capture, kernel: kernel),
                    try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel))
        default:
            return (try open(.capture).0, try open(.playback).0)
        }
    }

    /// alsa-lib PCMs whose chain may end in a plugin without a link: null always, a card's default
    /// where its configuration puts dmix or dsnoop in front.
    var mayRefuseLink: Bool { self == .alsaLibNull || self == .alsaLibDefault }
}
