import Testing
@testable import AlsaSwift

@Suite("PCM names")
struct PCMNameTests {
    @Test("hw: names in every spelling address one kernel PCM")
    func hardwareNames() throws {
        #expect(try PCMName(parsing: "hw:0") == .hardware(card: .index(0), device: 0, subdevice: nil))
        #expect(try PCMName(parsing: "hw:1,3") == .hardware(card: .index(1), device: 3, subdevice: nil))
        #expect(try PCMName(parsing: "hw:1,3,2") == .hardware(card: .index(1), device: 3, subdevice: 2))
        #expect(try PCMName(parsing: "hw:1,0,-1") == .hardware(card: .index(1), device: 0, subdevice: nil))
        #expect(try PCMName(parsing: "hw:Dummy,1") == .hardware(card: .id("Dummy"), device: 1, subdevice: nil))
        #expect(try PCMName(parsing: "hw:CARD=Loopback,DEV=1,SUBDEV=0") == .hardware(card: .id("Loopback"), device: 1, subdevice: 0))
        #expect(try PCMName(parsing: "hw:DEV=2,CARD=0") == .hardware(card: .index(0), device: 2, subdevice: nil))
        #expect(try PCMName(parsing: "hw:CARD=\"My Card\"") == .hardware(card: .id("My Card"), device: 0, subdevice: nil))
    }

    @Test("every other name belongs to alsa-lib", arguments: ["default", "plughw:1,0", "dmix", "pulse", "null", "front:CARD=0", "hw", "myasoundrc_pcm"])
    func libraryNames(name: String) throws {
        #expect(try PCMName(parsing: name) == .library(name))
    }

    @Test("malformed hw: names are refused with the reason", arguments: ["hw:", "hw:0,x", "hw:0,0,0,0", "hw:-1", "hw:0,-2", "hw:CARD=0,FOO=1", "hw:0,0,y"])
    func malformed(name: String) {
        let error = #expect(throws: AlsaError.self) { try PCMName(parsing: name) }
        #expect(error?.operation == .open && error?.kind == .invalidArgument)
        #expect(error?.context?.contains(name) == true)
    }
}
