import CertCore
import CertTestSupport
import CertStore
import Foundation
import Testing

@testable import CertDaemon

@Suite("Daemon core: refused operations come back as DaemonErrors")
struct CoreRefusalTests {
    @Test("starting needs an authorisation, valid 15 minutes, used up by each start")
    func authorisation() async throws {
        let clock = ManualClock()
        let core = try await CoreFixtures.open(clock: clock)
        let session = try await CoreFixtures.session(core, id: "R1", candidates: ["c1", "c2"])

        let notAuthorised = await daemonError {
            _ = try await core.candidates.start(sessionId: "R1", candidateId: "c1", accessCode: session.accessCode)
        }
        #expect(notAuthorised?.code == .candidateNotAuthorized)
        #expect(notAuthorised?.httpStatus == 403)

        try await core.proctors.authorize(sessionId: "R1", candidateId: "c2")
        clock.advance(by: 901)
        let expired = await daemonError {
            _ = try await core.candidates.start(sessionId: "R1", candidateId: "c2", accessCode: session.accessCode)
        }
        #expect(expired?.code == .authorizationExpired)
        #expect(expired?.httpStatus == 403)

        let wrongCode = await daemonError {
            _ = try await core.candidates.start(sessionId: "R1", candidateId: "c1", accessCode: "BBBB22")
        }
        #expect(wrongCode?.code == .invalidAccessCode)
        #expect(wrongCode?.httpStatus == 403)

        let first = try await CoreFixtures.start(core, session, "c1")
        try await CoreFixtures.answer(core, first, candidateId: "c1", count: 3)
        let usedUp = await daemonError {
            _ = try await core.candidates.start(sessionId: "R1", candidateId: "c1", accessCode: session.accessCode)
        }
        #expect(usedUp?.code == .candidateNotAuthorized)
        #expect(usedUp?.httpStatus == 403)

        // A resume needs a fresh authorisation and issues a new token; the old one stops working.
        let pending = try #require(try await core.candidates.next(assessmentId: first.assessmentId, token: first.token))
        let resumed = try await CoreFixtures.start(core, session, "c1")
        #expect(resumed.resumed)
        #expect(resumed.assessmentId == first.assessmentId)
        #expect(resumed.token != first.token)
        let oldToken = await daemonError { _ = try await core.candidates.next(assessmentId: first.assessmentId, token: first.token) }
        #expect(oldToken?.code == .invalidToken)
        #expect(oldToken?.httpStatus == 403)
        // The challenge on screen before the interruption is served again.
        let again = try await core.candidates.next(assessmentId: resumed.assessmentId, token: resumed.token)
        #expect(again == pending)
        await core.shutdown()
    }

    @Test("a session refuses starts and authorisations 24 hours after its first start")
    func sessionExpiry() async throws {
        let clock = ManualClock()
        let core = try await CoreFixtures.open(clock: clock)
        let session = try await CoreFixtures.session(core, id: "R4", candidates: ["c1", "c2"])
        _ = try await CoreFixtures.start(core, session, "c1")
        clock.advance(by: 24 * 3600 - 1)
        try await core.proctors.authorize(sessionId: "R4", candidateId: "c2")
        clock.advance(by: 1)
        let expired = await daemonError {
            _ = try await core.candidates.start(sessionId: "R4", candidateId: "c2", accessCode: session.accessCode)
        }
        #expect(expired?.code == .sessionExpired)
        #expect(expired?.httpStatus == 410)
        let noAuthorisation = await daemonError { try await core.proctors.authorize(sessionId: "R4", candidateId: "c1") }
        #expect(noAuthorisation?.code == .sessionExpired)
        await core.shutdown()
    }

    @Test("tokens, ids and challenges are checked")
    func tokensAndChallenges() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "R2", candidates: ["c1", "c2"])
        let one = try await CoreFixtures.start(core, session, "c1")
        let two = try await CoreFixtures.start(core, session, "c2")

        let wrongToken = await daemonError { _ = try await core.candidates.next(assessmentId: one.assessmentId, token: "nope") }
        #expect(wrongToken?.code == .invalidToken)
        #expect(wrongToken?.httpStatus == 403)
        let othersAssessment = await daemonError {
            _ = try await core.candidates.next(assessmentId: two.assessmentId, token: one.token)
        }
        #expect(othersAssessment?.httpStatus == 403)
        let unknown = await daemonError { _ = try await core.candidates.next(assessmentId: "A-unknown", token: one.token) }
        #expect(unknown?.code == .assessmentNotFound)
        #expect(unknown?.httpStatus == 404)
        let unknownSession = await daemonError { _ = try await core.proctors.showSession("nowhere") }
        #expect(unknownSession?.code == .sessionNotFound)
        let unknownCandidate = await daemonError { try await core.proctors.authorize(sessionId: "R2", candidateId: "ghost") }
        #expect(unknownCandidate?.code == .candidateNotFound)
        let badPassword = await daemonError { try await core.proctors.checkPassword(sessionId: "R2", password: "wrong!") }
        #expect(badPassword?.code == .invalidCredentials)
        #expect(badPassword?.httpStatus == 401)
        let duplicate = await daemonError { _ = try await core.proctors.createSession(CreateSessionRequest(sessionId: "R2")) }
        #expect(duplicate?.code == .sessionExists)

        let served = try #require(try await core.candidates.next(assessmentId: one.assessmentId, token: one.token))
        let other = CoreFixtures.bank.challenges.first { $0.id != served.challengeId }!
        let notCurrent = await daemonError {
            _ = try await core.candidates.answer(
                assessmentId: one.assessmentId, token: one.token, AnswerRequest(challengeId: other.id, result: .ok))
        }
        #expect(notCurrent?.code == .notCurrentChallenge)
        #expect(notCurrent?.httpStatus == 409)
        // The refusal changed nothing: the same challenge is still on screen.
        #expect(try await core.candidates.next(assessmentId: one.assessmentId, token: one.token) == served)

        try await CoreFixtures.answer(core, one, candidateId: "c1")
        let finished = await daemonError {
            _ = try await core.candidates.answer(
                assessmentId: one.assessmentId, token: one.token, AnswerRequest(challengeId: served.challengeId, result: .ok))
        }
        #expect(finished?.code == .testFinished)
        #expect(finished?.httpStatus == 409)
        let finishedAlert = await daemonError {
            _ = try await core.candidates.raiseLiveAlert(assessmentId: one.assessmentId, token: one.token, challengeId: served.challengeId)
        }
        #expect(finishedAlert?.code == .testFinished)
        await core.shutdown()
    }

    @Test("an engine past its in-flight limit answers BUSY at once")
    func busy() async throws {
        var limits = DaemonLimits()
        limits.engineInFlightMax = 0
        let core = try await CoreFixtures.open(engines: 1, limits: limits)
        let session = try await CoreFixtures.session(core, id: "R3", candidates: ["c1"])
        let started = try await CoreFixtures.start(core, session, "c1")
        let busy = await daemonError { _ = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) }
        #expect(busy?.code == .busy)
        #expect(busy?.httpStatus == 503)
        #expect(busy?.retryAfterSeconds == 1)
        let stats = await core.proctors.stats()
        #expect(stats.engineInFlight == [0])
        #expect(PrometheusText.value(of: "certsim_engine_busy_refusals_total{engine=\"0\"}", in: core.metrics.renderPrometheus()) == 1)
        await core.shutdown()
    }

    @Test("after shutdown every request is refused with SHUTTING_DOWN")
    func shuttingDown() async throws {
        let core = try await CoreFixtures.open()
        await core.shutdown()
        let refused = await daemonError { _ = try await core.proctors.createSession(CreateSessionRequest()) }
        #expect(refused?.code == .shuttingDown)
        #expect(refused?.httpStatus == 503)
    }
}
