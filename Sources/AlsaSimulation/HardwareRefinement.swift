import CAlsaKernel

/// HW_REFINE and HW_PARAMS as the kernel's constraint engine does them, for one hardware
/// description: intersect the user's space with what the device allows, then propagate the
/// relations between parameters (frame bits, bytes, sizes, times) to a fixed point with interval
/// arithmetic. An empty mask or interval is EINVAL.
struct HardwareRefinement {
    let hardware: SimulatedHardware

    struct Empty: Error {}

    /// Closed integer intervals, indexed by the kernel's parameter number.
    private struct Space {
        var access: UInt32
        var formats: UInt64  // formats < 64 are all a PCM needs here
        var ranges: [Int32: (lo: UInt64, hi: UInt64)] = [:]

        subscript(_ p: Int32) -> (lo: UInt64, hi: UInt64) {
            get { ranges[p]! }
            set { ranges[p] = newValue }
        }
    }

    private static let physicalBits: [Int32: UInt64] = [0: 8, 1: 8, 2: 16, 3: 16, 4: 16, 5: 16, 6: 32, 7: 32, 10: 32,
                                                        11: 32, 14: 32, 15: 32, 16: 64, 17: 64, 32: 24, 33: 24, 36: 24]
    private static let significantBits: [Int32: UInt32] = [0: 8, 1: 8, 2: 16, 3: 16, 4: 16, 5: 16, 6: 24, 7: 24, 10: 32,
                                                           11: 32, 14: 32, 15: 32, 16: 64, 17: 64, 32: 24, 33: 24, 36: 20]

    /// Refines `params` in place. With `choose`, also fixes every parameter that is still a range,
    /// in the kernel's order (smallest channels, rate and period; the largest buffer), as HW_PARAMS does.
    func refine(_ params: UnsafeMutablePointer<snd_pcm_hw_params>, choose: Bool) throws(Empty) {
        var space = try read(params)
        try propagate(&space)
        if choose {
            for (param, largest) in [(ALSA_HW_PARAM_CHANNELS, false), (ALSA_HW_PARAM_RATE, false),
                                     (ALSA_HW_PARAM_PERIOD_SIZE, false), (ALSA_HW_PARAM_PERIODS, true)] {
                let r = space[param]
                let v = largest ? r.hi : r.lo
                space[param] = (v, v)
                try propagate(&space)
            }
            space.access = lowestBit(space.access)
            space.formats = UInt64(lowestBit64(space.formats))
            try propagate(&space)
        }
        write(space, into: params)
    }

    private func lowestBit(_ v: UInt32) -> UInt32 { v & (~v &+ 1) }
    private func lowestBit64(_ v: UInt64) -> UInt64 { v & (~v &+ 1) }

    private func read(_ params: UnsafeMutablePointer<snd_pcm_hw_params>) throws(Empty) -> Space {
        let access = alsa_hw_mask(params, ALSA_HW_PARAM_ACCESS)!.pointee.bits.0 & hardware.accessMask
        var formats: UInt64 = 0
        for f in hardware.formats where alsa_mask_test(alsa_hw_mask(params, ALSA_HW_PARAM_FORMAT), UInt32(f)) {
            formats |= 1 << UInt64(f)
        }
        let subformat = alsa_mask_test(alsa_hw_mask(params, ALSA_HW_PARAM_SUBFORMAT), 0)
        guard access != 0, formats != 0, subformat else { throw Empty() }
        var space = Space(access: access, formats: formats)
        for p in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            let i = alsa_hw_interval(params, p)!.pointee
            if i.empty != 0 { throw Empty() }
            let lo = UInt64(i.min) + (i.openmin != 0 ? 1 : 0)
            let hi = i.openmax != 0 ? UInt64(i.max) &- 1 : UInt64(i.max)
            guard i.openmax == 0 || i.max > 0, lo <= hi else { throw Empty() }
            space[p] = (lo, hi)
        }
        try clamp(&space, ALSA_HW_PARAM_CHANNELS, UInt64(hardware.channels.lowerBound), UInt64(hardware.channels.upperBound))
        switch hardware.rates {
        case .continuous(let r): try clamp(&space, ALSA_HW_PARAM_RATE, UInt64(r.lowerBound), UInt64(r.upperBound))
        case .list: try snapRate(&space)
        }
        try clamp(&space, ALSA_HW_PARAM_PERIOD_BYTES, UInt64(hardware.periodBytes.lowerBound), UInt64(hardware.periodBytes.upperBound))
        try clamp(&space, ALSA_HW_PARAM_PERIODS, UInt64(hardware.periods.lowerBound), UInt64(hardware.periods.upperBound))
        try clamp(&space, ALSA_HW_PARAM_BUFFER_BYTES, 1, UInt64(hardware.bufferBytesMax))
        try clamp(&space, ALSA_HW_PARAM_PERIOD_SIZE, 1, UInt64(UInt32.max))
        return space
    }

    private func clamp(_ s: inout Space, _ p: Int32, _ lo: UInt64, _ hi: UInt64) throws(Empty) {
        let r = s[p]
        let n = (max(r.lo, lo), min(r.hi, hi))
        guard n.0 <= n.1 else { throw Empty() }
        s[p] = n
    }

    private func snapRate(_ s: inout Space) throws(Empty) {
        guard case .list(let rates) = hardware.rates else { return }
        let r = s[ALSA_HW_PARAM_RATE]
        let inside = rates.map(UInt64.init).filter { $0 >= r.lo && $0 <= r.hi }
        guard let lo = inside.min(), let hi = inside.max() else { throw Empty() }
        s[ALSA_HW_PARAM_RATE] = (lo, hi)
    }

    /// a * b = c * k, narrowing each of a, b, c from the other two.
    private func product(_ s: inout Space, _ a: Int32, _ b: Int32, _ c: Int32, k: UInt64) throws(Empty) {
        let A = s[a], B = s[b], C = s[c]
        let cap = UInt64(UInt32.max)
        let cLo = (A.lo * B.lo + k - 1) / k
        let cHi = min(cap, A.hi.multipliedReportingOverflow(by: B.hi).overflow ? cap : A.hi * B.hi / k)
        try clamp(&s, c, cLo, cHi)
        let C2 = s[c]
        if B.hi > 0 { try clamp(&s, a, (C2.lo * k + B.hi - 1) / B.hi, B.lo == 0 ? cap : C2.hi * k / B.lo) }
        let A2 = s[a]
        if A2.hi > 0 { try clamp(&s, b, (C2.lo * k + A2.hi - 1) / A2.hi, A2.lo == 0 ? cap : C2.hi * k / A2.lo) }
        _ = C
    }

    private func propagate(_ s: inout Space) throws(Empty) {
        let widths = (0..<64).filter { s.formats & (1 << UInt64($0)) != 0 }.compactMap { Self.physicalBits[Int32($0)] }
        guard let wLo = widths.min(), let wHi = widths.max() else { throw Empty() }
        try clamp(&s, ALSA_HW_PARAM_SAMPLE_BITS, wLo, wHi)
        for _ in 0..<32 {
            let before = s.ranges.map { "\($0.key):\($0.value.lo)-\($0.value.hi)" }.sorted()
            try product(&s, ALSA_HW_PARAM_SAMPLE_BITS, ALSA_HW_PARAM_CHANNELS, ALSA_HW_PARAM_FRAME_BITS, k: 1)
            try product(&s, ALSA_HW_PARAM_PERIOD_SIZE, ALSA_HW_PARAM_FRAME_BITS, ALSA_HW_PARAM_PERIOD_BYTES, k: 8)
            try product(&s, ALSA_HW_PARAM_BUFFER_SIZE, ALSA_HW_PARAM_FRAME_BITS, ALSA_HW_PARAM_BUFFER_BYTES, k: 8)
            try product(&s, ALSA_HW_PARAM_PERIOD_SIZE, ALSA_HW_PARAM_PERIODS, ALSA_HW_PARAM_BUFFER_SIZE, k: 1)
            try snapRate(&s)
            if s.ranges.map({ "\($0.key):\($0.value.lo)-\($0.value.hi)" }).sorted() == before { break }
        }
        // Times follow from sizes and rate; they are reported, not used to constrain (rounding).
        let rate = s[ALSA_HW_PARAM_RATE], period = s[ALSA_HW_PARAM_PERIOD_SIZE], buffer = s[ALSA_HW_PARAM_BUFFER_SIZE]
        let cap = UInt64(UInt32.max)
        s[ALSA_HW_PARAM_PERIOD_TIME] = (period.lo * 1_000_000 / max(rate.hi, 1), min(cap, (period.hi * 1_000_000 + rate.lo - 1) / max(rate.lo, 1)))
        s[ALSA_HW_PARAM_BUFFER_TIME] = (buffer.lo * 1_000_000 / max(rate.hi, 1), min(cap, (buffer.hi * 1_000_000 + rate.lo - 1) / max(rate.lo, 1)))
        s[ALSA_HW_PARAM_TICK_TIME] = (0, 0)
    }

    private func write(_ s: Space, into params: UnsafeMutablePointer<snd_pcm_hw_params>) {
        let access = alsa_hw_mask(params, ALSA_HW_PARAM_ACCESS)!
        alsa_mask_clear(access)
        for bit in 0..<32 where s.access & (1 << UInt32(bit)) != 0 { alsa_mask_set(access, UInt32(bit)) }
        // Like snd_pcm_hw_constraint_mask64, only the low 64 format bits are constrained; the kernel
        // returns bits 64...255 exactly as user space sent them.
        let format = alsa_hw_mask(params, ALSA_HW_PARAM_FORMAT)!
        for bit in 0..<64 { alsa_mask_reset(format, UInt32(bit)) }
        for bit in 0..<64 where s.formats & (1 << UInt64(bit)) != 0 { alsa_mask_set(format, UInt32(bit)) }
        let subformat = alsa_hw_mask(params, ALSA_HW_PARAM_SUBFORMAT)!
        alsa_mask_clear(subformat)
        alsa_mask_set(subformat, 0)
        for p in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            let r = s[p]
            let interval = alsa_hw_interval(params, p)!
            interval.pointee = snd_interval()
            interval.pointee.min = UInt32(r.lo)
            interval.pointee.max = UInt32(r.hi)
            interval.pointee.integer = p == ALSA_HW_PARAM_PERIOD_TIME || p == ALSA_HW_PARAM_BUFFER_TIME ? 0 : 1
        }
        params.pointee.info = hardware.info & ~0xC000_0000
        let single = s.formats.nonzeroBitCount == 1 ? Int32(s.formats.trailingZeroBitCount) : nil
        params.pointee.msbits = single.flatMap { Self.significantBits[$0] } ?? 0
        let rate = s[ALSA_HW_PARAM_RATE]
        params.pointee.rate_num = rate.lo == rate.hi ? UInt32(rate.lo) : 0
        params.pointee.rate_den = rate.lo == rate.hi ? 1 : 0
        params.pointee.fifo_size = 0
        params.pointee.rmask = 0
        params.pointee.cmask = .max
    }
}
