import CAlsa

/// What alsa-lib's configuration and an open alsa-lib handle say about where a PCM name leads,
/// without any audio moving: the type of the name's definition and the card alsa-lib reports.
enum LibraryConfiguration {
    /// The `type` of the definition `name` expands to in alsa-lib's configuration (`pcm.<name>`,
    /// aliases followed and arguments filled in): `plug`, `hw`, `pipewire`, `pulse`, `dmix`,
    /// `null`... nil when the configuration defines no such PCM or its type is not plain text.
    /// Reads the configuration only, so it answers even when the device behind is busy.
    /// `configuration` is the system's configuration with an app's text on top, when there is one.
    static func pcmType(of name: String, in configuration: LocalConfiguration? = nil) -> String? {
        LibraryCall.beginCapture()
        defer {
            _ = LibraryCall.takeMessage()
            LibraryCall.endCapture()
        }
        var global: OpaquePointer?
        if configuration == nil { guard snd_config_update_ref(&global) >= 0 else { return nil } }
        defer { if let global { snd_config_unref(global) } }
        guard let root = configuration?.pointer ?? global else { return nil }
        var definition: OpaquePointer?
        guard snd_config_search_definition(root, "pcm", name, &definition) >= 0, let definition else { return nil }
        defer { snd_config_delete(definition) }
        var node: OpaquePointer?
        guard snd_config_search(definition, "type", &node) >= 0, let node else { return nil }
        var text: UnsafePointer<CChar>?
        guard snd_config_get_string(node, &text) >= 0, let text else { return nil }
        return String(cString: text)
    }
}

extension AlsaLibPCM {
    /// The card alsa-lib's `snd_pcm_info` names for this PCM, nil when it names none. Plugins over
    /// a card (plug, dmix, dsnoop...) pass their slave's card on; sound servers and `null` name none.
    var libraryCard: Int? {
        guard let pcm = handle else { return nil }
        var info: OpaquePointer?
        guard snd_pcm_info_malloc(&info) >= 0, let info else { return nil }
        defer { snd_pcm_info_free(info) }
        LibraryCall.beginCapture()
        defer {
            _ = LibraryCall.takeMessage()
            LibraryCall.endCapture()
        }
        guard snd_pcm_info(pcm, info) >= 0 else { return nil }
        let card = Int(snd_pcm_info_get_card(info))
        return card >= 0 ? card : nil
    }
}
