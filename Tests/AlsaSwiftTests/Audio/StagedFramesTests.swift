import Testing
@testable import AlsaSwift

/// The staging both resamplers keep their waiting frames in (`StagedFrames`): written at the end,
/// taken from the front, the rest moved to the front; at its edges, and with one channel or more.
@Suite("Staged frames")
struct StagedFramesTests {
    /// Frame `frame`'s sample for channel `channel`: distinct everywhere, so a frame in the wrong
    /// place or a channel swapped shows.
    static func sample(_ frame: Int, _ channel: Int) -> Float { Float(frame * 10 + channel + 1) }

    /// Writes frames `frames` (by `sample`) behind those staged and commits them.
    static func append(_ staging: StagedFrames, _ frames: Range<Int>) {
        let space = staging.space(frames.count)
        for (index, frame) in frames.enumerated() {
            for channel in 0..<staging.channelCount { space[index * staging.channelCount + channel] = sample(frame, channel) }
        }
        staging.commit(frames.count)
    }

    /// What `frames` staged in order must read as.
    static func samples(_ frames: Range<Int>, channels: Int) -> [Float] {
        frames.flatMap { frame in (0..<channels).map { sample(frame, $0) } }
    }

    @Test("a new staging is empty, all of it room, and silent", arguments: [1, 2, 3])
    func empty(channels: Int) {
        let staging = StagedFrames(capacity: 8, channelCount: channels)
        #expect(staging.count == 0)
        #expect(staging.room == 8)
        #expect(staging.samples.isEmpty)
        #expect(staging.first(0).isEmpty)
        #expect(staging.space(8).allSatisfy { $0 == 0 })
        staging.consume(0)
        #expect(staging.count == 0)
    }

    @Test("appended frames read back in order, and the count and room follow", arguments: [1, 2, 5])
    func append(channels: Int) {
        let staging = StagedFrames(capacity: 8, channelCount: channels)
        Self.append(staging, 0..<3)
        Self.append(staging, 3..<5)
        #expect(staging.count == 5)
        #expect(staging.room == 3)
        #expect(Array(staging.samples) == Self.samples(0..<5, channels: channels))
        #expect(Array(staging.first(2)) == Self.samples(0..<2, channels: channels))
        // Room handed out but not committed is not staged.
        _ = staging.space(3)
        #expect(staging.count == 5)
    }

    @Test("filled exactly to capacity: no room is left, an empty append still works", arguments: [1, 2])
    func exactlyFull(channels: Int) {
        let staging = StagedFrames(capacity: 6, channelCount: channels)
        Self.append(staging, 0..<6)
        #expect(staging.count == 6)
        #expect(staging.room == 0)
        #expect(staging.space(0).isEmpty)
        staging.commit(0)
        #expect(Array(staging.samples) == Self.samples(0..<6, channels: channels))
    }

    @Test("consuming moves what stays to the front (also when more stays than goes), consuming all empties it",
          arguments: [1, 2, 3])
    func consume(channels: Int) {
        let staging = StagedFrames(capacity: 8, channelCount: channels)
        Self.append(staging, 0..<8)
        // Seven frames stay and one goes: the old and new places overlap.
        staging.consume(1)
        #expect(Array(staging.samples) == Self.samples(1..<8, channels: channels))
        staging.consume(4)
        #expect(staging.count == 3)
        #expect(staging.room == 5)
        #expect(Array(staging.samples) == Self.samples(5..<8, channels: channels))
        // What is appended next stands behind the frames that stayed.
        Self.append(staging, 8..<10)
        #expect(Array(staging.samples) == Self.samples(5..<10, channels: channels))
        // Consuming all empties it; the next append starts at the front.
        staging.consume(5)
        #expect(staging.count == 0)
        #expect(staging.room == 8)
        #expect(staging.samples.isEmpty)
        Self.append(staging, 10..<11)
        #expect(Array(staging.samples) == Self.samples(10..<11, channels: channels))
    }

    @Test("room at an offset behind the staged frames: a read in pieces, committed as one", arguments: [1, 2])
    func spaceAtOffset(channels: Int) {
        let staging = StagedFrames(capacity: 8, channelCount: channels)
        Self.append(staging, 0..<2)
        // The second piece is written first: each lands at its own offset.
        let second = staging.space(3, at: 2)
        let first = staging.space(2)
        for frame in 0..<3 { for channel in 0..<channels { second[frame * channels + channel] = Self.sample(4 + frame, channel) } }
        for frame in 0..<2 { for channel in 0..<channels { first[frame * channels + channel] = Self.sample(2 + frame, channel) } }
        staging.commit(5)
        #expect(Array(staging.samples) == Self.samples(0..<7, channels: channels))
    }

    @Test("clear drops every frame; silence is appended as zeros over what was there before", arguments: [1, 2])
    func clearAndSilence(channels: Int) {
        let staging = StagedFrames(capacity: 6, channelCount: channels)
        Self.append(staging, 0..<6)
        staging.clear()
        #expect(staging.count == 0)
        #expect(staging.room == 6)
        staging.appendSilence(2)
        Self.append(staging, 2..<4)
        #expect(Array(staging.samples) == Array(repeating: 0, count: 2 * channels) + Self.samples(2..<4, channels: channels))
        staging.appendSilence(0)
        #expect(staging.count == 4)
    }

    /// A caller's defect, one frame past an edge, on a staging of 4 frames with 3 staged.
    enum Misuse: String, Codable, Sendable, CaseIterable {
        case consumeMoreThanStaged, commitBeyondRoom, spaceBeyondRoom, firstMoreThanStaged

        func perform() {
            let staging = StagedFrames(capacity: 4, channelCount: 2)
            staging.appendSilence(3)
            switch self {
            case .consumeMoreThanStaged: staging.consume(4)
            case .commitBeyondRoom: staging.commit(2)
            case .spaceBeyondRoom: _ = staging.space(1, at: 1)
            case .firstMoreThanStaged: _ = staging.first(4)
            }
        }

        /// What the precondition says: the process stopped at it, not at some later trap.
        var message: String {
            switch self {
            case .consumeMoreThanStaged: "4 frames consumed of 3 staged"
            case .commitBeyondRoom: "2 frames committed with 1 free"
            case .spaceBeyondRoom: "1 frames at 1 asked of 1 free"
            case .firstMoreThanStaged: "4 frames asked of 3 staged"
            }
        }
    }

    /// Clamping would lose or invent frames without a word; the caller's defect stops here instead.
    @Test("a step past an edge (consuming more than is staged, room beyond the capacity) stops at a precondition",
          arguments: Misuse.allCases)
    func pastAnEdge(misuse: Misuse) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent], "\(misuse)") { [misuse] in
            misuse.perform()
        }
        let said = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(said.contains(misuse.message), "\(said)")
    }
}
