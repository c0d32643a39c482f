import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
import CAlsaKernel
#endif

/// What every real-time audio thread of the library shares (`RenderThread`, `DuplexThread`): the
/// pthread and its scheduling, a wake-up pipe its loop polls beside the device so that `stop`
/// returns promptly even on a stalled device, the stop flag, the period count, how it ended, and
/// questions other threads ask it (its timing), which the loop answers between periods with a
/// byte on a second pipe, never waiting for the asker's lock.
///
/// The handle is `Sendable`: `stop`, `ask` and the counters may be used from any thread; the
/// loop side (`shouldStop`, `answer`, `notePeriod`, `finish`...) is the audio thread's.
final class AudioThreadHost<Answer: Sendable>: Sendable {
    // Internal, not private: a test checks that a child process spawned meanwhile does not inherit them.
    let wakeReader: Int32
    let wakeWriter: Int32
    /// The thread writes a byte here when it has answered a question, or ended.
    let answerReader: Int32
    let answerWriter: Int32
    /// What the questions and errors call the thread ("render thread", "duplex thread").
    let name: String
    private let stopRequested = Atomic<Bool>(false)
    private let periods = Atomic<Int>(0)
    private let outcome = Mutex<(priority: RenderThread.PriorityOutcome?, failure: AlsaError?, finished: Bool)>((nil, nil, false))
    private let thread = Mutex<pthread_t?>(nil)
    /// Questions: the number asked, the number answered, and the answer, which the audio thread
    /// stores only when the lock is free (it never waits for it).
    private let requests = Atomic<Int>(0)
    private let answers = Atomic<Int>(0)
    private let answer = Mutex<Result<Answer, AlsaError>?>(nil)
    /// One question at a time, so that each answer byte belongs to its question.
    private let caller = Mutex<Void>(())

    /// Periods the loop has run.
    var periodCount: Int { periods.load(ordering: .relaxed) }
    /// What became of the priority request, once the thread has started.
    var priorityOutcome: RenderThread.PriorityOutcome? { outcome.withLock { $0.priority } }
    /// The error that ended the thread early, if any.
    var failure: AlsaError? { outcome.withLock { $0.failure } }
    /// Whether the thread has ended.
    var isFinished: Bool { outcome.withLock { $0.finished } }

    init(name: String) throws(AlsaError) {
        self.name = name
        let wake = try Self.pipe("the \(name)'s wake-up")
        let answer: (Int32, Int32)
        do {
            answer = try Self.pipe("the \(name)'s answers")
        } catch {
            Glibc.close(wake.0)
            Glibc.close(wake.1)
            throw error
        }
        (wakeReader, wakeWriter) = wake
        (answerReader, answerWriter) = answer
    }

    deinit {
        for end in [wakeReader, wakeWriter, answerReader, answerWriter] { Glibc.close(end) }
    }

    /// Starts the thread running `loop`, which it owns from then on.
    func start(_ loop: AudioThreadLoop) throws(AlsaError) {
        let context = Unmanaged.passRetained(loop).toOpaque()
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<AudioThreadLoop>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<AudioThreadLoop>.fromOpaque(context).release()
            throw AlsaError(.open, Errno(rawValue: created), context: "pthread_create for the \(name)")
        }
        thread.withLock { $0 = handle }
    }

    /// Asks the thread to end, and waits for it. Safe to call twice.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
        if let handle = thread.withLock({ h -> pthread_t? in defer { h = nil }; return h }) {
            pthread_join(handle, nil)
        }
    }

    /// Asks the thread a question and waits for its answer, which it gives between periods.
    /// Fails once the thread has ended, and after `timeout` if it does not answer (a callback
    /// that blocks).
    func ask(timeout: Duration) throws(AlsaError) -> Answer {
        try caller.withLock { _ throws(AlsaError) -> Answer in
            guard !isFinished else { throw ended }
            let request = requests.add(1, ordering: .sequentiallyConsistent).newValue
            wake()
            let deadline = MonotonicInstant.now + timeout
            while answers.load(ordering: .acquiring) < request {
                guard !isFinished else { throw ended }
                let left = deadline - MonotonicInstant.now
                guard left > .zero else { throw AlsaError(.status, .timedOut, context: "the \(name) did not answer") }
                var answer = pollfd(fd: answerReader, events: Int16(POLLIN), revents: 0)
                // Bounded, so that a thread that ends without answering is noticed.
                _ = Glibc.poll(&answer, 1, Int32(min(max(left.wholeMilliseconds, 1), 50)))
                var drained = (UInt64(0), UInt64(0))
                while Glibc.read(answerReader, &drained, 16) > 0 {}
            }
            guard let result = answer.withLock({ $0 }) else { throw ended }
            return try result.get()
        }
    }

    private var ended: AlsaError { AlsaError(.status, .badFileDescriptorState, context: "the \(name) has ended") }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWriter, &byte, 1)
    }

    // MARK: the audio thread's side

    /// The descriptor the loop polls beside the device.
    var wakeDescriptor: Int32 { wakeReader }
    var shouldStop: Bool { stopRequested.load(ordering: .acquiring) }
    func notePeriod() { periods.wrappingAdd(1, ordering: .relaxed) }

    /// Moves the calling thread to SCHED_FIFO when asked and permitted, and records what became of it.
    func elevate(_ priority: RenderThread.Priority) {
        let result: RenderThread.PriorityOutcome
        if case .realtime(let level) = priority {
            var parameters = sched_param(sched_priority: level)
            let status = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
            result = status == 0 ? .realtime(level) : .refused(Errno(rawValue: status))
        } else {
            result = .normal
        }
        outcome.withLock { $0.priority = result }
    }

    /// The loop ended (with `failure`, or nil when stopped): pending questions get `failure`, or
    /// "ended", and askers are woken.
    func finish(_ failure: AlsaError?) {
        answerRequests { .failure(failure ?? ended) }
        outcome.withLock { $0.failure = failure; $0.finished = true }
        var byte: UInt8 = 1
        _ = Glibc.write(answerWriter, &byte, 1)
    }

    /// Answers the questions asked since the last call; never waits for the asker's lock (the
    /// asker holds it only to copy the answer, after this byte).
    func answerRequests(_ make: () -> Result<Answer, AlsaError>) {
        let requested = requests.load(ordering: .acquiring)
        guard requested > answers.load(ordering: .relaxed) else { return }
        let result = make()
        guard answer.withLockIfAvailable({ $0 = result }) != nil else { return }
        answers.store(requested, ordering: .releasing)
        var byte: UInt8 = 1
        _ = Glibc.write(answerWriter, &byte, 1)
    }

    /// Empties the wake-up pipe.
    func drainWakeups() {
        var drained = (UInt64(0), UInt64(0))
        while Glibc.read(wakeReader, &drained, 16) > 0 {}
    }

    /// A non-blocking pipe, close-on-exec from the start: a child the app spawns (on any thread, at
    /// any moment) must not inherit it.
    private static func pipe(_ purpose: String) throws(AlsaError) -> (Int32, Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        let made = withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } }
        guard made == 0 else { throw AlsaError(.poll, Errno(rawValue: errno), context: "pipe for \(purpose)") }
        for end in [ends.0, ends.1] { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        return ends
    }
}

/// What an audio thread runs: its loop, on the thread's own stack, until it is told to stop.
/// Handed to the thread, which alone uses it from then on (hence unchecked).
class AudioThreadLoop: @unchecked Sendable {
    /// Overridden by each kind of thread.
    func run() {}
}
