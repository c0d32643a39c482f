import CAlsa

#if canImport(Glibc)
import Glibc
#endif

/// A PCM name alsa-lib's configuration advertises (`snd_device_name_hint`): `default`,
/// `sysdefault:CARD=...`, `front:...`, `dmix:...`, `null`, `pulse`...
package struct PCMNameHint: Sendable, Equatable {
    /// The name to open, such as `sysdefault:CARD=PCH`.
    package var name: String
    /// Human-readable, possibly several lines.
    package var description: String
    /// nil when the name serves both directions.
    package var direction: StreamDirection?

    /// The hints for PCMs of every card (and the cardless ones, such as `null`).
    package static func all() throws(AlsaError) -> [PCMNameHint] {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        try LibraryCall.check(snd_device_name_hint(-1, "pcm", &hints), .nameHints)
        guard let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var result: [PCMNameHint] = []
        var cursor = hints
        while let hint = cursor.pointee {
            defer { cursor += 1 }
            guard let name = take(hint, "NAME") else { continue }
            let direction: StreamDirection? = switch take(hint, "IOID") {
            case "Output": .playback
            case "Input": .capture
            default: nil
            }
            result.append(PCMNameHint(name: name, description: take(hint, "DESC") ?? "", direction: direction))
        }
        return result
    }

    private static func take(_ hint: UnsafeMutableRawPointer, _ field: String) -> String? {
        guard let value = snd_device_name_get_hint(hint, field) else { return nil }
        defer { free(value) }
        return String(cString: value)
    }
}
