import CertCore
import CertTestSupport
import CertStore
import Foundation
import Testing

@testable import CertDaemon

@Suite("Daemon core: a session from creation to publication")
struct CoreSessionTests {
    @Test(
        "a full session: 32 answers, result written, finalised, published, certificate found",
        arguments: [Durability.durable, .relaxed])
    func fullSession(durability: Durability) async throws {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await CoreFixtures.open(path: path, durability: durability)
        let session = try await CoreFixtures.session(core, id: "S1", candidates: ["c1"])
        #expect(Codes.isWellFormedAccessCode(session.accessCode))
        #expect(Codes.isWellFormedInvigilatorPassword(session.invigilatorPassword))
        try await core.proctors.checkPassword(sessionId: "S1", password: session.invigilatorPassword)

        let started = try await CoreFixtures.start(core, session, "c1")
        #expect(started.resumed == false)
        let answers = try await CoreFixtures.answer(core, started, candidateId: "c1")
        #expect(answers.count == 32)
        #expect(Set(answers.map(\.challengeId)).count == 32)
        #expect(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) == nil)

        let detail = try await core.proctors.showSession("S1")
        #expect(detail.status == "started")
        #expect(detail.candidates.map(\.status) == ["completed"])
        #expect(detail.candidates.first?.answersCount == 32)

        // The result the daemon wrote is the score of the answers this test gave.
        let expected = try Scoring.score(
            answers: answers, abortReason: nil, validatedAlertChallengeIds: [], bank: CoreFixtures.bank,
            version: BuiltInVersions.coreV3, configuration: .default)
        let reader = try StoreReader(path: path)
        #expect(try reader.countAnswers(assessmentId: started.assessmentId) == 32)  // results wait for the commit in both modes
        let stored = try #require(try reader.result(assessmentId: started.assessmentId))
        #expect(stored.pixScore == expected.pixScore)
        #expect(stored.capacity == expected.capacity)
        #expect(stored.answersCount == 32)
        #expect(Codes.isWellFormedVerificationCode(stored.verificationCode))

        // Not verifiable before publication.
        let early = await daemonError { _ = try await core.candidates.certificate(verificationCode: stored.verificationCode) }
        #expect(early?.code == .certificateNotFound)
        #expect(early?.httpStatus == 404)

        let summary = try await core.proctors.finalize(sessionId: "S1", abortReasons: [:])
        #expect(summary.completedCount == 1)
        #expect(summary.scoredCount == 0)
        #expect(summary.status == "finalized")

        let published = try await core.proctors.publish(sessionId: "S1")
        #expect(published.count == 1)
        #expect(published.first?.verificationCode == stored.verificationCode)
        let certificate = try await core.candidates.certificate(verificationCode: stored.verificationCode)
        #expect(certificate.candidateId == "c1")
        #expect(certificate.sessionId == "S1")
        #expect(certificate.pixScore == expected.pixScore)
        #expect(certificate.status == expected.status.rawValue)
        #expect(try await core.proctors.showSession("S1").status == "processed")

        let again = await daemonError { _ = try await core.proctors.publish(sessionId: "S1") }
        #expect(again?.code == .sessionAlreadyPublished)
        let stats = await core.proctors.stats()
        #expect(stats.answersTotal == 32)
        #expect(stats.resultsWritten == 1)
        let metrics = await core.renderMetrics()
        #expect(PrometheusText.value(of: "certsim_answers_total", in: metrics) == 32)
        #expect(PrometheusText.value(of: "certsim_engine_in_flight{engine=\"0\"}", in: metrics) == 0)
        #expect((PrometheusText.value(of: "certsim_writer_commits_total", in: metrics) ?? 0) >= 1)
        await core.shutdown()
    }

    @Test("finalisation needs an abort reason for every unfinished test, then scores them")
    func finalisationWithAbortReasons() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "S2", candidates: ["done", "short", "long", "absent"])
        let done = try await CoreFixtures.start(core, session, "done")
        try await CoreFixtures.answer(core, done, candidateId: "done")
        let short = try await CoreFixtures.start(core, session, "short")
        try await CoreFixtures.answer(core, short, candidateId: "short", count: 10)
        let long = try await CoreFixtures.start(core, session, "long")
        let longAnswers = try await CoreFixtures.answer(core, long, candidateId: "long", count: 25)

        let missing = await daemonError { _ = try await core.proctors.finalize(sessionId: "S2", abortReasons: [:]) }
        #expect(missing?.code == .finalizationMissingAbortReason)
        #expect(missing?.httpStatus == 422)
        // Nothing changed: the session still runs and the unfinished tests still take answers.
        #expect(try await core.proctors.showSession("S2").status == "started")
        try await CoreFixtures.answer(core, short, candidateId: "short", count: 1)

        let unexpected = await daemonError {
            _ = try await core.proctors.finalize(sessionId: "S2", abortReasons: ["short": .technical, "long": .candidate, "absent": .candidate])
        }
        #expect(unexpected?.code == .finalizationUnexpectedAbortReason)

        let summary = try await core.proctors.finalize(
            sessionId: "S2", abortReasons: ["short": .technical, "long": .candidate])
        #expect(summary.completedCount == 1)
        #expect(summary.endedDueToFinalizationCount == 2)
        #expect(summary.notStartedCount == 1)
        #expect(summary.scoredCount == 2)

        let refused = await daemonError {
            _ = try await core.candidates.answer(
                assessmentId: short.assessmentId, token: short.token, AnswerRequest(challengeId: "c0001", result: .ok))
        }
        #expect(refused?.code == .testFinished)
        #expect(try await core.candidates.next(assessmentId: short.assessmentId, token: short.token) == nil)

        let detail = try await core.proctors.showSession("S2")
        let byId = Dictionary(uniqueKeysWithValues: detail.candidates.map { ($0.candidateId, $0) })
        #expect(byId["short"]?.status == "endedDueToFinalization")
        #expect(byId["short"]?.answersCount == 11)
        // DESIGN §3.5: fewer than 20 answers with a technical abort reason is cancelled.
        #expect(byId["short"]?.certificationStatus == "cancelled")
        #expect(byId["short"]?.statusReason == "notEnoughAnswers")
        #expect(byId["long"]?.certificationStatus == "validated")
        #expect(byId["absent"]?.status == "enrolled")
        let expectedLong = try Scoring.score(
            answers: longAnswers, abortReason: .candidate, validatedAlertChallengeIds: [], bank: CoreFixtures.bank,
            version: BuiltInVersions.coreV3, configuration: .default)
        #expect(byId["long"]?.pixScore == expectedLong.pixScore)

        let late = await daemonError { try await CoreFixtures.start(core, session, "absent") }
        #expect(late?.code == .sessionAlreadyFinalized)
        #expect(try await core.proctors.publish(sessionId: "S2").count == 3)
        await core.shutdown()
    }

    @Test("the invigilator ends a test: answers refused, the abort reason comes at finalisation")
    func endByInvigilator() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "S3", candidates: ["c1"])
        let started = try await CoreFixtures.start(core, session, "c1")
        let answers = try await CoreFixtures.answer(core, started, candidateId: "c1", count: 22)
        try await core.proctors.endCandidate(sessionId: "S3", candidateId: "c1")
        let refused = await daemonError {
            _ = try await core.candidates.answer(
                assessmentId: started.assessmentId, token: started.token, AnswerRequest(challengeId: "c0001", result: .ok))
        }
        #expect(refused?.code == .testFinished)
        #expect(refused?.httpStatus == 409)
        let twice = await daemonError { try await core.proctors.endCandidate(sessionId: "S3", candidateId: "c1") }
        #expect(twice?.code == .candidateAlreadyEnded)

        let missing = await daemonError { _ = try await core.proctors.finalize(sessionId: "S3", abortReasons: [:]) }
        #expect(missing?.code == .finalizationMissingAbortReason)
        let summary = try await core.proctors.finalize(sessionId: "S3", abortReasons: ["c1": .candidate])
        #expect(summary.endedByInvigilatorCount == 1)
        #expect(summary.scoredCount == 1)
        let published = try await core.proctors.publish(sessionId: "S3")
        let expected = try Scoring.score(
            answers: answers, abortReason: .candidate, validatedAlertChallengeIds: [], bank: CoreFixtures.bank,
            version: BuiltInVersions.coreV3, configuration: .default)
        #expect(published.first?.pixScore == expected.pixScore)
        await core.shutdown()
    }
}
