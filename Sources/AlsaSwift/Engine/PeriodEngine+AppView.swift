/// The device's position as the app sees it: the delay and the timing in the app's own frames.
/// Frames the engine holds for the device (converted for a kernel that took only part of them, or
/// inside a rate conversion) lie between the app and the device too, and a stream that resamples
/// counts at the app's rate, so that `time(ofFrame:)` answers for the frames the app wrote or read.
extension PeriodEngine {
    /// Frames between the app and the device now, in app frames. An xrun met here is recovered
    /// (the kernel's part is then 0).
    func delay() throws(AlsaError) -> Int {
        appDelay(deviceDelay: try recovering { () throws(AlsaError) in try pcm.delay() })
    }

    /// The app's delay when the kernel reports `deviceDelay`.
    func appDelay(deviceDelay: Int) -> Int {
        let held = direction == .playback ? deviceDelay + stagedFrames : deviceDelay
        return conversion?.appDelay(deviceDelay: held) ?? held
    }

    /// The frames the app can move without waiting when the kernel reports `deviceAvailable`.
    func appAvailable(deviceAvailable: Int) -> Int {
        conversion?.appFrames(fromDevice: deviceAvailable) ?? deviceAvailable
    }

    /// The PCM's timing in app frames: the application position is the app's, the delay
    /// includes what the engine holds, and a resampling stream counts at the app's rate.
    func timing() throws(AlsaError) -> AudioTiming {
        let device = try pcm.timing()
        guard conversion != nil || stagedFrames > 0 else { return device }
        return AudioTiming(direction: device.direction, state: device.state, sampleRate: conversion?.appRate ?? device.sampleRate,
                           clock: device.clock, timestamp: device.timestamp, triggerTimestamp: device.triggerTimestamp,
                           applicationPosition: conversion == nil ? device.applicationPosition + stagedFrames : appPosition,
                           delayFrames: appDelay(deviceDelay: device.delayFrames),
                           availableFrames: appAvailable(deviceAvailable: device.availableFrames),
                           audioTimestamp: device.audioTimestamp)
    }
}
