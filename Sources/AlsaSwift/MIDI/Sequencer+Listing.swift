import CAlsaKernel

/// The listing of every client and port with their connections, as `aconnect -l` shows it, and
/// the lookup of a port by name.
extension Sequencer {
    /// Every client, in order, with its ports and their connections.
    public func clients() throws(AlsaError) -> [SequencerClientInfo] {
        var clients: [SequencerClientInfo] = []
        var info = alsa_seq_client_info()
        info.client = -1
        while true {
            do {
                try connection.ioctl(.sequencerClientInfo, ALSA_IOCTL_SEQ_QUERY_NEXT_CLIENT, &info)
            } catch {
                if error.errno == .noSuchFileOrDirectory { return clients }
                throw error
            }
            // A misbehaving answer (not increasing) must not loop forever.
            guard clients.last.map({ Int(info.client) > $0.number }) ?? true else { return clients }
            var client = SequencerClientInfo(number: Int(info.client), name: CString.decode(info.name),
                                             isKernelClient: info.type == Int32(ALSA_SEQ_KERNEL_CLIENT),
                                             lostEvents: Int(info.event_lost), ports: [])
            do throws(AlsaError) {
                client.ports = try ports(of: client.number)
            } catch {
                // A client that left while it was being listed has no ports to show.
                guard error.errno == .noSuchAddressOrDevice else { throw error }
            }
            clients.append(client)
        }
    }

    /// One port, with its connections.
    public func port(_ address: SequencerAddress) throws(AlsaError) -> SequencerPortInfo {
        var info = alsa_seq_port_info()
        info.addr = try address.record(.sequencerPortInfo)
        try connection.ioctl(.sequencerPortInfo, ALSA_IOCTL_SEQ_GET_PORT_INFO, &info)
        return try port(from: info)
    }

    private func ports(of client: Int) throws(AlsaError) -> [SequencerPortInfo] {
        var ports: [SequencerPortInfo] = []
        var info = alsa_seq_port_info()
        info.addr = alsa_seq_addr(client: UInt8(truncatingIfNeeded: client), port: 255)  // the kernel starts after it: at 0
        while true {
            do {
                try connection.ioctl(.sequencerPortInfo, ALSA_IOCTL_SEQ_QUERY_NEXT_PORT, &info)
            } catch {
                if error.errno == .noSuchFileOrDirectory { return ports }
                throw error
            }
            guard ports.last.map({ Int(info.addr.port) > $0.address.port }) ?? true else { return ports }
            ports.append(try port(from: info))
            if info.addr.port == 255 { return ports }
        }
    }

    private func port(from info: alsa_seq_port_info) throws(AlsaError) -> SequencerPortInfo {
        let address = SequencerAddress(info.addr)
        return SequencerPortInfo(address: address, name: CString.decode(info.name),
                                 capabilities: SequencerPortCapabilities(rawValue: Int(info.capability)),
                                 types: SequencerPortTypes(rawValue: Int(info.type)), midiChannels: Int(info.midi_channels),
                                 connectedTo: try connections(of: address, reading: true),
                                 connectedFrom: try connections(of: address, reading: false))
    }

    /// The ports `address` sends to (`reading`: its subscribers) or receives from (QUERY_SUBS).
    private func connections(of address: SequencerAddress, reading: Bool) throws(AlsaError) -> [SequencerAddress] {
        var found: [SequencerAddress] = []
        var query = alsa_seq_query_subs()
        query.root = try address.record(.sequencerQuerySubscriptions)
        query.type = Int32(reading ? ALSA_SEQ_QUERY_SUBS_READ : ALSA_SEQ_QUERY_SUBS_WRITE)
        // At most as many as there are ports on a machine: a misbehaving count cannot loop.
        for index in 0..<(192 * 254) {
            query.index = Int32(index)
            do {
                try connection.ioctl(.sequencerQuerySubscriptions, ALSA_IOCTL_SEQ_QUERY_SUBS, &query)
            } catch {
                if error.errno == .noSuchFileOrDirectory || error.errno == .noSuchAddressOrDevice { break }
                throw error
            }
            found.append(SequencerAddress(query.addr))
            if index + 1 >= Int(query.num_subs) { break }
        }
        return found
    }

    /// The port `text` names, as aconnect and aseqdump take it: `client:port` by numbers
    /// (`14:0`), or by the client's name (`Midi Through:0`, or `Midi Through` for its port 0).
    /// A name matches a client's whole name first, then the beginning of one.
    public func address(of text: String) throws(AlsaError) -> SequencerAddress {
        if let numeric = try? SequencerAddress(parsing: text) { return numeric }
        var name = Substring(text)
        var port = 0
        if let colon = text.lastIndex(of: ":"), let number = Int(text[text.index(after: colon)...]) {
            name = text[..<colon]
            port = number
        }
        let all = try clients()
        guard let client = all.first(where: { $0.name == name }) ?? all.first(where: { $0.name.hasPrefix(name) && !name.isEmpty }) else {
            throw AlsaError(.sequencerClientInfo, .noSuchFileOrDirectory, context: "no sequencer client is named \(name)")
        }
        let address = SequencerAddress(client: client.number, port: port)
        try address.checked(.sequencerPortInfo)
        return address
    }
}
