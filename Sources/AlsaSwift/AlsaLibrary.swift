import CAlsa
import CAlsaKernel

/// Versions of what this package talks to.
public enum AlsaLibrary {
    /// The version of the alsa-lib (libasound) linked at run time, such as "1.2.8".
    public static var alsaLibVersion: String { String(cString: snd_asoundlib_version()) }

    /// The PCM protocol version of the kernel headers this package was built against, such as "2.0.15".
    public static var compiledProtocolVersion: String { protocolString(alsa_swift_compiled_pcm_version()) }

    /// Formats a kernel protocol number (major << 16 | minor << 8 | subminor).
    public static func protocolString(_ version: UInt32) -> String {
        "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)"
    }
}
