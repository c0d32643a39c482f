import AlsaSimulation
import CAlsaKernel
import Foundation
import SystemPackage
import Testing
@testable import AlsaSwift

/// A simulated card with snd-dummy's mixer, an enumerated element and a read-only meter.
func makeMixerKernel() -> SimulatedKernel {
    let kernel = makeKernel()
    kernel.addControls(SimulatedControlElement.dummyMixer)
    kernel.addControls([
        SimulatedControlElement(name: "Capture Source", type: .enumerated(items: ["Mic", "Line", "CD"]), values: [1, 1]),
        SimulatedControlElement(name: "Peak Meter", type: .integer(minimum: 0, maximum: 255, step: 0), values: [7],
                                access: [.read, .volatile]),
    ])
    return kernel
}

@Suite("Control elements on the simulated kernel")
struct ControlTests {
    @Test("ELEM_LIST and ELEM_INFO: names, interface, count, ranges, access, item names, dB scale")
    func listing() throws {
        let kernel = makeMixerKernel()
        let controls = try CardControls(card: 0, kernel: kernel)
        let elements = try controls.elements()
        #expect(elements.map(\.id.name) == ["Master Volume", "Master Capture Switch", "Synth Volume", "Synth Capture Switch",
                                            "Line Volume", "Line Capture Switch", "Mic Volume", "Mic Capture Switch",
                                            "CD Volume", "CD Capture Switch", "Capture Source", "Peak Meter"])
        #expect(elements.map(\.id.numericID) == Array(1...12))
        let master = elements[0]
        #expect(master.id.interface == .mixer && master.count == 2)
        #expect(master.type == .integer(minimum: -50, maximum: 100, step: 1))
        #expect(master.access == [.read, .write, .tlvRead])
        #expect(try controls.decibelScale(of: master) == .steps(minimum: -4500, step: 30, mutesAtMinimum: false))
        #expect(elements[1].type == .boolean && elements[1].access == [.read, .write])
        #expect(try controls.decibelScale(of: elements[1]) == nil)
        #expect(elements[10].type == .enumerated(items: ["Mic", "Line", "CD"]))
        #expect(elements[11].access == [.read, .volatile] && elements[11].count == 1)
        // By name, as amixer's `sget`, with the numeric id filled in.
        #expect(try controls.element(named: "CD Volume").id.numericID == 9)
        // No such element: the kernel's ENOENT, named after the call.
        let missing = #expect(throws: AlsaError.self) { try controls.element(named: "Nonexistent Volume") }
        #expect(missing?.operation == .controlElementInfo && missing?.errno == .noSuchFileOrDirectory)
    }

    @Test("ELEM_READ and ELEM_WRITE round trip every type; bad values never reach the kernel")
    func values() throws {
        let kernel = makeMixerKernel()
        let controls = try CardControls(card: 0, kernel: kernel)
        let master = try controls.element(named: "Master Volume")
        #expect(try controls.value(of: master) == .integers([0, 0]))
        try controls.setValue(.integers([-50, 100]), of: master)
        #expect(try controls.value(of: master) == .integers([-50, 100]))
        #expect(kernel.control(named: "Master Volume")?.values == [-50, 100])

        let source = try controls.element(named: "Capture Source")
        try controls.setValue(.items([2, 0]), of: source)
        #expect(try controls.value(of: source) == .items([2, 0]))
        let capture = try controls.element(named: "Mic Capture Switch")
        try controls.setValue(.booleans([true, false]), of: capture)
        #expect(try controls.value(of: capture) == .booleans([true, false]))

        kernel.clearTrace()
        for bad in [ControlValue.integers([101, 0]), .integers([0]), .booleans([true, true]), .integers([-51, -51])] {
            let error = #expect(throws: AlsaError.self) { try controls.setValue(bad, of: master) }
            #expect(error?.operation == .controlElementWrite && error?.errno == .invalidArgument)
        }
        #expect(throws: AlsaError.self) { try controls.setValue(.items([3, 0]), of: source) }
        #expect(!kernel.trace.contains { $0.request == ALSA_IOCTL_CTL_ELEM_WRITE })
        #expect(kernel.control(named: "Master Volume")?.values == [-50, 100])

        // A read-only element: the kernel refuses the write (EPERM), named after the call.
        let meter = try controls.element(named: "Peak Meter")
        let refused = #expect(throws: AlsaError.self) { try controls.setValue(.integers([1]), of: meter) }
        #expect(refused?.operation == .controlElementWrite && refused?.errno == .permissionDenied)
    }

    @Test("Numbers from the kernel are range-checked: a list longer than its room, an inverted range")
    func rangeChecks() throws {
        let kernel = TamperingKernel(makeMixerKernel())
        let controls = try CardControls(card: 0, kernel: kernel)
        kernel.tamper = .listOverrun
        let overrun = #expect(throws: AlsaError.self) { try controls.elementIDs() }
        #expect(overrun?.operation == .controlElementList && overrun?.errno == .badMessage)
        kernel.tamper = .invertedRange
        let inverted = #expect(throws: AlsaError.self) { try controls.element(named: "Master Volume") }
        #expect(inverted?.operation == .controlElementInfo && inverted?.errno == .badMessage)
        kernel.tamper = .tooManyValues
        #expect(throws: AlsaError.self) { try controls.element(named: "Master Volume") }
        kernel.tamper = nil
        #expect(try controls.element(named: "Master Volume").count == 2)
    }

    @Test("Every descriptor is closed when the handles go away")
    func closes() throws {
        let kernel = makeMixerKernel()
        do {
            let controls = try CardControls(card: 0, kernel: kernel)
            let events = try controls.events()
            _ = try events.available()
            #expect(kernel.openDescriptorCount == 2)
        }
        #expect(kernel.openDescriptorCount == 0)
    }
}

/// Changes the kernel's answers the way a misbehaving driver (or a changed ABI) could.
final class TamperingKernel: KernelInterface, @unchecked Sendable {
    enum Tamper { case listOverrun, invertedRange, tooManyValues }
    let inner: SimulatedKernel
    var tamper: Tamper?

    init(_ inner: SimulatedKernel) { self.inner = inner }

    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try inner.open(path, flags: flags) }
    func close(_ fd: FileDescriptor) throws(Errno) { try inner.close(fd) }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) { try inner.setNonBlocking(fd, nonBlocking) }
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        let result = try inner.ioctl(fd, request, argument)
        switch (tamper, request) {
        case (.listOverrun, ALSA_IOCTL_CTL_ELEM_LIST):
            let list = argument!.assumingMemoryBound(to: snd_ctl_elem_list.self)
            if list.pointee.space > 0 { list.pointee.used = list.pointee.space + 1 }
        case (.invertedRange, ALSA_IOCTL_CTL_ELEM_INFO):
            argument!.assumingMemoryBound(to: snd_ctl_elem_info.self).pointee.value.integer.min = 1000
        case (.tooManyValues, ALSA_IOCTL_CTL_ELEM_INFO):
            argument!.assumingMemoryBound(to: snd_ctl_elem_info.self).pointee.count = 129
        default:
            break
        }
        return result
    }
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try inner.mmap(fd, length: length, protection: protection, offset: offset)
    }
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) { try inner.munmap(address, length: length) }
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeoutMilliseconds: Int32) throws(Errno) -> Int32 {
        try inner.poll(descriptors, count: count, timeoutMilliseconds: timeoutMilliseconds)
    }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int { try inner.read(fd, into: buffer) }
    func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int { try inner.write(fd, from: bytes) }
}
