import CAlsaKernel

/// One hw_params interval with the kernel's open-bound and integer semantics (struct snd_interval).
/// The arithmetic reproduces the kernel's rounding: an inexact bound is widened by one and marked
/// open, so that integer intervals later snap inward and the results match a real kernel exactly.
struct Interval: Equatable {
    var min: UInt32 = 0
    var max: UInt32 = .max
    var openMin = false
    var openMax = false
    var integer = false
    var empty = false

    struct Empty: Error {}

    static func range(_ lo: UInt32, _ hi: UInt32, integer: Bool = false) -> Interval {
        Interval(min: lo, max: hi, integer: integer)
    }

    var isSingle: Bool { !empty && (min == max || (min &+ 1 == max && (openMin || openMax))) }
    /// The value the kernel reads back from a single interval (snd_interval_value).
    var value: UInt32 { openMin && !openMax ? max : min }
    private var isInvalid: Bool { min > max || (min == max && (openMin || openMax)) }

    func contains(_ v: UInt32) -> Bool {
        !(min > v || (min == v && openMin) || max < v || (max == v && openMax))
    }

    /// Intersects with `v`; true when something changed (snd_interval_refine).
    mutating func refine(_ v: Interval) throws(Empty) -> Bool {
        guard !empty, !v.empty else { throw Empty() }
        var changed = false
        if min < v.min {
            min = v.min
            openMin = v.openMin
            changed = true
        } else if min == v.min && !openMin && v.openMin {
            openMin = true
            changed = true
        }
        if max > v.max {
            max = v.max
            openMax = v.openMax
            changed = true
        } else if max == v.max && !openMax && v.openMax {
            openMax = true
            changed = true
        }
        if !integer && v.integer {
            integer = true
            changed = true
        }
        if integer {
            if openMin { min &+= 1; openMin = false }
            if openMax { max &-= 1; openMax = false }
        } else if !openMin && !openMax && min == max {
            integer = true
        }
        if isInvalid {
            empty = true
            throw Empty()
        }
        return changed
    }

    mutating func refineFirst() -> Bool {
        guard !isSingle else { return false }
        let lastMax = max
        max = min
        if openMin { max &+= 1 }
        // The upper bound stays open only if the old one was open and is being kept.
        openMax = openMax && max >= lastMax
        return true
    }

    mutating func refineLast() -> Bool {
        guard !isSingle else { return false }
        let lastMin = min
        min = max
        if openMax { min &-= 1 }
        openMin = openMin && min <= lastMin
        return true
    }

    // MARK: the kernel's saturating 32-bit arithmetic

    private static func mul(_ a: UInt32, _ b: UInt32) -> UInt32 {
        if b == 0 { return 0 }
        if UInt32.max / b < a { return .max }
        return a * b
    }

    private static func div(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        b == 0 ? (.max, 0) : (a / b, a % b)
    }

    private static func mulDiv(_ a: UInt32, _ b: UInt32, _ c: UInt32) -> (UInt32, UInt32) {
        if c == 0 { return (.max, 0) }
        let n = UInt64(a) * UInt64(b)
        let q = n / UInt64(c)
        if q >= UInt64(UInt32.max) { return (.max, 0) }
        return (UInt32(q), UInt32(n % UInt64(c)))
    }

    static func product(_ a: Interval, _ b: Interval) throws(Empty) -> Interval {
        guard !a.empty, !b.empty else { throw Empty() }
        return Interval(min: mul(a.min, b.min), max: mul(a.max, b.max), openMin: a.openMin || b.openMin,
                        openMax: a.openMax || b.openMax, integer: a.integer && b.integer)
    }

    static func quotient(_ a: Interval, _ b: Interval) throws(Empty) -> Interval {
        guard !a.empty, !b.empty else { throw Empty() }
        var c = Interval()
        let (lo, r) = div(a.min, b.max)
        c.min = lo
        c.openMin = r != 0 || a.openMin || b.openMax
        if b.min > 0 {
            let (hi, r2) = div(a.max, b.min)
            c.max = r2 != 0 ? hi &+ 1 : hi
            c.openMax = r2 != 0 || a.openMax || b.openMin
        }
        return c
    }

    /// a * b / k
    static func mulDivK(_ a: Interval, _ b: Interval, _ k: UInt32) throws(Empty) -> Interval {
        guard !a.empty, !b.empty else { throw Empty() }
        var c = Interval()
        let (lo, r) = mulDiv(a.min, b.min, k)
        c.min = lo
        c.openMin = r != 0 || a.openMin || b.openMin
        let (hi, r2) = mulDiv(a.max, b.max, k)
        c.max = r2 != 0 ? hi &+ 1 : hi
        c.openMax = r2 != 0 || a.openMax || b.openMax
        return c
    }

    /// a * k / b
    static func mulKDiv(_ a: Interval, _ k: UInt32, _ b: Interval) throws(Empty) -> Interval {
        guard !a.empty, !b.empty else { throw Empty() }
        var c = Interval()
        let (lo, r) = mulDiv(a.min, k, b.max)
        c.min = lo
        c.openMin = r != 0 || a.openMin || b.openMax
        if b.min > 0 {
            let (hi, r2) = mulDiv(a.max, k, b.min)
            c.max = r2 != 0 ? hi &+ 1 : hi
            c.openMax = r2 != 0 || a.openMax || b.openMin
        }
        return c
    }
}

/// HW_REFINE and HW_PARAMS for one hardware description, following the kernel's constraint engine
/// (snd_pcm_hw_refine, constrain_params_by_rules, fixup_unreferenced_params and
/// snd_pcm_hw_params_choose): the hardware's masks and ranges are applied to the parameters user
/// space asked to refine (rmask), then the relation rules run, each whenever a parameter it reads
/// changed since it last ran, until nothing changes. Any empty result is EINVAL.
struct HardwareRefinement {
    let hardware: SimulatedHardware

    typealias Empty = Interval.Empty

    static let usPerSecond: UInt32 = 1_000_000
    /// SNDRV_PCM_FORMAT_LAST on 6.1 (DSD_U32_BE).
    static let lastFormat = 52

    /// snd_pcm_format_physical_width; formats without one (MPEG, GSM, SPECIAL) are not listed.
    static let physicalWidth: [Int: UInt32] = {
        var table: [Int: UInt32] = [0: 8, 1: 8, 20: 8, 21: 8, 22: 4, 44: 3, 45: 8, 46: 5, 47: 8, 48: 8, 49: 16, 50: 32,
                                    51: 16, 52: 32]
        for f in 2...5 { table[f] = 16 }
        for f in 6...15 { table[f] = 32 }
        for f in 16...17 { table[f] = 64 }
        for f in 18...19 { table[f] = 32 }
        for f in 25...28 { table[f] = 32 }
        for f in 32...43 { table[f] = 24 }
        return table
    }()

    /// A working copy of the parameter space: three masks and twelve intervals.
    struct Space {
        var masks: [[UInt32]]
        var intervals: [Interval]

        subscript(interval p: Int32) -> Interval {
            get { intervals[Int(p - ALSA_HW_PARAM_FIRST_INTERVAL)] }
            set { intervals[Int(p - ALSA_HW_PARAM_FIRST_INTERVAL)] = newValue }
        }

        subscript(mask p: Int32) -> [UInt32] {
            get { masks[Int(p - ALSA_HW_PARAM_FIRST_MASK)] }
            set { masks[Int(p - ALSA_HW_PARAM_FIRST_MASK)] = newValue }
        }

        func test(_ p: Int32, _ bit: Int) -> Bool { self[mask: p][bit >> 5] & (1 << UInt32(bit & 31)) != 0 }
    }

    private struct Rule {
        let target: Int32
        let dependencies: [Int32]
        let apply: (inout Space) throws(Empty) -> Bool
    }

    // MARK: entry points

    /// HW_REFINE: refines a copy of `params`; the caller's record is written only on success.
    func refine(_ params: UnsafeMutablePointer<snd_pcm_hw_params>) throws(Empty) {
        var p = params.pointee
        try refine(&p)
        fixup(&p)
        params.pointee = p
    }

    /// HW_PARAMS: refines everything, then chooses one value for every parameter still a range.
    func choose(_ params: UnsafeMutablePointer<snd_pcm_hw_params>) throws(Empty) {
        var p = params.pointee
        p.rmask = .max
        try refine(&p)
        // snd_pcm_hw_params_choose: the kernel's order, smallest of each except the buffer size.
        let order: [(Int32, Bool)] = [(ALSA_HW_PARAM_ACCESS, false), (ALSA_HW_PARAM_FORMAT, false),
                                      (ALSA_HW_PARAM_SUBFORMAT, false), (ALSA_HW_PARAM_CHANNELS, false),
                                      (ALSA_HW_PARAM_RATE, false), (ALSA_HW_PARAM_PERIOD_TIME, false),
                                      (ALSA_HW_PARAM_BUFFER_SIZE, true), (ALSA_HW_PARAM_TICK_TIME, false)]
        for (param, last) in order {
            var space = Self.read(p)
            let changed: Bool
            if param <= ALSA_HW_PARAM_LAST_MASK {
                var words = space[mask: param]
                changed = Self.keepLowestBit(&words)
                space[mask: param] = words
            } else {
                changed = last ? space[interval: param].refineLast() : space[interval: param].refineFirst()
            }
            guard changed else { continue }
            Self.write(space, into: &p)
            p.cmask |= 1 << UInt32(param)
            p.rmask = 1 << UInt32(param)
            try refine(&p)
        }
        fixup(&p)
        params.pointee = p
    }

    // MARK: the engine

    private func refine(_ p: inout snd_pcm_hw_params) throws(Empty) {
        p.info = 0
        p.fifo_size = 0
        let rmask = p.rmask
        if rmask & (1 << UInt32(ALSA_HW_PARAM_SAMPLE_BITS)) != 0 { p.msbits = 0 }
        if rmask & (1 << UInt32(ALSA_HW_PARAM_RATE)) != 0 {
            p.rate_num = 0
            p.rate_den = 0
        }
        var space = Self.read(p)
        var cmask: UInt32 = 0
        let limits = constraints()
        for param in ALSA_HW_PARAM_FIRST_MASK...ALSA_HW_PARAM_LAST_MASK where rmask & (1 << UInt32(param)) != 0 {
            let old = space[mask: param]
            guard old.contains(where: { $0 != 0 }) else { throw Empty() }
            let new = zip(old, limits.masks[Int(param)]).map { $0 & $1 }
            guard new.contains(where: { $0 != 0 }) else { throw Empty() }
            if new != old { cmask |= 1 << UInt32(param) }
            space[mask: param] = new
        }
        for param in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL where rmask & (1 << UInt32(param)) != 0 {
            var interval = space[interval: param]
            if try interval.refine(limits[interval: param]) { cmask |= 1 << UInt32(param) }
            space[interval: param] = interval
        }
        try applyRules(&space, rmask: rmask, cmask: &cmask)
        Self.write(space, into: &p)
        p.cmask |= cmask
        p.rmask = 0
    }

    /// constrain_params_by_rules: stamps record when each parameter last changed and when each
    /// rule last ran; a rule runs again only when one of its inputs is newer than its last run.
    private func applyRules(_ space: inout Space, rmask: UInt32, cmask: inout UInt32) throws(Empty) {
        let rules = self.rules()
        var parameterStamps = [UInt32](repeating: 0, count: Int(ALSA_HW_PARAM_LAST_INTERVAL) + 1)
        for k in parameterStamps.indices where rmask & (1 << UInt32(k)) != 0 { parameterStamps[k] = 1 }
        var ruleStamps = [UInt32](repeating: 0, count: rules.count)
        var stamp: UInt32 = 2
        var again = true
        while again {
            again = false
            for (k, rule) in rules.enumerated() {
                guard rule.dependencies.contains(where: { parameterStamps[Int($0)] > ruleStamps[k] }) else { continue }
                if try rule.apply(&space) {
                    cmask |= 1 << UInt32(rule.target)
                    parameterStamps[Int(rule.target)] = stamp
                    again = true
                }
                ruleStamps[k] = stamp
                stamp += 1
            }
        }
    }

    /// fixup_unreferenced_params (6.1): msbits from a single sample width, the rate as a fraction,
    /// and the info word the driver declared minus the two kernel-internal bits.
    private func fixup(_ p: inout snd_pcm_hw_params) {
        let space = Self.read(p)
        if p.msbits == 0, space[interval: ALSA_HW_PARAM_SAMPLE_BITS].isSingle {
            p.msbits = space[interval: ALSA_HW_PARAM_SAMPLE_BITS].value
        }
        if p.rate_den == 0, space[interval: ALSA_HW_PARAM_RATE].isSingle {
            p.rate_num = space[interval: ALSA_HW_PARAM_RATE].value
            p.rate_den = 1
        }
        if p.info == 0 { p.info = hardware.info & ~0xC000_0000 }
    }

    // MARK: what the device allows

    /// The accesses the kernel derives from the info bits (snd_pcm_hw_constraints_complete),
    /// narrowed by the description's own access mask.
    var accessMask: UInt32 {
        let info = hardware.info
        var mask: UInt32 = 0
        if info & ALSA_INFO_INTERLEAVED != 0 { mask |= 1 << 3 }
        if info & ALSA_INFO_NONINTERLEAVED != 0 { mask |= 1 << 4 }
        if info & ALSA_INFO_MMAP != 0 {
            if info & ALSA_INFO_INTERLEAVED != 0 { mask |= 1 << 0 }
            if info & ALSA_INFO_NONINTERLEAVED != 0 { mask |= 1 << 1 }
            if info & ALSA_INFO_COMPLEX != 0 { mask |= 1 << 2 }
        }
        return mask & hardware.accessMask
    }

    private func constraints() -> Space {
        // snd_pcm_hw_constraint_mask64 constrains only the low 64 format bits and leaves the rest
        // set, so bits 64...255 come back exactly as user space sent them (seen on the real kernel).
        var formats = [UInt32](repeating: .max, count: 8)
        formats[0] = 0
        formats[1] = 0
        for f in hardware.formats where (0..<64).contains(f) { formats[Int(f) >> 5] |= 1 << UInt32(f & 31) }
        var access = [UInt32](repeating: 0, count: 8)
        access[0] = accessMask
        var subformat = [UInt32](repeating: 0, count: 8)
        subformat[0] = 1
        var space = Space(masks: [access, formats, subformat],
                          intervals: [Interval](repeating: Interval(), count: 12))
        for p in [ALSA_HW_PARAM_SAMPLE_BITS, ALSA_HW_PARAM_FRAME_BITS, ALSA_HW_PARAM_PERIOD_SIZE,
                  ALSA_HW_PARAM_BUFFER_SIZE, ALSA_HW_PARAM_BUFFER_BYTES] {
            space[interval: p].integer = true
        }
        space[interval: ALSA_HW_PARAM_CHANNELS] = .range(hardware.channelCount.lowerBound, hardware.channelCount.upperBound, integer: true)
        let rates = hardware.rateBounds
        space[interval: ALSA_HW_PARAM_RATE] = .range(rates.lowerBound, rates.upperBound)
        space[interval: ALSA_HW_PARAM_PERIOD_BYTES] = .range(hardware.periodBytes.lowerBound, hardware.periodBytes.upperBound)
        space[interval: ALSA_HW_PARAM_PERIODS] = .range(hardware.periods.lowerBound, hardware.periods.upperBound)
        space[interval: ALSA_HW_PARAM_BUFFER_BYTES] = .range(hardware.periodBytes.lowerBound, hardware.bufferBytesMax, integer: true)
        return space
    }

    /// The relations of snd_pcm_hw_constraints_init, in the kernel's order, plus the rate list.
    private func rules() -> [Rule] {
        let sampleBits = ALSA_HW_PARAM_SAMPLE_BITS, frameBits = ALSA_HW_PARAM_FRAME_BITS
        let channels = ALSA_HW_PARAM_CHANNELS, rate = ALSA_HW_PARAM_RATE
        let periodTime = ALSA_HW_PARAM_PERIOD_TIME, periodSize = ALSA_HW_PARAM_PERIOD_SIZE
        let periodBytes = ALSA_HW_PARAM_PERIOD_BYTES, periods = ALSA_HW_PARAM_PERIODS
        let bufferTime = ALSA_HW_PARAM_BUFFER_TIME, bufferSize = ALSA_HW_PARAM_BUFFER_SIZE
        let bufferBytes = ALSA_HW_PARAM_BUFFER_BYTES
        let us = Self.usPerSecond

        func rule(_ target: Int32, _ deps: [Int32], _ compute: @escaping (Space) throws(Empty) -> Interval) -> Rule {
            Rule(target: target, dependencies: deps) { (space: inout Space) throws(Empty) -> Bool in
                let t = try compute(space)
                var interval = space[interval: target]
                let changed = try interval.refine(t)
                space[interval: target] = interval
                return changed
            }
        }
        func mul(_ t: Int32, _ a: Int32, _ b: Int32) -> Rule {
            rule(t, [a, b]) { s throws(Empty) in try .product(s[interval: a], s[interval: b]) }
        }
        func div(_ t: Int32, _ a: Int32, _ b: Int32) -> Rule {
            rule(t, [a, b]) { s throws(Empty) in try .quotient(s[interval: a], s[interval: b]) }
        }
        func mulDivK(_ t: Int32, _ a: Int32, _ b: Int32, _ k: UInt32) -> Rule {
            rule(t, [a, b]) { s throws(Empty) in try .mulDivK(s[interval: a], s[interval: b], k) }
        }
        func mulKDiv(_ t: Int32, _ a: Int32, _ k: UInt32, _ b: Int32) -> Rule {
            rule(t, [a, b]) { s throws(Empty) in try .mulKDiv(s[interval: a], k, s[interval: b]) }
        }

        let format = Rule(target: ALSA_HW_PARAM_FORMAT, dependencies: [sampleBits]) { (s: inout Space) throws(Empty) -> Bool in
            let widths = s[interval: sampleBits]
            var words = s[mask: ALSA_HW_PARAM_FORMAT]
            for f in 0...Self.lastFormat where s.test(ALSA_HW_PARAM_FORMAT, f) {
                guard let width = Self.physicalWidth[f], !widths.contains(width) else { continue }
                words[f >> 5] &= ~(1 << UInt32(f & 31))
            }
            guard words.contains(where: { $0 != 0 }) else { throw Empty() }
            defer { s[mask: ALSA_HW_PARAM_FORMAT] = words }
            return words != s[mask: ALSA_HW_PARAM_FORMAT]
        }
        let widths = rule(sampleBits, [ALSA_HW_PARAM_FORMAT]) { s throws(Empty) in
            var t = Interval(min: .max, max: 0, integer: true)
            for f in 0...Self.lastFormat where s.test(ALSA_HW_PARAM_FORMAT, f) {
                guard let width = Self.physicalWidth[f] else { continue }
                t.min = Swift.min(t.min, width)
                t.max = Swift.max(t.max, width)
            }
            return t
        }
        var list: [Rule] = [
            format, widths,
            div(sampleBits, frameBits, channels),
            mul(frameBits, sampleBits, channels),
            mulKDiv(frameBits, periodBytes, 8, periodSize),
            mulKDiv(frameBits, bufferBytes, 8, bufferSize),
            div(channels, frameBits, sampleBits),
            mulKDiv(rate, periodSize, us, periodTime),
            mulKDiv(rate, bufferSize, us, bufferTime),
            div(periods, bufferSize, periodSize),
            div(periodSize, bufferSize, periods),
            mulKDiv(periodSize, periodBytes, 8, frameBits),
            mulDivK(periodSize, periodTime, rate, us),
            mul(bufferSize, periodSize, periods),
            mulKDiv(bufferSize, bufferBytes, 8, frameBits),
            mulDivK(bufferSize, bufferTime, rate, us),
            mulDivK(periodBytes, periodSize, frameBits, 8),
            mulDivK(bufferBytes, bufferSize, frameBits, 8),
            mulKDiv(periodTime, periodSize, us, rate),
            mulKDiv(bufferTime, bufferSize, us, rate),
        ]
        if case .list(let rates) = hardware.rates {
            // snd_interval_list: the smallest and largest listed rate inside the interval.
            list.append(rule(rate, [rate]) { s throws(Empty) in
                let inside = rates.filter { s[interval: rate].contains($0) }
                guard let lo = inside.min(), let hi = inside.max() else { throw Empty() }
                return .range(lo, hi)
            })
        }
        return list
    }

    // MARK: conversion

    private static func keepLowestBit(_ words: inout [UInt32]) -> Bool {
        guard words.reduce(0, { $0 + $1.nonzeroBitCount }) > 1, let i = words.firstIndex(where: { $0 != 0 }) else { return false }
        let low = words[i] & (~words[i] &+ 1)
        for k in words.indices { words[k] = 0 }
        words[i] = low
        return true
    }

    static func read(_ p: snd_pcm_hw_params) -> Space {
        var copy = p
        var masks: [[UInt32]] = []
        for param in ALSA_HW_PARAM_FIRST_MASK...ALSA_HW_PARAM_LAST_MASK {
            let bits = alsa_hw_mask(&copy, param)!.pointee.bits
            masks.append(withUnsafeBytes(of: bits) { Array($0.bindMemory(to: UInt32.self)) })
        }
        var intervals: [Interval] = []
        for param in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            let i = alsa_hw_interval(&copy, param)!.pointee
            intervals.append(Interval(min: i.min, max: i.max, openMin: i.openmin != 0, openMax: i.openmax != 0,
                                      integer: i.integer != 0, empty: i.empty != 0))
        }
        return Space(masks: masks, intervals: intervals)
    }

    static func write(_ s: Space, into p: inout snd_pcm_hw_params) {
        for param in ALSA_HW_PARAM_FIRST_MASK...ALSA_HW_PARAM_LAST_MASK {
            let mask = alsa_hw_mask(&p, param)!
            withUnsafeMutableBytes(of: &mask.pointee.bits) { raw in
                for (k, word) in s[mask: param].enumerated() { raw.storeBytes(of: word, toByteOffset: k * 4, as: UInt32.self) }
            }
        }
        for param in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            let v = s[interval: param]
            let i = alsa_hw_interval(&p, param)!
            i.pointee.min = v.min
            i.pointee.max = v.max
            i.pointee.openmin = v.openMin ? 1 : 0
            i.pointee.openmax = v.openMax ? 1 : 0
            i.pointee.integer = v.integer ? 1 : 0
            i.pointee.empty = v.empty ? 1 : 0
        }
    }
}

extension SimulatedHardware {
    /// rate_min and rate_max as the driver declares them.
    var rateBounds: ClosedRange<UInt32> {
        switch rates {
        case .continuous(let range): return range
        case .list(let list): return (list.min() ?? 0)...(list.max() ?? 0)
        }
    }
}
