import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A card's control device (`/dev/snd/controlC<n>`), opened through the kernel seam for the few
/// calls discovery and subdevice selection need, and closed right after.
final class ControlFile {
    let card: Int
    private let file: DeviceFile

    static func path(card: Int) -> String { "/dev/snd/controlC\(card)" }

    /// nil when there is no card `card` (no such node).
    init?(card: Int, kernel: any KernelInterface) throws(AlsaError) {
        self.card = card
        do {
            file = DeviceFile(kernel: kernel, fd: try kernel.open(Self.path(card: card), flags: O_RDONLY | O_CLOEXEC))
        } catch {
            if error == .noSuchFileOrDirectory || error == .noSuchAddressOrDevice || error == .noDevice { return nil }
            throw AlsaError(.open, error, context: Self.path(card: card))
        }
    }

    deinit { try? file.close() }

    func cardInfo() throws(AlsaError) -> SoundCard {
        var info = snd_ctl_card_info()
        try file.ioctl(.controlCardInfo, ALSA_IOCTL_CTL_CARD_INFO, &info)
        return SoundCard(index: Int(info.card), id: CString.decode(info.id), driver: CString.decode(info.driver),
                         name: CString.decode(info.name), longName: CString.decode(info.longname),
                         mixerName: CString.decode(info.mixername), components: CString.decode(info.components))
    }

    /// The PCM device numbers of the card, in order.
    func pcmDevices() throws(AlsaError) -> [Int] {
        var devices: [Int] = []
        var device: Int32 = -1
        while true {
            try file.ioctl(.controlNextDevice, ALSA_IOCTL_CTL_PCM_NEXT_DEVICE, &device)
            // A misbehaving answer (not increasing) must not loop forever.
            guard device >= 0, devices.last.map({ Int(device) > $0 }) ?? true else { return devices }
            devices.append(Int(device))
        }
    }

    /// PCM_INFO for one direction of a device; nil when the device has no such direction (ENOENT).
    func pcmInfo(device: Int, direction: StreamDirection, subdevice: Int = 0) throws(AlsaError) -> snd_pcm_info? {
        var info = snd_pcm_info()
        info.device = try KernelIntegers.uint32(device, .controlPCMInfo, "device")
        info.subdevice = try KernelIntegers.uint32(subdevice, .controlPCMInfo, "subdevice")
        info.stream = direction.rawValue
        do {
            try file.ioctl(.controlPCMInfo, ALSA_IOCTL_CTL_PCM_INFO, &info)
        } catch {
            if error.errno == .noSuchFileOrDirectory { return nil }
            throw error
        }
        return info
    }

    /// Asks the kernel to give this process `subdevice` at its next open of the card's PCM nodes
    /// (-1: any). The preference holds while this control file stays open.
    func preferSubdevice(_ subdevice: Int) throws(AlsaError) {
        var value = try KernelIntegers.int32(subdevice, .controlPreferSubdevice, "subdevice")
        try file.ioctl(.controlPreferSubdevice, ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE, &value)
    }
}

/// Fixed C char arrays from kernel records, which may lack a terminator.
enum CString {
    static func decode<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
