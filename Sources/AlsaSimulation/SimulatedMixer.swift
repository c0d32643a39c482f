import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The control core of one simulated card (sound/core/control.c): its elements, numbered from 1
/// in the order added, and an event queue for each subscribed control file. Used under the
/// simulated kernel's lock.
final class SimulatedMixer {
    private struct Slot {
        let numericID: UInt32
        var element: SimulatedControlElement
    }

    private var slots: [Slot] = []
    private var nextNumericID: UInt32 = 1
    /// Subscribed control files and their unread events (id and mask), merged per element as
    /// the kernel does.
    private var queues: [Int32: [(numericID: UInt32, id: snd_ctl_elem_id, mask: UInt32)]] = [:]
    /// Called when an event is queued, so that a poller sleeping on host descriptors wakes.
    let wake: () -> Void

    init(wake: @escaping () -> Void) { self.wake = wake }

    // MARK: what the test does

    func add(_ element: SimulatedControlElement) {
        slots.append(Slot(numericID: nextNumericID, element: element))
        nextNumericID += 1
        notify(slots.count - 1, ALSA_CTL_EVENT_MASK_ADD)
    }

    /// Removes an element; false when there is none of that name.
    func remove(named name: String, index: Int) -> Bool {
        guard let position = slots.firstIndex(where: { $0.element.name == name && $0.element.index == index }) else { return false }
        notify(position, ALSA_CTL_EVENT_MASK_REMOVE)
        slots.remove(at: position)
        return true
    }

    /// Another process (or the hardware) changes values; false when there is no such element.
    func set(named name: String, index: Int, values: [Int]) -> Bool {
        guard let position = slots.firstIndex(where: { $0.element.name == name && $0.element.index == index }) else { return false }
        if slots[position].element.values != values {
            slots[position].element.values = values
            notify(position, ALSA_CTL_EVENT_MASK_VALUE)
        }
        return true
    }

    func element(named name: String, index: Int) -> SimulatedControlElement? {
        slots.first { $0.element.name == name && $0.element.index == index }?.element
    }

    /// The first element that `matches` says is the one.
    func element(where matches: (SimulatedControlElement) -> Bool) -> SimulatedControlElement? {
        slots.first { matches($0.element) }?.element
    }

    func unsubscribe(_ fd: Int32) { queues[fd] = nil }

    /// How many control files are subscribed.
    var subscriberCount: Int { queues.count }

    func hasEvents(_ fd: Int32) -> Bool { !(queues[fd]?.isEmpty ?? true) }

    // MARK: the control file

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?, fd: Int32) throws(Errno) -> Int32 {
        switch request {
        case ALSA_IOCTL_CTL_ELEM_LIST:
            let r = try argument.pointer(snd_ctl_elem_list.self)
            r.pointee.count = UInt32(slots.count)
            let first = Int(r.pointee.offset)
            let wanted = Int(r.pointee.space)
            guard wanted > 0 else {
                r.pointee.used = 0
                return 0
            }
            guard let ids = r.pointee.pids else { throw .badAddress }
            let listed = first < slots.count ? Array(slots[first..<min(slots.count, first + wanted)]) : []
            for (i, slot) in listed.enumerated() { ids[i] = record(slot) }
            r.pointee.used = UInt32(listed.count)
        case ALSA_IOCTL_CTL_ELEM_INFO:
            let r = try argument.pointer(snd_ctl_elem_info.self)
            let slot = slots[try find(r.pointee.id)]
            fillInfo(r, slot)
        case ALSA_IOCTL_CTL_ELEM_READ:
            let r = try argument.pointer(snd_ctl_elem_value.self)
            let slot = slots[try find(r.pointee.id)]
            guard slot.element.access.contains(.read) else { throw .permissionDenied }
            r.pointee.id = record(slot)
            store(slot.element, into: r)
        case ALSA_IOCTL_CTL_ELEM_WRITE:
            let r = try argument.pointer(snd_ctl_elem_value.self)
            let position = try find(r.pointee.id)
            let element = slots[position].element
            guard element.access.contains(.write) else { throw .permissionDenied }
            let values = try load(element, from: r)
            r.pointee.id = record(slots[position])
            // The kernel notifies every subscriber, the writer too, when the value changed.
            if values != element.values {
                slots[position].element.values = values
                notify(position, ALSA_CTL_EVENT_MASK_VALUE)
            }
        case ALSA_IOCTL_CTL_TLV_READ:
            let header = try argument.pointer(UInt32.self)
            let room = Int(header[1])
            guard room >= 8 else { throw .invalidArgument }
            guard let slot = slots.first(where: { $0.numericID == header[0] }) else { throw .noSuchFileOrDirectory }
            guard let tlv = slot.element.tlv, slot.element.access.contains(.tlvRead) else { throw .noSuchAddressOrDevice }
            guard tlv.count * 4 <= room else { throw .noMemory }
            for (i, word) in tlv.enumerated() { header[Int(ALSA_SIZEOF_CTL_TLV_HEADER) / 4 + i] = word }
        case ALSA_IOCTL_CTL_SUBSCRIBE_EVENTS:
            let r = try argument.pointer(Int32.self)
            switch r.pointee {
            case 0: queues[fd] = nil
            case 1: if queues[fd] == nil { queues[fd] = [] }
            default: r.pointee = queues[fd] == nil ? 0 : 1  // a query
            }
        default:
            throw .inappropriateIOCTLForDevice
        }
        return 0
    }

    /// read(2) on a control file: whole events while they fit.
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, nonBlocking: Bool) throws(Errno) -> Int {
        let size = Int(ALSA_SIZEOF_CTL_EVENT)
        guard buffer.count >= size else { throw .invalidArgument }
        guard var queue = queues[fd] else { throw .badFileDescriptorState }
        guard !queue.isEmpty else { throw .resourceTemporarilyUnavailable }
        var written = 0
        while !queue.isEmpty && written + size <= buffer.count {
            let next = queue.removeFirst()
            var event = snd_ctl_event()
            event.type = Int32(ALSA_CTL_EVENT_ELEM)
            event.data.elem.mask = next.mask
            event.data.elem.id = next.id
            buffer.baseAddress!.advanced(by: written).copyMemory(from: &event, byteCount: size)
            written += size
        }
        queues[fd] = queue
        return written
    }

    // MARK: plumbing

    /// snd_ctl_find_id: by numid when given, else by interface, device, subdevice, name and index.
    /// The element an id names, for the PCM core's own controls (channel maps); nil when none.
    func element(for id: snd_ctl_elem_id) -> SimulatedControlElement? {
        (try? find(id)).map { slots[$0].element }
    }

    /// The full id of the element an id names.
    func fullID(for id: snd_ctl_elem_id) -> snd_ctl_elem_id? {
        (try? find(id)).map { record(slots[$0]) }
    }

    private func find(_ id: snd_ctl_elem_id) throws(Errno) -> Int {
        let position: Int?
        if id.numid != 0 {
            position = slots.firstIndex { $0.numericID == id.numid }
        } else {
            var copy = id
            let name = withUnsafeBytes(of: &copy.name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            position = slots.firstIndex {
                $0.element.name == name && $0.element.interface.rawValue == Int(id.iface) && Int(id.index) == $0.element.index
                    && Int(id.device) == $0.element.device && Int(id.subdevice) == $0.element.subdevice
            }
        }
        guard let position else { throw .noSuchFileOrDirectory }
        return position
    }

    private func record(_ slot: Slot) -> snd_ctl_elem_id {
        var id = snd_ctl_elem_id()
        id.numid = slot.numericID
        id.iface = Int32(slot.element.interface.rawValue)
        id.index = UInt32(slot.element.index)
        id.device = UInt32(slot.element.device)
        id.subdevice = UInt32(slot.element.subdevice)
        withUnsafeMutableBytes(of: &id.name) { copyCString(slot.element.name, into: $0) }
        return id
    }

    private func fillInfo(_ r: UnsafeMutablePointer<snd_ctl_elem_info>, _ slot: Slot) {
        let element = slot.element
        let item = r.pointee.value.enumerated.item
        r.pointee = snd_ctl_elem_info()
        r.pointee.id = record(slot)
        r.pointee.access = element.access.rawValue
        r.pointee.count = UInt32(element.values.count)
        switch element.type {
        case .boolean:
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_BOOLEAN)
            r.pointee.value.integer.min = 0
            r.pointee.value.integer.max = 1
        case .integer(let minimum, let maximum, let step):
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_INTEGER)
            r.pointee.value.integer.min = minimum
            r.pointee.value.integer.max = maximum
            r.pointee.value.integer.step = step
        case .integer64(let minimum, let maximum, let step):
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_INTEGER64)
            r.pointee.value.integer64.min = Int64(minimum)
            r.pointee.value.integer64.max = Int64(maximum)
            r.pointee.value.integer64.step = Int64(step)
        case .enumerated(let items):
            // snd_ctl_enum_info: an item past the end names the last one.
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_ENUMERATED)
            r.pointee.value.enumerated.items = UInt32(items.count)
            let shown = min(Int(item), items.count - 1)
            r.pointee.value.enumerated.item = UInt32(shown)
            if shown >= 0 { withUnsafeMutableBytes(of: &r.pointee.value.enumerated.name) { copyCString(items[shown], into: $0) } }
        case .bytes:
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_BYTES)
        case .iec958:
            r.pointee.type = Int32(ALSA_CTL_ELEM_TYPE_IEC958)
        }
    }

    private func store(_ element: SimulatedControlElement, into r: UnsafeMutablePointer<snd_ctl_elem_value>) {
        for (i, v) in element.values.enumerated() {
            switch element.type {
            case .integer64: alsa_ctl_value_integers64(r)[i] = Int64(v)
            case .enumerated: alsa_ctl_value_items(r)[i] = UInt32(v)
            case .bytes, .iec958: alsa_ctl_value_bytes(r)[i] = UInt8(truncatingIfNeeded: v)
            default: alsa_ctl_value_integers(r)[i] = v
            }
        }
    }

    /// The values a write asks for; out of range is EINVAL (the kernel's input validation).
    private func load(_ element: SimulatedControlElement, from r: UnsafeMutablePointer<snd_ctl_elem_value>) throws(Errno) -> [Int] {
        let values: [Int] = (0..<element.values.count).map { i in
            switch element.type {
            case .integer64: Int(alsa_ctl_value_integers64(r)[i])
            case .enumerated: Int(alsa_ctl_value_items(r)[i])
            case .bytes, .iec958: Int(alsa_ctl_value_bytes(r)[i])
            default: alsa_ctl_value_integers(r)[i]
            }
        }
        let valid: Bool
        switch element.type {
        case .boolean: valid = values.allSatisfy { $0 == 0 || $0 == 1 }
        case .integer(let minimum, let maximum, _), .integer64(let minimum, let maximum, _):
            valid = values.allSatisfy { (minimum...maximum).contains($0) }
        case .enumerated(let items): valid = values.allSatisfy { items.indices.contains($0) }
        case .bytes, .iec958: valid = true
        }
        guard valid else { throw .invalidArgument }
        return values
    }

    private func notify(_ position: Int, _ mask: UInt32) {
        let slot = slots[position]
        let id = record(slot)
        for fd in queues.keys {
            if let pending = queues[fd]!.firstIndex(where: { $0.numericID == slot.numericID }) {
                // An unread event for the element takes the new change in (a removal replaces all).
                queues[fd]![pending].mask = mask == ALSA_CTL_EVENT_MASK_REMOVE ? mask : queues[fd]![pending].mask | mask
            } else {
                queues[fd]!.append((slot.numericID, id, mask))
            }
        }
        if !queues.isEmpty { wake() }
    }
}
