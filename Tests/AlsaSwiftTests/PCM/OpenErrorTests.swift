import AlsaSimulation
import AlsaSwift
import SystemPackage
import Testing

/// Why an open failed, in words an app can show: no such device and no permission have kinds of
/// their own, with what usually fixes them.
@Suite struct OpenErrorTests {
    @Test func aMissingDeviceIsItsOwnKind() {
        let error = #expect(throws: AlsaError.self) {
            try KernelPCM(card: 5, device: 0, direction: .playback, kernel: makeKernel())
        }
        #expect(error?.operation == .open)
        #expect(error?.kind == .noSuchDevice)
        #expect(error?.description.contains("no such sound device") == true)
    }

    @Test(arguments: [Errno.permissionDenied, .notPermitted])
    func noPermissionIsItsOwnKindAndNamesTheAudioGroup(errno: Errno) {
        let kernel = makeKernel()
        kernel.inject(errno, into: .open)
        let error = #expect(throws: AlsaError.self) { try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel) }
        #expect(error?.kind == .permissionDenied)
        #expect(error?.remedy?.contains("audio group") == true)
        #expect(error?.description.contains("usermod -aG audio") == true)
    }

    @Test func otherErrorsCarryNoRemedy() {
        #expect(AlsaError(.open, .resourceBusy).remedy == nil)
        #expect(AlsaError(.hwParams, .noSuchFileOrDirectory).remedy == nil, "ENOENT outside open is no missing device")
    }
}
