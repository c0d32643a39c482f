import CAlsaKernel

/// The kernel's `struct snd_pcm_hw_params`: a configuration space of masks (access, format,
/// subformat) and intervals (channels, rate, period and buffer sizes...). HW_REFINE narrows it,
/// HW_PARAMS fixes it. A value type, 608 bytes on 64-bit Linux.
struct HardwareParameters: @unchecked Sendable {
    // `@unchecked`: the C struct holds only integers, so copies share nothing.
    var raw = snd_pcm_hw_params()

    /// The whole space: every mask bit set, every interval [0, UInt32.max], every parameter asked
    /// to be refined.
    static var any: HardwareParameters {
        var p = HardwareParameters()
        // Only the first 64 bits of each mask: the kernel constrains formats as a 64-bit mask and
        // leaves higher bits as they came, so filling all 256 would report formats that do not exist.
        for param in ALSA_HW_PARAM_FIRST_MASK...ALSA_HW_PARAM_LAST_MASK {
            let mask = alsa_hw_mask(&p.raw, param)!
            alsa_mask_clear(mask)
            for bit in 0..<Self.maskBitsUsed { alsa_mask_set(mask, bit) }
        }
        for param in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            let interval = alsa_hw_interval(&p.raw, param)!
            interval.pointee = snd_interval()
            interval.pointee.min = 0
            interval.pointee.max = .max
        }
        p.raw.rmask = .max
        p.raw.cmask = 0
        p.raw.info = .max
        return p
    }

    /// The info word the kernel returned with the last refine or hw_params.
    var info: PCMInfoFlags { PCMInfoFlags(rawValue: raw.info) }
    /// Significant bits per sample the kernel reported (0 when unknown).
    var significantBits: UInt32 { raw.msbits }
    /// The exact rate's numerator, once the rate is fixed (rate = numerator / denominator).
    var rateNumerator: UInt32 { raw.rate_num }
    /// The exact rate's denominator.
    var rateDenominator: UInt32 { raw.rate_den }
    /// The device's FIFO size, in frames, as the driver reports it.
    var fifoSize: UInt { raw.fifo_size }

    // MARK: masks

    func maskContains(_ param: Int32, _ bit: Int32) -> Bool {
        withUnsafePointer(to: raw) { alsa_mask_test(alsa_hw_mask_const($0, param), UInt32(bit)) }
    }

    func maskBits(_ param: Int32) -> [Int32] {
        (0..<Int32(Self.maskBitsUsed)).filter { maskContains(param, $0) }
    }

    /// Formats, accesses and subformats all fit in 64 bits (SNDRV_PCM_FORMAT_LAST is below 64).
    static let maskBitsUsed: UInt32 = 64

    mutating func setMaskOnly(_ param: Int32, _ bit: Int32) {
        let mask = alsa_hw_mask(&raw, param)
        alsa_mask_clear(mask)
        alsa_mask_set(mask, UInt32(bit))
    }

    // MARK: intervals

    /// The integer values an interval parameter still allows, with open bounds closed, or nil when
    /// it is empty.
    func range(_ param: Int32) -> ClosedRange<UInt32>? {
        let interval = withUnsafePointer(to: raw) { alsa_hw_interval_const($0, param)!.pointee }
        if interval.empty != 0 { return nil }
        let low = interval.openmin != 0 ? interval.min &+ 1 : interval.min
        let high = interval.openmax != 0 ? interval.max &- 1 : interval.max
        return low <= high ? low...high : nil
    }

    mutating func setRange(_ param: Int32, _ values: ClosedRange<UInt32>) {
        let interval = alsa_hw_interval(&raw, param)!
        interval.pointee.min = values.lowerBound
        interval.pointee.max = values.upperBound
        interval.pointee.openmin = 0
        interval.pointee.openmax = 0
        interval.pointee.empty = 0
    }

    mutating func setMinimum(_ param: Int32, _ value: UInt32) {
        let interval = alsa_hw_interval(&raw, param)!
        if interval.pointee.min < value || (interval.pointee.min == value && interval.pointee.openmin != 0) {
            interval.pointee.min = value
            interval.pointee.openmin = 0
        }
    }

    mutating func setMaximum(_ param: Int32, _ value: UInt32) {
        let interval = alsa_hw_interval(&raw, param)!
        if interval.pointee.max > value || (interval.pointee.max == value && interval.pointee.openmax != 0) {
            interval.pointee.max = value
            interval.pointee.openmax = 0
        }
    }

    /// The single value of a parameter the kernel has fixed (after HW_PARAMS), or nil if it is
    /// still a range.
    func value(_ param: Int32) -> UInt32? {
        guard let r = range(param), r.lowerBound == r.upperBound else { return nil }
        return r.lowerBound
    }

    /// Asks for every parameter to be refined on the next HW_REFINE / HW_PARAMS.
    mutating func requestFullRefine() { raw.rmask = .max }
}
