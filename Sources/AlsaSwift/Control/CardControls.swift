import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A card's control elements (mixer volumes, switches, routing choices), read and written through
/// its control device `/dev/snd/controlC<card>`. The device stays open while this object lives.
///
///     let controls = try CardControls(card: 0)
///     for element in try controls.elements() { print(element.id.name) }
///     let master = try controls.element(named: "Master Playback Volume")
///     try controls.setValue(.integers([40, 40]), of: master)
public final class CardControls {
    /// The card's index.
    public let card: Int
    let kernel: any KernelInterface
    private let file: DeviceFile

    /// Largest enumerated item list taken from a driver: a misbehaving one must not make us ask
    /// for billions of names.
    static let largestItemCount = 4096
    /// Room for an element's TLV data (alsa-lib reads 4096 bytes too).
    static let tlvCapacityWords = 1024

    /// Opens the control device of card `card` (`/dev/snd/controlC<card>`).
    public init(card: Int, kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        self.card = card
        self.kernel = kernel
        let path = ControlFile.path(card: card)
        do {
            file = DeviceFile(kernel: kernel, fd: try kernel.open(path, flags: O_RDWR | O_CLOEXEC))
        } catch {
            throw AlsaError(.open, error, context: path)
        }
    }

    deinit { try? file.close() }

    /// Every element of the card, in the kernel's order.
    public func elements() throws(AlsaError) -> [ControlElement] {
        try elementIDs().map { (id) throws(AlsaError) -> ControlElement in try element(id) }
    }

    /// The ids of every element (ELEM_LIST), without their details.
    public func elementIDs() throws(AlsaError) -> [ControlElementID] {
        var list = snd_ctl_elem_list()
        try file.ioctl(.controlElementList, ALSA_IOCTL_CTL_ELEM_LIST, &list)
        let count = Int(list.count)
        guard count > 0 else { return [] }
        let ids = UnsafeMutablePointer<snd_ctl_elem_id>.allocate(capacity: count)
        defer { ids.deallocate() }
        ids.initialize(repeating: snd_ctl_elem_id(), count: count)
        list = snd_ctl_elem_list()
        list.space = UInt32(count)
        list.pids = ids
        try file.ioctl(.controlElementList, ALSA_IOCTL_CTL_ELEM_LIST, &list)
        // Elements added meanwhile are simply not listed; never read past what was given.
        let used = Int(list.used)
        guard used <= count else {
            throw AlsaError(.controlElementList, .badMessage, context: "\(used) ids in room for \(count)")
        }
        return try (0..<used).map { (i) throws(AlsaError) -> ControlElementID in
            try ControlElementID(ids[i], operation: .controlElementList)
        }
    }

    /// The element with this name (and index and interface).
    public func element(named name: String, index: Int = 0, interface: ControlInterface = .mixer) throws(AlsaError) -> ControlElement {
        try element(ControlElementID(interface: interface, name: name, index: index))
    }

    /// ELEM_INFO: what the element is, with its full id as the kernel knows it.
    public func element(_ id: ControlElementID) throws(AlsaError) -> ControlElement {
        var info = snd_ctl_elem_info()
        info.id = try id.record(operation: .controlElementInfo)
        do {
            try file.ioctl(.controlElementInfo, ALSA_IOCTL_CTL_ELEM_INFO, &info)
        } catch {
            // The kernel answers ENOENT for a name no element has: the error names what was asked.
            throw AlsaError(error.operation, error.errno, context: error.context ?? "\(id)")
        }
        let fullID = try ControlElementID(info.id, operation: .controlElementInfo)
        func malformed(_ why: String) -> AlsaError {
            AlsaError(.controlElementInfo, .badMessage, context: "\(fullID.name): \(why)")
        }
        let count = Int(info.count)
        let type: ControlElementType
        let capacity: UInt32
        switch info.type {
        case Int32(ALSA_CTL_ELEM_TYPE_BOOLEAN):
            type = .boolean
            capacity = ALSA_CTL_VALUE_MAX_INTEGERS
        case Int32(ALSA_CTL_ELEM_TYPE_INTEGER):
            let range = info.value.integer
            guard range.min <= range.max, range.step >= 0 else { throw malformed("range \(range.min)...\(range.max) step \(range.step)") }
            type = .integer(minimum: range.min, maximum: range.max, step: range.step)
            capacity = ALSA_CTL_VALUE_MAX_INTEGERS
        case Int32(ALSA_CTL_ELEM_TYPE_INTEGER64):
            let range = info.value.integer64
            guard range.min <= range.max, range.step >= 0 else { throw malformed("range \(range.min)...\(range.max) step \(range.step)") }
            type = .integer64(minimum: Int(range.min), maximum: Int(range.max), step: Int(range.step))
            capacity = ALSA_CTL_VALUE_MAX_INTEGERS64
        case Int32(ALSA_CTL_ELEM_TYPE_ENUMERATED):
            let items = Int(info.value.enumerated.items)
            guard items <= Self.largestItemCount else { throw malformed("\(items) items") }
            type = .enumerated(items: try itemNames(of: info, count: items))
            capacity = ALSA_CTL_VALUE_MAX_ITEMS
        case Int32(ALSA_CTL_ELEM_TYPE_BYTES):
            type = .bytes
            capacity = ALSA_CTL_VALUE_MAX_BYTES
        case Int32(ALSA_CTL_ELEM_TYPE_IEC958):
            type = .iec958
            capacity = UInt32(MemoryLayout<snd_aes_iec958>.size)
        default:
            throw malformed("type \(info.type)")
        }
        guard count <= Int(capacity) else { throw malformed("\(count) values, more than a value record holds") }
        return ControlElement(id: fullID, type: type, access: ControlAccess(rawValue: info.access), count: count)
    }

    /// The item names of an enumerated element, one ELEM_INFO each.
    private func itemNames(of info: snd_ctl_elem_info, count: Int) throws(AlsaError) -> [String] {
        var query = info
        return try (0..<count).map { (item) throws(AlsaError) -> String in
            query.value.enumerated.item = UInt32(item)
            try file.ioctl(.controlElementInfo, ALSA_IOCTL_CTL_ELEM_INFO, &query)
            return CString.decode(query.value.enumerated.name)
        }
    }

    /// ELEM_READ: the element's current values.
    public func value(of element: ControlElement) throws(AlsaError) -> ControlValue {
        guard element.access.contains(.read) else {
            throw AlsaError(.controlElementRead, .permissionDenied, context: "\(element.id.name) is not readable")
        }
        var record = snd_ctl_elem_value()
        record.id = try element.id.record(operation: .controlElementRead)
        try file.ioctl(.controlElementRead, ALSA_IOCTL_CTL_ELEM_READ, &record)
        return ControlValue(&record, of: element)
    }

    /// ELEM_WRITE: sets every value of the element. Values outside its range are refused here
    /// rather than clamped, so that a caller's mistake does not become a different volume.
    public func setValue(_ value: ControlValue, of element: ControlElement) throws(AlsaError) {
        var record = snd_ctl_elem_value()
        record.id = try element.id.record(operation: .controlElementWrite)
        try value.store(into: &record, for: element)
        try file.ioctl(.controlElementWrite, ALSA_IOCTL_CTL_ELEM_WRITE, &record)
    }

    /// ELEM_WRITE of `value` as the first integer of `record`, which holds the element's id (from
    /// `ControlElementID.record`): a write that allocates nothing, for the audio path (a duplex
    /// stream moving a loopback card's rate shift).
    func writeInteger(_ value: Int, into record: inout snd_ctl_elem_value) throws(AlsaError) {
        alsa_ctl_value_integers(&record)[0] = value
        try file.ioctl(.controlElementWrite, ALSA_IOCTL_CTL_ELEM_WRITE, &record)
    }

    /// The element's TLV words (TLV_READ); nil when it has none.
    public func tlv(of element: ControlElement) throws(AlsaError) -> [UInt32]? {
        guard element.access.contains(.tlvRead) else { return nil }
        let headerWords = Int(ALSA_SIZEOF_CTL_TLV_HEADER) / 4
        let words = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: headerWords + Self.tlvCapacityWords)
        defer { words.deallocate() }
        words.initialize(repeating: 0)
        guard let numid = UInt32(exactly: element.id.numericID) else {
            throw AlsaError(.controlTLVRead, .invalidArgument, context: "numid \(element.id.numericID)")
        }
        words[0] = numid
        words[1] = UInt32(Self.tlvCapacityWords * 4)
        try file.ioctl(.controlTLVRead, ALSA_IOCTL_CTL_TLV_READ, UnsafeMutableRawPointer(words.baseAddress))
        let tlv = words[headerWords...]
        // The entry's own length must lie within what the kernel had room to write.
        let length = (Int(tlv[tlv.startIndex + 1]) + 3) / 4
        guard length <= Self.tlvCapacityWords - 2 else {
            throw AlsaError(.controlTLVRead, .badMessage, context: "\(element.id.name): TLV of \(length) words")
        }
        return Array(tlv[tlv.startIndex..<(tlv.startIndex + 2 + length)])
    }

    /// The element's dB scale, from its TLV; nil when it has none.
    public func decibelScale(of element: ControlElement) throws(AlsaError) -> DecibelScale? {
        guard case .integer = element.type, let words = try tlv(of: element) else { return nil }
        return try DecibelScale(tlv: words)
    }

    /// Changes to the card's elements made by any process, from now on. See `ControlEvents`.
    public func events() throws(AlsaError) -> ControlEvents {
        try ControlEvents(card: card, kernel: kernel)
    }
}
