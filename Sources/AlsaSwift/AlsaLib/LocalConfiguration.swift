import CAlsa

/// The system's alsa-lib configuration with extra text loaded on top, for one open.
final class LocalConfiguration {
    let pointer: OpaquePointer

    init(text: String) throws(AlsaError) {
        var global: OpaquePointer?
        try LibraryCall.check(snd_config_update_ref(&global), .configure)
        defer { if let global { snd_config_unref(global) } }
        var copy: OpaquePointer?
        if let global {
            try LibraryCall.check(snd_config_copy(&copy, global), .configure)
        } else {
            try LibraryCall.check(snd_config_top(&copy), .configure)
        }
        guard let tree = copy else { throw AlsaError(.configure, .noMemory) }
        var input: OpaquePointer?
        let opened = text.withCString { snd_input_buffer_open(&input, $0, text.utf8.count) }
        guard opened >= 0, let input else {
            snd_config_delete(tree)
            throw LibraryCall.error(Int(opened), .configure)
        }
        let loaded = snd_config_load(tree, input)
        snd_input_close(input)
        guard loaded >= 0 else {
            snd_config_delete(tree)
            throw LibraryCall.error(Int(loaded), .configure,
                                    context: "the configuration text is malformed: \(LibraryCall.takeMessage() ?? "alsa-lib could not parse it")")
        }
        pointer = tree
    }

    deinit { snd_config_delete(pointer) }
}
