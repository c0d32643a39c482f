import Foundation
import Testing
@testable import AlsaSwift

/// The card's elements grouped by `SimpleMixerGroup` against alsa-lib's own simple mixer on the
/// rig's cards: the same names carry a volume in each direction, and the same ones a switch.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct SimpleMixerIntegrationTests {
    @Test("elements are grouped as alsa-lib's simple mixer groups them", arguments: ["Dummy", "AC97"])
    func groupingAgreesWithAlsaLib(card kind: String) throws {
        let card = try #require(kind == "Dummy" ? RigEnvironment.dummy : RigEnvironment.ac97)
        let groups = SimpleMixerGroup.groups(of: try CardControls(card: card).elements())
        let theirs = try AlsaLibSimpleElement.all(device: "hw:\(card)")
        for direction in [StreamDirection.playback, .capture] {
            let ours = groups.filter { $0.volume(direction) != nil }.map { "\($0.name),\($0.index)" }
            let expected = theirs.filter { direction == .playback ? $0.hasPlaybackVolume : $0.hasCaptureVolume }.map { "\($0.name),\($0.index)" }
            print("\(kind) \(direction) volumes: \(ours)")
            #expect(Set(ours) == Set(expected), "\(kind) \(direction)")
            for group in groups where group.volume(direction) != nil {
                guard let simple = theirs.first(where: { $0.name == group.name && $0.index == group.index }) else { continue }
                // A capture source (one of several inputs chosen by an enumeration) is no mute.
                let hasSwitch = direction == .playback ? simple.hasPlaybackSwitch : simple.hasCaptureSwitch && !simple.captureSwitchIsExclusive
                #expect((group.muteSwitch(direction) != nil) == hasSwitch, "\(kind) \(group.name) \(direction) switch")
            }
        }
    }
}
