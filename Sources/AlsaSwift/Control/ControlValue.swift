import CAlsaKernel

/// The values of one element, one per channel (or per byte, for byte elements).
public enum ControlValue: Sendable, Equatable {
    /// The values of a boolean element (a switch): true is on.
    case booleans([Bool])
    /// Integer and 64-bit integer elements alike.
    case integers([Int])
    /// The chosen item of an enumerated element, by position in its item list.
    case items([Int])
    /// The bytes of a byte or IEC958 element.
    case bytes([UInt8])

    /// How many values it holds.
    public var count: Int {
        switch self {
        case .booleans(let v): v.count
        case .integers(let v): v.count
        case .items(let v): v.count
        case .bytes(let v): v.count
        }
    }
}

extension ControlValue: CustomStringConvertible {
    /// The values as amixer prints them, comma-separated: `on,off`, `27,27`, `item 2,2`, `bytes 0x01,0xff`.
    public var description: String {
        switch self {
        case .booleans(let v): v.map { $0 ? "on" : "off" }.joined(separator: ",")
        case .integers(let v): v.map(String.init).joined(separator: ",")
        case .items(let v): "item " + v.map(String.init).joined(separator: ",")
        case .bytes(let v): "bytes " + v.map { "0x" + String($0, radix: 16) }.joined(separator: ",")
        }
    }
}

extension ControlValue {
    /// The values of `element` in a record ELEM_READ filled in. The element's count was checked
    /// against the record's capacity when its info was read.
    init(_ record: inout snd_ctl_elem_value, of element: ControlElement) {
        let count = element.count
        switch element.type {
        case .boolean:
            let raw = alsa_ctl_value_integers(&record)!
            self = .booleans((0..<count).map { raw[$0] != 0 })
        case .integer:
            let raw = alsa_ctl_value_integers(&record)!
            self = .integers((0..<count).map { Int(raw[$0]) })
        case .integer64:
            let raw = alsa_ctl_value_integers64(&record)!
            self = .integers((0..<count).map { Int(raw[$0]) })
        case .enumerated:
            let raw = alsa_ctl_value_items(&record)!
            self = .items((0..<count).map { Int(raw[$0]) })
        case .bytes, .iec958:
            let raw = alsa_ctl_value_bytes(&record)!
            self = .bytes((0..<count).map { raw[$0] })
        }
    }

    /// Stores these values into `record` for ELEM_WRITE, refusing a value of the wrong kind, the
    /// wrong count or outside the element's range before the kernel sees it.
    func store(into record: inout snd_ctl_elem_value, for element: ControlElement) throws(AlsaError) {
        func refuse(_ why: String) -> AlsaError {
            AlsaError(.controlElementWrite, .invalidArgument, context: "\(element.id.name): \(why)")
        }
        guard count == element.count else { throw refuse("\(count) values for an element of \(element.count)") }
        switch (element.type, self) {
        case (.boolean, .booleans(let values)):
            let raw = alsa_ctl_value_integers(&record)!
            for (i, v) in values.enumerated() { raw[i] = v ? 1 : 0 }
        case (.integer(let minimum, let maximum, _), .integers(let values)):
            guard values.allSatisfy({ (minimum...maximum).contains($0) }) else {
                throw refuse("\(self) outside \(minimum)...\(maximum)")
            }
            let raw = alsa_ctl_value_integers(&record)!
            for (i, v) in values.enumerated() { raw[i] = v }
        case (.integer64(let minimum, let maximum, _), .integers(let values)):
            guard values.allSatisfy({ (minimum...maximum).contains($0) }) else {
                throw refuse("\(self) outside \(minimum)...\(maximum)")
            }
            let raw = alsa_ctl_value_integers64(&record)!
            for (i, v) in values.enumerated() { raw[i] = Int64(v) }
        case (.enumerated(let names), .items(let values)):
            guard values.allSatisfy({ names.indices.contains($0) }) else {
                throw refuse("\(self) not among its \(names.count) items (\(names.joined(separator: ", ")))")
            }
            let raw = alsa_ctl_value_items(&record)!
            for (i, v) in values.enumerated() { raw[i] = UInt32(v) }
        case (.bytes, .bytes(let values)), (.iec958, .bytes(let values)):
            let raw = alsa_ctl_value_bytes(&record)!
            for (i, v) in values.enumerated() { raw[i] = v }
        default:
            throw refuse("a value of \(self) for an element of type \(element.type)")
        }
    }
}
