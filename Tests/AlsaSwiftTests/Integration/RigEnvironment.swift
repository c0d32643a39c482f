import AlsaSwift
import Foundation

/// The ALSA cards of the machine the tests run on, read from /proc/asound/cards. The integration
/// suites run where the kernel has snd-dummy (and optionally snd-aloop and the project's
/// explicit-sync test driver): in the QEMU rig (`Rig/kernel-test`) or on a Linux machine after
/// `sudo modprobe snd-dummy pcm_devs=4`. Elsewhere they are skipped with a message saying so.
enum RigEnvironment {
    struct Card: Sendable {
        let index: Int
        let driver: String
    }

    static let cards: [Card] = {
        guard let text = try? String(contentsOfFile: "/proc/asound/cards", encoding: .utf8) else { return [] }
        // Lines such as " 0 [Dummy          ]: Dummy - Dummy"
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.drop(while: { $0 == " " })
            guard let first = trimmed.first, first.isNumber,
                  let index = Int(trimmed.prefix(while: { $0.isNumber })),
                  let colon = trimmed.firstIndex(of: ":")
            else { return nil }
            let rest = trimmed[trimmed.index(after: colon)...].drop(while: { $0 == " " })
            let driver = rest.prefix(while: { $0 != " " })
            return Card(index: index, driver: String(driver))
        }
    }()

    static func card(driver: String) -> Int? { cards.first { $0.driver == driver }?.index }

    static var dummy: Int? { card(driver: "Dummy") }
    static var loopback: Int? { card(driver: "Loopback") }
    static var explicitSync: Int? { card(driver: "ExplicitSync") }
    static var ac97: Int? { card(driver: "ICH") ?? card(driver: "ICH4") ?? card(driver: "ENS1370") }

    static let skipMessage = "needs an ALSA kernel device: run Rig/kernel-test (QEMU rig) or `sudo modprobe snd-dummy pcm_devs=4`"

    /// Counters of the explicit-sync test driver's `subdevice` (substream), from
    /// /proc/asound/card<N>/explicit_sync, under their plain names ("playback_frames", ...): the
    /// driver writes substream 0's without a prefix and substream N's with "subN_".
    static func explicitSyncCounters(card: Int, subdevice: Int = 0) -> [String: UInt64] {
        guard let text = try? String(contentsOfFile: "/proc/asound/card\(card)/explicit_sync", encoding: .utf8) else { return [:] }
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            var key = Substring(parts[0])
            if key.hasPrefix("sub") {
                guard let underscore = key.firstIndex(of: "_"), Int(key[key.index(key.startIndex, offsetBy: 3)..<underscore]) == subdevice
                else { continue }
                key = key[key.index(after: underscore)...]
            } else if subdevice != 0 {
                continue
            }
            let raw = parts[1]
            values[String(key)] = raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : UInt64(raw)
        }
        return values
    }
}
