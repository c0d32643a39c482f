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
