import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

/// The time limit of a test (DESIGN §3.6: endedDueToDurationExceeded), on a manual clock.
@Suite("Daemon core: the nominal duration of a test")
struct CoreDurationTests {
    static let nominalSeconds: Double = 105 * 60

    @Test("a request once the duration has run out ends the test; it is scored at finalisation")
    func timeRunsOutMidTest() async throws {
        let clock = ManualClock()
        let path = CoreFixtures.temporaryStorePath()
        let core = try await CoreFixtures.open(path: path, clock: clock)
        let session = try await CoreFixtures.session(core, id: "D1", candidates: ["c1", "c2"])
        let events = core.proctors.events(sessionId: "D1")
        let c1 = try await CoreFixtures.start(core, session, "c1")
        var given = try await CoreFixtures.answer(core, c1, candidateId: "c1", count: 3)

        // One second before the limit, answers are still taken.
        clock.advance(by: Self.nominalSeconds - 1)
        given += try await CoreFixtures.answer(core, c1, candidateId: "c1", count: 1)
        let c2 = try await CoreFixtures.start(core, session, "c2")  // starts late: its own clock
        let pending = try #require(try await core.candidates.next(assessmentId: c1.assessmentId, token: c1.token))

        clock.advance(by: 1)
        let refused = await daemonError {
            _ = try await core.candidates.answer(
                assessmentId: c1.assessmentId, token: c1.token,
                AnswerRequest(challengeId: pending.challengeId, result: .ok))
        }
        #expect(refused?.code == .testDurationExceeded)
        #expect(refused?.httpStatus == 409)
        let again = await daemonError { _ = try await core.candidates.next(assessmentId: c1.assessmentId, token: c1.token) }
        #expect(again?.code == .testDurationExceeded)
        try await CoreFixtures.answer(core, c2, candidateId: "c2", count: 2)

        var detail = try await core.proctors.showSession("D1")
        #expect(detail.candidates.map(\.status) == ["endedDueToDurationExceeded", "started"])
        #expect(detail.candidates.first?.answersCount == 4)
        #expect(await core.proctors.stats().activeCandidates == 1)
        #expect(try StoreReader(path: path).recover().candidates.map(\.status) == ["endedDueToDurationExceeded", "started"])
        var iterator = events.makeAsyncIterator()
        var kinds: [SessionEventKind] = []
        while !kinds.contains(.candidateEndedDueToDurationExceeded), let event = await iterator.next() {
            kinds.append(event.kind)
            if event.kind == .candidateEndedDueToDurationExceeded { #expect(event.candidateId == "c1") }
        }

        // Like any unfinished test, it needs an abort reason at finalisation, and is scored then.
        let missing = await daemonError { _ = try await core.proctors.finalize(sessionId: "D1", abortReasons: ["c2": .candidate]) }
        #expect(missing?.code == .finalizationMissingAbortReason)
        #expect(missing?.message.contains("c1") == true)
        let summary = try await core.proctors.finalize(sessionId: "D1", abortReasons: ["c1": .technical, "c2": .candidate])
        #expect(summary.scoredCount == 2)
        detail = try await core.proctors.showSession("D1")
        #expect(detail.candidates.first?.status == "endedDueToDurationExceeded")
        #expect(detail.candidates.first?.abortReason == .technical)

        let stored = try #require(try StoreReader(path: path).result(assessmentId: c1.assessmentId))
        let expected = try Scoring.score(
            answers: given, abortReason: .technical, validatedAlertChallengeIds: [], bank: CoreFixtures.bank,
            version: BuiltInVersions.coreV3, configuration: .default)
        #expect(stored.answersCount == 4)
        #expect(stored.pixScore == expected.pixScore)
        #expect(stored.capacity == expected.capacity)
        await core.shutdown()
    }

    @Test("a resume after the duration is refused, at authorisation and at start")
    func resumeAfterTheDurationIsRefused() async throws {
        let clock = ManualClock()
        let core = try await CoreFixtures.open(clock: clock)
        let session = try await CoreFixtures.session(core, id: "D2", candidates: ["c1", "c2"])
        let c1 = try await CoreFixtures.start(core, session, "c1")
        try await CoreFixtures.answer(core, c1, candidateId: "c1", count: 2)
        _ = try await CoreFixtures.start(core, session, "c2")

        // c1 is interrupted; by the time the invigilator lets them resume, the time is up.
        clock.advance(by: Self.nominalSeconds + 60)
        let authorisation = await daemonError { try await core.proctors.authorize(sessionId: "D2", candidateId: "c1") }
        #expect(authorisation?.code == .testDurationExceeded)
        // c2 never heard of it either: a start is refused for the time before anything else.
        let start = await daemonError {
            _ = try await core.candidates.start(sessionId: "D2", candidateId: "c2", accessCode: session.accessCode)
        }
        #expect(start?.code == .testDurationExceeded)
        let detail = try await core.proctors.showSession("D2")
        #expect(detail.candidates.map(\.status) == ["endedDueToDurationExceeded", "endedDueToDurationExceeded"])
        #expect(await core.proctors.stats().activeCandidates == 0)
        await core.shutdown()
    }

    @Test("a longer duration (extra time) is kept across a restart, and so is a test ended by it")
    func extraTimeSurvivesARestart() async throws {
        let clock = ManualClock()
        let path = CoreFixtures.temporaryStorePath()
        var core = try await CoreFixtures.open(path: path, clock: clock)
        let extraSeconds = Self.nominalSeconds + 35 * 60
        let created = try await core.proctors.createSession(
            CreateSessionRequest(sessionId: "D3", name: "Tiers temps", nominalDurationSeconds: extraSeconds))
        try await core.proctors.enrol(sessionId: "D3", candidateId: "c1", needsAccessibility: true, locale: "fr-fr")
        let first = try await CoreFixtures.start(core, created, "c1")
        try await CoreFixtures.answer(core, first, candidateId: "c1", count: 1)
        await core.shutdown()

        core = try await CoreFixtures.open(path: path, clock: clock)
        #expect(try await core.proctors.showSession("D3").nominalDurationSeconds == extraSeconds)
        clock.advance(by: Self.nominalSeconds + 5 * 60)  // past 105 minutes, within the session's 140
        let resumed = try await CoreFixtures.start(core, created, "c1")
        try await CoreFixtures.answer(core, resumed, candidateId: "c1", count: 1)
        clock.advance(by: 30 * 60)
        let refused = await daemonError { _ = try await core.candidates.next(assessmentId: resumed.assessmentId, token: resumed.token) }
        #expect(refused?.code == .testDurationExceeded)
        await core.shutdown()

        core = try await CoreFixtures.open(path: path, clock: clock)
        #expect(try await core.proctors.showSession("D3").candidates.first?.status == "endedDueToDurationExceeded")
        let authorisation = await daemonError { try await core.proctors.authorize(sessionId: "D3", candidateId: "c1") }
        #expect(authorisation?.code == .testDurationExceeded)
        await core.shutdown()
    }

    @Test("a session's duration must be positive and at most 24 hours", arguments: [0.0, -60, 24 * 3600 + 1, .infinity])
    func invalidDurations(_ seconds: Double) async throws {
        let core = try await CoreFixtures.open()
        let error = await daemonError {
            _ = try await core.proctors.createSession(CreateSessionRequest(sessionId: "D4", nominalDurationSeconds: seconds))
        }
        #expect(error?.code == .invalidDuration)
        #expect(error?.httpStatus == 400)
        await core.shutdown()
    }
}
