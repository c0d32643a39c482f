import AlsaSwift
import Foundation

/// What `alsa-midi -l` prints: the raw MIDI devices as `amidi -l` lists them, then every
/// sequencer client and port with its connections as `aconnect -l` does.
package struct MIDIListing: Codable, Equatable, Sendable {
    /// One raw MIDI device.
    package struct RawDevice: Codable, Equatable, Sendable {
        /// `hw:1,0`.
        package var name: String
        package var id: String
        package var description: String
        package var input: Bool
        package var output: Bool
        package var subdevices: Int
    }

    /// One sequencer port.
    package struct Port: Codable, Equatable, Sendable {
        /// `14:0`.
        package var address: String
        package var name: String
        package var connectedTo: [String]
        package var connectedFrom: [String]
    }

    /// One sequencer client.
    package struct Client: Codable, Equatable, Sendable {
        package var number: Int
        package var name: String
        package var kernel: Bool
        package var ports: [Port]
    }

    package var rawMIDI: [RawDevice]
    package var sequencer: [Client]
    /// Why the sequencer could not be listed (no /dev/snd/seq: snd-seq not loaded), if so.
    package var sequencerProblem: String?

    /// The listing of the machine behind `kernel` (without the client that lists it).
    package init(kernel: any KernelInterface) throws {
        rawMIDI = AudioDevices(kernel: kernel).midiDevices().map {
            RawDevice(name: $0.hardwareName, id: $0.id, description: $0.name, input: $0.directions.contains(.input),
                      output: $0.directions.contains(.output), subdevices: $0.subdevices.count)
        }
        do {
            let listing = try Sequencer(name: "alsa-midi", kernel: kernel)
            sequencer = try listing.clients().filter { $0.number != listing.client }.map { client in
                Client(number: client.number, name: client.name, kernel: client.isKernelClient, ports: client.ports.map {
                    Port(address: $0.address.description, name: $0.name, connectedTo: $0.connectedTo.map(\.description),
                         connectedFrom: $0.connectedFrom.map(\.description))
                })
            }
        } catch {
            sequencer = []
            sequencerProblem = "the sequencer cannot be listed: \(error)"
        }
    }

    /// The listing as amidi -l and aconnect -l print theirs.
    package var text: String {
        var lines = ["Dir Device    Name"]
        for device in rawMIDI {
            let direction = (device.input ? "I" : " ") + (device.output ? "O" : " ")
            lines.append("\(direction)  \(device.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(device.description)")
        }
        if let sequencerProblem { lines.append(sequencerProblem) }
        for client in sequencer {
            lines.append("client \(client.number): '\(client.name)' [type=\(client.kernel ? "kernel" : "user")]")
            for port in client.ports {
                let number = port.address.split(separator: ":").last.map(String.init) ?? port.address
                lines.append("    \(number) '\(port.name)'")
                if !port.connectedTo.isEmpty { lines.append("\tConnecting To: \(port.connectedTo.joined(separator: ", "))") }
                if !port.connectedFrom.isEmpty { lines.append("\tConnected From: \(port.connectedFrom.joined(separator: ", "))") }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The listing as one JSON object.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
