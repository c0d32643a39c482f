import CAlsaKernel
import Testing

/// The kernel ABI on 64-bit Linux, checked against numbers measured independently
/// (the x86-64 kernel's own sizes and offsets), not against the header they come from.
@Suite struct ABILayoutTests {
    @Test func recordSizesMatchTheKernel() {
        #expect(MemoryLayout<snd_pcm_sync_ptr>.size == 136)
        #expect(MemoryLayout<snd_pcm_hw_params>.size == 608)
        #expect(MemoryLayout<snd_pcm_mmap_status>.size == 56)
        #expect(MemoryLayout<snd_pcm_mmap_control>.size == 16)
        #expect(MemoryLayout<snd_pcm_sync_ptr>.offset(of: \.c) == 72)
        #expect(MemoryLayout<snd_pcm_hw_params>.offset(of: \.info) == 520)
        #expect(ALSA_SIZEOF_SYNC_PTR == MemoryLayout<snd_pcm_sync_ptr>.size)
    }

    @Test func ioctlNumbersMatchTheKernel() {
        #expect(ALSA_IOCTL_SYNC_PTR == 0xC088_4123)
        #expect(ALSA_IOCTL_HW_REFINE == 0xC260_4110)
        #expect(ALSA_IOCTL_HW_PARAMS == 0xC260_4111)
        #expect(ALSA_IOCTL_SW_PARAMS == 0xC088_4113)
        #expect(ALSA_IOCTL_USER_PVERSION == 0x4004_4104)
        #expect(ALSA_IOCTL_PVERSION == 0x8004_4100)
        #expect(ALSA_IOCTL_WRITEI_FRAMES == 0x4018_4150)
        #expect(ALSA_IOCTL_READI_FRAMES == 0x8018_4151)
        #expect(ALSA_IOCTL_HWSYNC == 0x4122)
        #expect(ALSA_IOCTL_DELAY == 0x8008_4121)
    }

    @Test func syncPtrFlagsAndOffsets() {
        #expect(ALSA_SYNC_PTR_HWSYNC == 1 && ALSA_SYNC_PTR_APPL == 2 && ALSA_SYNC_PTR_AVAIL_MIN == 4)
        #expect(ALSA_INFO_EXPLICIT_SYNC == 0x1000_0000)
        #expect(ALSA_INFO_SYNC_APPLPTR == 0x20)
        #expect(ALSA_MMAP_OFFSET_STATUS_NEW == 0x8200_0000 && ALSA_MMAP_OFFSET_CONTROL_NEW == 0x8300_0000)
        #expect(ALSA_MMAP_OFFSET_STATUS_OLD == 0x8000_0000 && ALSA_MMAP_OFFSET_CONTROL_OLD == 0x8100_0000)
    }
}
