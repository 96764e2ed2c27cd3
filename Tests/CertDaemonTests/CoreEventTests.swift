import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

@Suite("Daemon core: session events")
struct CoreEventTests {
    @Test("each acknowledged answer is an answerRecorded event with the count and nothing of the answer")
    func answerRecordedEvents() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "E1", candidates: ["c1", "c2"])
        let events = core.proctors.events(sessionId: "E1")
        var iterator = events.makeAsyncIterator()

        let first = try await CoreFixtures.start(core, session, "c1")
        let given = try await CoreFixtures.answer(core, first, candidateId: "c1", count: 3)
        let second = try await CoreFixtures.start(core, session, "c2")
        try await CoreFixtures.answer(core, second, candidateId: "c2", count: 1)

        var received: [SessionEvent] = []
        while received.filter({ $0.kind == .answerRecorded }).count < 4, let event = await iterator.next() {
            received.append(event)
        }
        let answers = received.filter { $0.kind == .answerRecorded }
        #expect(answers.map(\.candidateId) == ["c1", "c1", "c1", "c2"])
        #expect(answers.map(\.answersCount) == [1, 2, 3, 1])
        #expect(answers.allSatisfy { $0.sessionId == "E1" && $0.detail == nil })
        // Proctors do not see answers: nothing of the challenges or results in the events.
        let encoded = String(decoding: try JSONEncoder().encode(answers), as: UTF8.self)
        for answer in given { #expect(!encoded.contains(answer.challengeId)) }
        #expect(!encoded.contains("\"ok\"") && !encoded.contains("\"ko\""))
        // Sequence numbers keep increasing across kinds.
        #expect(received.map(\.sequence) == received.map(\.sequence).sorted())
        #expect(Set(received.map(\.sequence)).count == received.count)
        await core.shutdown()
    }

    @Test("with no subscriber, publishing builds and numbers nothing")
    func publishWithoutSubscribersIsANoOp() async throws {
        let hub = EventHub(bufferMax: 4)
        #expect(!hub.hasSubscribers)
        for _ in 0..<100 {
            hub.publish(atSeconds: 1, sessionId: "S", candidateId: "c", kind: .answerRecorded, answersCount: 1)
        }
        // Had those 100 events been numbered, the next would be 101.
        let stream = hub.subscribe(sessionId: "S")
        #expect(hub.hasSubscribers)
        hub.publish(atSeconds: 2, sessionId: "S", candidateId: "c", kind: .answerRecorded, answersCount: 2)
        var iterator = stream.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.sequence == 1)
        #expect(event.answersCount == 2)
        hub.finishAll()
        #expect(!hub.hasSubscribers)
    }

    @Test("a slow watcher keeps only the newest events (bounded buffer)")
    func slowWatcherIsBounded() async throws {
        let hub = EventHub(bufferMax: 4)
        let stream = hub.subscribe(sessionId: nil)
        for count in 1...10 {
            hub.publish(atSeconds: 0, sessionId: "S", candidateId: "c", kind: .answerRecorded, answersCount: count)
        }
        hub.finishAll()
        var counts: [Int] = []
        for await event in stream { counts.append(event.answersCount ?? -1) }
        #expect(counts == [7, 8, 9, 10])
        #expect(!hub.hasSubscribers)
    }
}
