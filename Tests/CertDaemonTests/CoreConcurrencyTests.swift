import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

@Suite("Daemon core: concurrent candidates and proctors")
struct CoreConcurrencyTests {
    @Test("30 candidates of one session answer concurrently; each result is the score of its own answers")
    func thirtyCandidates() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await CoreFixtures.open(path: path, engines: 3)
        let ids = (1...30).map { "cand-\($0)" }
        let session = try await CoreFixtures.session(core, id: "K1", candidates: ids)
        for id in ids { try await core.proctors.authorize(sessionId: "K1", candidateId: id) }

        let runs = try await withThrowingTaskGroup(of: (String, String, [Answer]).self) { group in
            for id in ids {
                group.addTask {
                    let started = try await core.candidates.start(
                        sessionId: "K1", candidateId: id, accessCode: session.accessCode)
                    let answers = try await CoreFixtures.answer(core, started, candidateId: id)
                    return (id, started.assessmentId, answers)
                }
            }
            var out: [(String, String, [Answer])] = []
            for try await run in group { out.append(run) }
            return out
        }
        #expect(runs.count == 30)
        #expect(Set(runs.map(\.1)).count == 30)
        let reader = try StoreReader(path: path)
        for (_, assessmentId, answers) in runs {
            #expect(answers.count == 32)
            let expected = try Scoring.score(
                answers: answers, abortReason: nil, validatedAlertChallengeIds: [], bank: CoreFixtures.bank,
                version: BuiltInVersions.coreV3, configuration: .default)
            let stored = try #require(try reader.result(assessmentId: assessmentId))
            #expect(stored.pixScore == expected.pixScore)
            #expect(stored.capacity == expected.capacity)
        }
        #expect(try reader.countAnswers() == 30 * 32)
        #expect(Set(try reader.results().map(\.verificationCode)).count == 30)
        let stats = await core.proctors.stats()
        #expect(stats.answersTotal == 960)
        #expect(stats.activeCandidates == 0)
        #expect(try await core.proctors.showSession("K1").candidates.allSatisfy { $0.status == "completed" })
        await core.shutdown()
    }

    @Test("two proctors decide on one alert at once: exactly one wins, the other gets a clean refusal")
    func twoProctorsOneAlert() async throws {
        for validateFirst in [true, false] {
            let core = try await CoreFixtures.open()
            let session = try await CoreFixtures.session(core, id: "K2", candidates: ["c1"])
            let started = try await CoreFixtures.start(core, session, "c1")
            let challenge = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
            let raised = try await core.candidates.raiseLiveAlert(
                assessmentId: started.assessmentId, token: started.token, challengeId: challenge.challengeId)
            #expect(raised.status == "ongoing")
            let second = try await core.candidates.raiseLiveAlert(
                assessmentId: started.assessmentId, token: started.token, challengeId: challenge.challengeId)
            #expect(second.status == "ignored")

            async let first: DaemonError? = daemonError {
                try await validateFirst
                    ? core.proctors.validateLiveAlert(sessionId: "K2", candidateId: "c1", reason: .websiteUnavailable)
                    : core.proctors.dismissLiveAlert(sessionId: "K2", candidateId: "c1")
            }
            async let other: DaemonError? = daemonError {
                try await validateFirst
                    ? core.proctors.dismissLiveAlert(sessionId: "K2", candidateId: "c1")
                    : core.proctors.validateLiveAlert(sessionId: "K2", candidateId: "c1", reason: .websiteUnavailable)
            }
            let outcomes = await [first, other]
            #expect(outcomes.filter { $0 == nil }.count == 1)
            let loser = try #require(outcomes.compactMap { $0 }.first)
            #expect(loser.code == .liveAlertNotOngoing)
            #expect(loser.httpStatus == 409)
            let alerts = try await core.proctors.listAlerts(sessionId: "K2")
            #expect(alerts.count == 1)
            #expect(alerts.first?.status == "validated" || alerts.first?.status == "dismissed")
            await core.shutdown()
        }
    }

    @Test("a validated live alert serves a new challenge and its skill never comes back")
    func validatedAlert() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "K3", candidates: ["c1"])
        let started = try await CoreFixtures.start(core, session, "c1")
        try await CoreFixtures.answer(core, started, candidateId: "c1", count: 5)
        let onScreen = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        _ = try await core.candidates.raiseLiveAlert(
            assessmentId: started.assessmentId, token: started.token, challengeId: onScreen.challengeId)

        // While the alert waits for the invigilator, the candidate cannot go on.
        let waiting = await daemonError { _ = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) }
        #expect(waiting?.code == .liveAlertOngoing)
        #expect(waiting?.retryAfterSeconds == 1)

        try await core.proctors.validateLiveAlert(sessionId: "K3", candidateId: "c1", reason: .websiteUnavailable)
        let fresh = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        #expect(fresh.challengeId != onScreen.challengeId)
        #expect(fresh.questionNumber == onScreen.questionNumber)
        let rest = try await CoreFixtures.answer(core, started, candidateId: "c1")
        #expect(rest.count == 27)
        let skill = CoreFixtures.bank.challenge(withId: onScreen.challengeId)!.skill
        #expect(rest.allSatisfy { CoreFixtures.bank.challenge(withId: $0.challengeId)!.skill != skill })
        await core.shutdown()
    }

    @Test("a dismissed live alert serves the same challenge again")
    func dismissedAlert() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "K4", candidates: ["c1"])
        let started = try await CoreFixtures.start(core, session, "c1")
        let onScreen = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        let events = core.proctors.events(sessionId: "K4")
        let answered = CoreFixtures.bank.challenges.first { $0.id != onScreen.challengeId }!
        let notCurrent = await daemonError {
            _ = try await core.candidates.raiseLiveAlert(
                assessmentId: started.assessmentId, token: started.token, challengeId: answered.id)
        }
        #expect(notCurrent?.code == .liveAlertNotCurrentChallenge)
        _ = try await core.candidates.raiseLiveAlert(
            assessmentId: started.assessmentId, token: started.token, challengeId: onScreen.challengeId)
        try await core.proctors.dismissLiveAlert(sessionId: "K4", candidateId: "c1")
        #expect(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) == onScreen)

        try await core.proctors.raiseCompanionAlert(sessionId: "K4", candidateId: "c1")
        try await core.proctors.clearCompanionAlert(sessionId: "K4", candidateId: "c1")
        let notOngoing = await daemonError { try await core.proctors.clearCompanionAlert(sessionId: "K4", candidateId: "c1") }
        #expect(notOngoing?.code == .companionAlertNotOngoing)

        var kinds: [SessionEventKind] = []
        for await event in events {
            kinds.append(event.kind)
            if kinds.count == 4 { break }
        }
        #expect(kinds == [.liveAlertRaised, .liveAlertDismissed, .companionAlertRaised, .companionAlertCleared])
        await core.shutdown()
    }
}
