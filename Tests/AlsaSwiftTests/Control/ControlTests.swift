import AlsaSimulation
import CAlsaKernel
import Foundation
import SystemPackage
import Testing
@testable import AlsaSwift

/// A simulated card with snd-dummy's mixer, an enumerated element and a read-only meter.
func makeMixerKernel() -> SimulatedKernel {
    let kernel = makeKernel(mixer: .dummy)
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
        // No such element: the kernel's ENOENT, named after the call and the element asked for.
        let missing = #expect(throws: AlsaError.self) { try controls.element(named: "Nonexistent Volume") }
        #expect(missing?.operation == .controlElementInfo && missing?.errno == .noSuchFileOrDirectory)
        #expect(missing?.description == "CTL ELEM_INFO failed: No such file or directory (errno 2): numid=0,iface=MIXER,name='Nonexistent Volume'")
    }

    @Test("Types, values and refusals read as amixer writes them, not as Swift dumps")
    func readableDescriptions() throws {
        #expect(ControlElementType.boolean.description == "boolean" && ControlElementType.bytes.description == "bytes")
        #expect(ControlElementType.integer(minimum: 0, maximum: 31, step: 1).description == "integer 0-31")
        #expect(ControlElementType.integer64(minimum: -5, maximum: 5, step: 2).description == "integer64 -5-5 step 2")
        #expect(ControlElementType.enumerated(items: ["Mic", "Line", "CD"]).description == "enumerated: Mic, Line, CD")
        #expect(ControlValue.booleans([true, false]).description == "on,off" && ControlValue.integers([27, -3]).description == "27,-3")
        #expect(ControlValue.items([2, 2]).description == "item 2,2" && ControlValue.bytes([1, 255]).description == "bytes 0x1,0xff")
        let controls = try CardControls(card: 0, kernel: makeMixerKernel())
        let source = try controls.element(named: "Capture Source")
        let item = #expect(throws: AlsaError.self) { try controls.setValue(.items([5, 5]), of: source) }
        #expect(item?.context == "Capture Source: item 5,5 not among its 3 items (Mic, Line, CD)")
        let kind = #expect(throws: AlsaError.self) { try controls.setValue(.booleans([true, true]), of: source) }
        #expect(kind?.context == "Capture Source: a value of on,on for an element of type enumerated: Mic, Line, CD")
        let range = #expect(throws: AlsaError.self) { try controls.setValue(.integers([101, 0]), of: try controls.element(named: "Master Volume")) }
        #expect(range?.context == "Master Volume: 101,0 outside -50...100")
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
final class TamperingKernel: ForwardingKernel, @unchecked Sendable {
    enum Tamper { case listOverrun, invertedRange, tooManyValues }
    var tamper: Tamper?

    override func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
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
}
