import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The rig's QEMU machine monitor, reached from inside the guest: `Rig/kernel-test` gives the
/// guest a virtio serial port named `org.alsaswift.qmp` and joins it on the host to QEMU's QMP
/// monitor, so that a test can plug devices in and pull them out (`device_add`, `device_del`)
/// while it watches what the guest's kernel does.
final class MachineMonitor {
    static let portName = "org.alsaswift.qmp"

    /// The port's device node, when the guest has one.
    static let portPath: String? = {
        let ports = "/sys/class/virtio-ports"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: ports)) ?? []
        return entries.first { entry in
            (try? String(contentsOfFile: "\(ports)/\(entry)/name", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == portName
        }.map { "/dev/\($0)" }
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    private var pending = [UInt8]()
    /// QMP events seen so far (DEVICE_DELETED...), one JSON line each.
    private(set) var events: [String] = []

    init() throws {
        let path = try #require(Self.portPath, "no virtio port named \(Self.portName)")
        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "open \(path): errno \(errno)") }
        // A fresh monitor greets and wants capabilities negotiated once; an earlier test in this
        // boot may have done it already, which QMP answers with an error that changes nothing.
        _ = try? execute("qmp_capabilities")
    }

    deinit { close(fd) }

    /// Sends one QMP command and waits (5 s at most) for its answer; throws on an error answer.
    @discardableResult
    func execute(_ command: String, _ arguments: [String: String] = [:]) throws -> [String: Any] {
        var message: [String: Any] = ["execute": command]
        if !arguments.isEmpty { message["arguments"] = arguments }
        var line = try JSONSerialization.data(withJSONObject: message)
        line.append(0x0A)
        try line.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = write(fd, bytes.baseAddress! + sent, bytes.count - sent)
                if n < 0 && errno == EAGAIN { try waitFor(POLLOUT); continue }
                guard n > 0 else { throw Failure(description: "write to the monitor: errno \(errno)") }
                sent += n
            }
        }
        while true {
            let answer = try nextMessage()
            if answer["event"] != nil || answer["QMP"] != nil { continue }
            if let error = answer["error"] as? [String: Any] {
                throw Failure(description: "\(command): \(error["desc"] ?? error)")
            }
            return answer
        }
    }

    /// The next JSON object the monitor sends; events are also kept in `events`.
    private func nextMessage() throws -> [String: Any] {
        while true {
            if let end = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<end])
                pending.removeSubrange(...end)
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
                if object["event"] != nil { events.append(String(decoding: line, as: UTF8.self)) }
                return object
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EAGAIN {
                try waitFor(POLLIN)
            } else if n <= 0 {
                throw Failure(description: "read from the monitor: errno \(errno)")
            } else {
                pending += chunk[..<n]
            }
        }
    }

    private func waitFor(_ event: Int32) throws {
        var descriptor = pollfd(fd: fd, events: Int16(event), revents: 0)
        guard poll(&descriptor, 1, 5000) == 1 else { throw Failure(description: "the monitor did not answer within 5 s") }
    }
}
