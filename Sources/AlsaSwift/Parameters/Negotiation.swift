import CAlsaKernel

/// Turns a `HardwareRequest` into fully refined parameters, one parameter at a time, asking the
/// kernel (through `refine`, i.e. HW_REFINE) what remains possible after each choice.
///
/// Access and format must be offered as asked. Each number is met exactly when the device allows,
/// else with the nearest value it allows above or below (the closer wins; a tie goes below, which
/// keeps latency down). The order (channels, rate, period, buffer) is the one in which later
/// parameters depend on earlier ones.
struct Negotiation {
    let refine: (inout HardwareParameters) throws(AlsaError) -> Void

    func run(_ request: HardwareRequest) throws(AlsaError) -> HardwareParameters {
        var p = HardwareParameters.any
        try refine(&p)
        let offered = HardwareCapabilities(refined: p)

        guard offered.accessTypes.contains(request.access) else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "access \(request.access) is not supported; the device offers \(offered.accessTypes.map(\.description).joined(separator: ", "))")
        }
        p.setMaskOnly(ALSA_HW_PARAM_ACCESS, request.access.rawValue)
        try refine(&p)

        guard request.format.physicalBits != nil else {
            throw AlsaError(.configure, .invalidArgument, context: "format \(request.format) has no fixed sample width")
        }
        guard p.maskContains(ALSA_HW_PARAM_FORMAT, request.format.rawValue) else {
            let formats = HardwareCapabilities(refined: p).formats
            throw AlsaError(.configure, .invalidArgument,
                            context: "format \(request.format) is not supported with \(request.access); the device offers \(formats.map(\.name).joined(separator: ", "))")
        }
        p.setMaskOnly(ALSA_HW_PARAM_FORMAT, request.format.rawValue)
        try refine(&p)

        try near(&p, ALSA_HW_PARAM_CHANNELS, request.channelCount, name: "channels")
        try near(&p, ALSA_HW_PARAM_RATE, request.sampleRate, name: "rate")
        if let periodSize = request.periodSize {
            try near(&p, ALSA_HW_PARAM_PERIOD_SIZE, periodSize, name: "period size")
        }
        if let bufferSize = request.bufferSize {
            try near(&p, ALSA_HW_PARAM_BUFFER_SIZE, bufferSize, name: "buffer size")
        } else if let periodCount = request.periodCount {
            try near(&p, ALSA_HW_PARAM_PERIODS, periodCount, name: "period count")
        }
        return p
    }

    /// Fixes `param` at `target`, or at the nearest value the device still allows.
    private func near(_ p: inout HardwareParameters, _ param: Int32, _ requested: Int, name: String) throws(AlsaError) {
        // The kernel's intervals are 32-bit: what does not fit is refused, never trapped on.
        guard requested > 0, let target = UInt32(exactly: requested) else {
            throw AlsaError(.configure, .invalidArgument, context: "\(name) \(requested) is impossible")
        }
        if let fixed = try attempt(p, { $0.setRange(param, target...target) }) {
            p = fixed
            return
        }
        let above = try attempt(p, { $0.setMinimum(param, target) })
        let below = try attempt(p, { $0.setMaximum(param, target) })
        let aboveValue = above?.range(param)?.lowerBound
        let belowValue = below?.range(param)?.upperBound
        let chosen: UInt32
        switch (belowValue, aboveValue) {
        case let (b?, a?): chosen = (target - b) <= (a - target) ? b : a
        case let (b?, nil): chosen = b
        case let (nil, a?): chosen = a
        case (nil, nil):
            let allowed = p.range(param).map { "\($0.lowerBound)...\($0.upperBound)" } ?? "nothing"
            throw AlsaError(.configure, .invalidArgument,
                            context: "\(name) \(target) is impossible; with the choices so far the device allows \(allowed)")
        }
        guard let fixed = try attempt(p, { $0.setRange(param, chosen...chosen) }) else {
            throw AlsaError(.configure, .invalidArgument, context: "\(name) \(chosen) was offered but then refused")
        }
        p = fixed
    }

    /// Applies `change` to a copy of `p` and refines it; nil when the kernel says the result is
    /// empty (EINVAL). Other errors are real failures and propagate.
    private func attempt(_ p: HardwareParameters, _ change: (inout HardwareParameters) -> Void) throws(AlsaError) -> HardwareParameters? {
        var candidate = p
        change(&candidate)
        candidate.requestFullRefine()
        do {
            try refine(&candidate)
            return candidate
        } catch where error.errno == .invalidArgument {
            return nil
        }
    }
}

extension Negotiation {
    /// Why the device refuses `request` taken exactly, or nil when it accepts it: every asked value
    /// fixed (access, format, channels, rate; period size, buffer size or period count when set),
    /// nothing met by the nearest. One HW_REFINE answers; only after a refusal are the values
    /// added one at a time, in negotiation's order, to name the first the device cannot take with
    /// those before it, and what it would allow there. `request` must be validated.
    func refusal(ofExactly request: HardwareRequest) throws(AlsaError) -> String? {
        let steps = Self.exactSteps(request)
        var whole = HardwareParameters.any
        for step in steps { step.apply(&whole) }
        if try attempt(whole, { _ in }) != nil { return nil }

        var p = HardwareParameters.any
        try refine(&p)
        var taken: [String] = []
        for step in steps {
            guard let narrowed = try attempt(p, step.apply) else {
                let with = taken.isEmpty ? "" : " with \(taken.joined(separator: ", "))"
                return "\(step.label) is not supported\(with); the device allows \(step.allowed(p))"
            }
            p = narrowed
            taken.append(step.label)
        }
        // Each value was taken in turn, yet not all at once: a driver whose rules are not monotonic.
        return "\(taken.joined(separator: ", ")) are not supported together"
    }

    /// One asked value: how it reads, how it narrows the space, and what the space still allows.
    private struct ExactStep {
        let label: String
        let apply: (inout HardwareParameters) -> Void
        let allowed: (HardwareParameters) -> String
    }

    private static func exactSteps(_ request: HardwareRequest) -> [ExactStep] {
        func interval(_ param: Int32, _ name: String, _ value: Int) -> ExactStep {
            let fixed = UInt32(clamping: value)
            return ExactStep(label: "\(name) \(value)", apply: { $0.setRange(param, fixed...fixed) },
                             allowed: { $0.range(param).map { "\(name) \($0.lowerBound)...\($0.upperBound)" } ?? "no \(name)" })
        }
        var steps = [
            ExactStep(label: "access \(request.access)", apply: { $0.setMaskOnly(ALSA_HW_PARAM_ACCESS, request.access.rawValue) },
                      allowed: { HardwareCapabilities(refined: $0).accessTypes.map(\.description).joined(separator: ", ") }),
            ExactStep(label: "format \(request.format.name)", apply: { $0.setMaskOnly(ALSA_HW_PARAM_FORMAT, request.format.rawValue) },
                      allowed: { HardwareCapabilities(refined: $0).formats.map(\.name).joined(separator: ", ") }),
            interval(ALSA_HW_PARAM_CHANNELS, "channels", request.channelCount),
            interval(ALSA_HW_PARAM_RATE, "rate", request.sampleRate),
        ]
        if let periodSize = request.periodSize { steps.append(interval(ALSA_HW_PARAM_PERIOD_SIZE, "period size", periodSize)) }
        if let bufferSize = request.bufferSize {
            steps.append(interval(ALSA_HW_PARAM_BUFFER_SIZE, "buffer size", bufferSize))
        } else if let periodCount = request.periodCount {
            steps.append(interval(ALSA_HW_PARAM_PERIODS, "period count", periodCount))
        }
        return steps
    }
}
