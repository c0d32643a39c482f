import AlsaSwift
import AlsaTools
import Foundation
import Testing

@Suite("alsa-info --names")
struct NameReportTests {
    @Test("the simulated machine's names, defaults and capabilities, as text and JSON")
    func simulated() throws {
        let command = try AlsaInfo.parse(["-D", "sim", "--names"])
        #expect(command.names && command.device == "sim")
        let report = NameReport(devices: AudioDevices(kernel: AlsaInfo.kernel(simulated: true)), probe: true)
        // The simulated machine every tool shares: card 0 requires explicit sync, card 1 is coherent.
        #expect(report.defaults == ["default playback: hw:0,0 -> hw:0,0,0, card SimSync: Simulated explicit-sync card",
                                    "default capture: hw:0,0 -> hw:0,0,0, card SimSync: Simulated explicit-sync card"])
        #expect(report.names.map(\.name) == ["hw:CARD=SimSync,DEV=0", "hw:CARD=SimCoherent,DEV=0"])
        let sync = try #require(report.names[0].capabilities)
        #expect(sync.count == 2 && sync.allSatisfy { $0.contains("device requires explicit sync") })
        let coherent = try #require(report.names[1].capabilities)
        #expect(coherent.count == 2 && coherent.allSatisfy { $0.contains("device does not require explicit sync") })
        #expect(report.text.contains("hw:CARD=SimCoherent,DEV=0  playback+capture  direct kernel transport  Simulated coherent card, Simulated coherent PCM"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect((json?["names"] as? [[String: Any]])?.count == 2)

        let unprobed = NameReport(devices: AudioDevices(kernel: AlsaInfo.kernel(simulated: true)), probe: false)
        #expect(unprobed.names.allSatisfy { $0.capabilities == nil })
    }
}
