import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

/// Pix+ in the daemon (DESIGN §3.8): a candidate enrolled in the core certification and a
/// complementary one sits two adaptive tests one after the other, each on its own bank and
/// version, with its own result and verification code; the external jury of Pix+ Édu; CléA
/// acquired from the core result; recovery of all of it.
@Suite("Daemon core: Pix+ complementary certifications")
struct CorePixPlusTests {
    static let eduBank = PixPlusFixtures.eduBank
    static let edu = PixPlusFixtures.edu

    static func open(path: String = CoreFixtures.temporaryStorePath(), clock: ManualClock = ManualClock(),
                     versions: [CertificationVersion] = [BuiltInVersions.coreV3, PixPlusFixtures.edu],
                     cleas: [CleaVersion] = [PixPlusFixtures.clea, PixPlusFixtures.clea2023])
        async throws -> DaemonCore
    {
        var configuration = DaemonConfiguration(
            bank: CoreFixtures.bank, additionalBanks: [Self.eduBank], versions: versions, seed: 42, engines: 2,
            databasePath: path, clock: clock)
        configuration.cleaVersions = cleas
        return try await DaemonCore.open(configuration)
    }

    /// Answers the test of `assessmentId` until it ends or `count` answers; every answer is `result`.
    /// Returns the answers and the assessment the candidate talks about at the end (it changes
    /// when the first test hands over to the complementary one).
    static func sit(_ core: DaemonCore, assessmentId: String, token: String, count: Int? = nil,
                    result: (String) -> AnswerResult) async throws -> (answers: [Answer], switchedTo: ChallengeResponse?) {
        var answers: [Answer] = []
        var loops = 0
        while count.map({ answers.count < $0 }) ?? true {
            loops += 1
            #expect(loops <= 64, "a test ends within 64 questions")
            if loops > 64 { break }
            guard let challenge = try await core.candidates.next(assessmentId: assessmentId, token: token) else { break }
            if challenge.assessmentId != nil { return (answers, challenge) }
            let answer = Answer(challengeId: challenge.challengeId, result: result(challenge.challengeId))
            _ = try await core.candidates.answer(
                assessmentId: assessmentId, token: token,
                AnswerRequest(challengeId: answer.challengeId, result: answer.result))
            answers.append(answer)
        }
        return (answers, nil)
    }

    @Test("core then Pix+ Édu: two tests, two banks, two results and codes; the jury raises the level")
    func coreThenEdu() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let clock = ManualClock()
        let core = try await Self.open(path: path, clock: clock)
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "S"))
        try await core.proctors.enrol(sessionId: "S", candidateId: "t1", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: Self.edu.id)
        try await core.proctors.enrol(sessionId: "S", candidateId: "p1", needsAccessibility: false, locale: "fr-fr")

        #expect(Self.eduBank.competences.count == 17)
        let started = try await CoreFixtures.start(core, session, "t1")
        #expect(started.certificationVersion == "core-v3")
        #expect(started.followedBy == Self.edu.id)
        let startSeconds = clock.nowSeconds()
        let length = BuiltInVersions.coreV3.challenges.maximumAssessmentLength
        let first = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token, count: length) {
            CoreFixtures.result(candidateId: "t1", challengeId: $0)
        }
        #expect(first.answers.count == length && first.switchedTo == nil)
        clock.advance(by: 600)
        // The next `next` moves to the second test: a new assessment, the Édu version, question 1.
        let handover = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        let eduAssessment = try #require(handover.assessmentId)
        #expect(eduAssessment != started.assessmentId)
        #expect(handover.certificationVersion == Self.edu.id)
        #expect(handover.questionNumber == 1)
        #expect(Self.eduBank.challenge(withId: handover.challengeId)?.competence == handover.competence)
        // Asking the first assessment again hands over to the same test (a lost reply is retried).
        let again = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        #expect(again.assessmentId == eduAssessment && again.challengeId == handover.challengeId)

        let detail = try await core.proctors.showSession("S")
        #expect(detail.candidates.map(\.candidateId) == ["t1", "t1", "p1"])
        #expect(detail.candidates.map(\.certificationVersion) == ["core-v3", Self.edu.id, "core-v3"])
        #expect(detail.candidates[0].complementary == Self.edu.id)
        #expect(detail.candidates[0].status == "completed" && detail.candidates[1].status == "started")
        // Each test has its own clock: the core one 105 minutes from its start, the Édu one 90
        // minutes from its own start ten minutes later.
        #expect(detail.candidates[0].theoreticalEndSeconds == startSeconds + 105 * 60)
        #expect(detail.candidates[1].theoreticalEndSeconds == startSeconds + 600 + 90 * 60)

        var eduAnswers: [Answer] = []
        // A teacher who knows it all: every Édu answer right.
        let second = try await Self.sit(core, assessmentId: eduAssessment, token: started.token) { _ in .ok }
        eduAnswers = second.answers
        #expect(second.switchedTo == nil)
        #expect(eduAnswers.count == Self.edu.challenges.maximumAssessmentLength)
        for answer in eduAnswers { #expect(Self.eduBank.challenge(withId: answer.challengeId) != nil) }

        // The jury waits for publication.
        let early = await daemonError {
            _ = try await core.proctors.decideJuryLevel(sessionId: "S", candidateId: "t1", level: "LEVEL_ADVANCED")
        }
        #expect(early?.code == .juryNotPublished)

        _ = try await core.proctors.finalize(sessionId: "S", abortReasons: [:])
        let published = try await core.proctors.publish(sessionId: "S")
        #expect(published.map(\.candidateId) == ["t1", "t1"])
        #expect(Set(published.map(\.verificationCode)).count == 2)
        let eduCertificate = try #require(published.first { $0.certificationVersion == Self.edu.id })
        let expected = try Scoring.score(
            answers: eduAnswers, abortReason: nil, validatedAlertChallengeIds: [], bank: Self.eduBank,
            version: Self.edu, configuration: Self.edu.challenges)
        let stored = try #require(try StoreReader(path: path).result(assessmentId: eduCertificate.assessmentId))
        #expect(stored.capacity == expected.capacity && stored.level == expected.level)
        #expect(stored.pixScore == nil && stored.versionId == Self.edu.id)
        #expect(expected.status == .validated && expected.level == "LEVEL_ADMISSIBLE")

        // The jury: a level the version does not name, someone without Édu, then the decision, once.
        let badLevel = await daemonError {
            _ = try await core.proctors.decideJuryLevel(sessionId: "S", candidateId: "t1", level: "LEVEL_CONFIRMED")
        }
        #expect(badLevel?.code == .invalidField)
        let noEdu = await daemonError {
            _ = try await core.proctors.decideJuryLevel(sessionId: "S", candidateId: "p1", level: "LEVEL_EXPERT")
        }
        #expect(noEdu?.code == .juryNoCertification)
        let decided = try await core.proctors.decideJuryLevel(sessionId: "S", candidateId: "t1", level: "LEVEL_ADVANCED")
        #expect(decided.level == "LEVEL_ADVANCED" && decided.levelName == "Avancé")
        #expect(decided.admissionLevel == "LEVEL_ADMISSIBLE")
        let twice = await daemonError {
            _ = try await core.proctors.decideJuryLevel(sessionId: "S", candidateId: "t1", level: "LEVEL_EXPERT")
        }
        #expect(twice?.code == .juryAlreadyDecided)
        let verified = try await core.candidates.certificate(verificationCode: eduCertificate.verificationCode)
        #expect(verified.level == "LEVEL_ADVANCED" && verified.levelName == "Avancé")
        await core.shutdown()

        // After a restart: both certificates, the jury's level, the three rows.
        let reopened = try await Self.open(path: path)
        let afterRestart = try await reopened.candidates.certificate(verificationCode: eduCertificate.verificationCode)
        #expect(afterRestart.level == "LEVEL_ADVANCED" && afterRestart.admissionLevel == "LEVEL_ADMISSIBLE")
        #expect(try StoreReader(path: path).result(assessmentId: eduCertificate.assessmentId)?.juryLevel == "LEVEL_ADVANCED")
        let restored = try await reopened.proctors.showSession("S")
        #expect(restored.candidates.map(\.certificationVersion) == ["core-v3", Self.edu.id, "core-v3"])
        await reopened.shutdown()
    }

    @Test("a rejected Édu certification cannot be raised by the jury")
    func juryRefusesRejected() async throws {
        let core = try await Self.open()
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "R"))
        try await core.proctors.enrol(sessionId: "R", candidateId: "t2", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: Self.edu.id)
        let started = try await CoreFixtures.start(core, session, "t2")
        let first = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token) { _ in .ok }
        let handover = try #require(first.switchedTo?.assessmentId)
        // Every Édu answer wrong: θ far below 1, not admissible.
        _ = try await Self.sit(core, assessmentId: handover, token: started.token) { _ in .ko }
        _ = try await core.proctors.finalize(sessionId: "R", abortReasons: [:])
        let published = try await core.proctors.publish(sessionId: "R")
        #expect(published.first { $0.certificationVersion == Self.edu.id }?.status == "rejected")
        let refused = await daemonError {
            _ = try await core.proctors.decideJuryLevel(sessionId: "R", candidateId: "t2", level: "LEVEL_EXPERT")
        }
        #expect(refused?.code == .juryNotAdmissible)
        await core.shutdown()
    }

    @Test("an end by the invigilator ends the day: the complementary test never starts")
    func endByInvigilatorEndsBoth() async throws {
        let core = try await Self.open()
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "E"))
        try await core.proctors.enrol(sessionId: "E", candidateId: "t3", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: Self.edu.id)
        let started = try await CoreFixtures.start(core, session, "t3")
        _ = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token, count: 21) { _ in .ok }
        try await core.proctors.endCandidate(sessionId: "E", candidateId: "t3")
        let next = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token)
        #expect(next == nil)
        let summary = try await core.proctors.finalize(sessionId: "E", abortReasons: ["t3": .candidate])
        #expect(summary.notStartedCount == 1)  // the Édu test
        let published = try await core.proctors.publish(sessionId: "E")
        #expect(published.map(\.certificationVersion) == ["core-v3"])
        await core.shutdown()
    }

    @Test("a candidate's abort reason applies to the running complementary test at finalisation")
    func finalisationDuringTheSecondTest() async throws {
        let core = try await Self.open()
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "F"))
        try await core.proctors.enrol(sessionId: "F", candidateId: "t4", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: Self.edu.id)
        let started = try await CoreFixtures.start(core, session, "t4")
        let first = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token) { _ in .ok }
        let edu = try #require(first.switchedTo?.assessmentId)
        _ = try await Self.sit(core, assessmentId: edu, token: started.token, count: 5) { _ in .ok }
        let missing = await daemonError { _ = try await core.proctors.finalize(sessionId: "F", abortReasons: [:]) }
        #expect(missing?.code == .finalizationMissingAbortReason)
        let summary = try await core.proctors.finalize(sessionId: "F", abortReasons: ["t4": .technical])
        #expect(summary.endedDueToFinalizationCount == 1 && summary.completedCount == 1)
        let published = try await core.proctors.publish(sessionId: "F")
        let eduResult = try #require(published.first { $0.certificationVersion == Self.edu.id })
        #expect(eduResult.status == "cancelled" && eduResult.statusReason == "notEnoughAnswers")
        await core.shutdown()
    }

    @Test("the complementary test in progress survives a restart; the candidate resumes it")
    func recoveryInTheSecondTest() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await Self.open(path: path)
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "K"))
        try await core.proctors.enrol(sessionId: "K", candidateId: "t5", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: Self.edu.id)
        let started = try await CoreFixtures.start(core, session, "t5")
        let first = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token) { _ in .ok }
        let edu = try #require(first.switchedTo?.assessmentId)
        let before = try await Self.sit(core, assessmentId: edu, token: started.token, count: 7) { _ in .ok }
        await core.shutdown()

        let reopened = try await Self.open(path: path)
        let resumed = try await CoreFixtures.start(reopened, session, "t5")
        #expect(resumed.assessmentId == edu && resumed.resumed)
        #expect(resumed.certificationVersion == Self.edu.id && resumed.followedBy == nil)
        let after = try await Self.sit(reopened, assessmentId: edu, token: resumed.token) { _ in .ok }
        #expect(before.answers.count + after.answers.count == Self.edu.challenges.maximumAssessmentLength)
        await reopened.shutdown()
    }

    @Test("CléA: no second test; acquired from the core result at the version's minimum")
    func clea() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await Self.open(path: path)
        let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "C"))
        try await core.proctors.enrol(sessionId: "C", candidateId: "a", needsAccessibility: false, locale: "fr-fr",
                                      complementaryVersionId: PixPlusFixtures.clea.id)
        let started = try await CoreFixtures.start(core, session, "a")
        #expect(started.followedBy == nil)
        let sat = try await Self.sit(core, assessmentId: started.assessmentId, token: started.token) {
            CoreFixtures.result(candidateId: "a", challengeId: $0)
        }
        #expect(sat.switchedTo == nil)
        _ = try await core.proctors.finalize(sessionId: "C", abortReasons: [:])
        let published = try await core.proctors.publish(sessionId: "C")
        let only = try #require(published.first)
        #expect(published.count == 1)
        // Independently: validated with a score of at least 70.
        let expected = only.status == "validated" && (only.pixScore ?? 0) >= 70
        #expect(only.cleaAcquired == expected)
        let certificate = try await core.candidates.certificate(verificationCode: only.verificationCode)
        #expect(certificate.cleaVersion == PixPlusFixtures.clea.id && certificate.cleaAcquired == expected)
        await core.shutdown()
        // Restarted without the CléA version: the stored copy still answers for the certificate,
        // and a new CléA enrolment is refused.
        let reopened = try await Self.open(path: path, cleas: [])
        let again = try await reopened.candidates.certificate(verificationCode: only.verificationCode)
        #expect(again.cleaVersion == PixPlusFixtures.clea.id && again.cleaAcquired == expected)
        let session2 = await daemonError {
            _ = try await reopened.proctors.createSession(CreateSessionRequest(sessionId: "C2"))
            try await reopened.proctors.enrol(sessionId: "C2", candidateId: "b", needsAccessibility: false, locale: "fr-fr",
                                              complementaryVersionId: PixPlusFixtures.clea.id)
        }
        #expect(session2?.code == .versionUnknown)
        await reopened.shutdown()
    }

    @Test("complementary enrolments the rules refuse")
    func refusals() async throws {
        let core = try await Self.open()
        _ = try await core.proctors.createSession(CreateSessionRequest(sessionId: "X"))
        let coreAgain = await daemonError {
            try await core.proctors.enrol(sessionId: "X", candidateId: "a", needsAccessibility: false, locale: "fr-fr",
                                          complementaryVersionId: "core-v3")
        }
        #expect(coreAgain?.code == .complementaryNotAllowed)
        let unknown = await daemonError {
            try await core.proctors.enrol(sessionId: "X", candidateId: "a", needsAccessibility: false, locale: "fr-fr",
                                          complementaryVersionId: "edu-9")
        }
        #expect(unknown?.code == .versionUnknown)
        let otherCore = await daemonError {
            try await core.proctors.enrol(sessionId: "X", candidateId: "a", needsAccessibility: false, locale: "fr-fr",
                                          complementaryVersionId: PixPlusFixtures.clea2023.id)
        }
        #expect(otherCore?.code == .complementaryCoreMismatch)
        _ = try await core.proctors.createSession(CreateSessionRequest(sessionId: "Y", certificationVersion: Self.edu.id))
        let onEdu = await daemonError {
            try await core.proctors.enrol(sessionId: "Y", candidateId: "a", needsAccessibility: false, locale: "fr-fr",
                                          complementaryVersionId: PixPlusFixtures.clea.id)
        }
        #expect(onEdu?.code == .complementaryNotAllowed)
        // Nothing was enrolled by a refusal.
        #expect(try await core.proctors.showSession("X").candidates.isEmpty)
        await core.shutdown()
    }

    @Test("each version is served from the bank of its framework; two candidates are an error")
    func bankMatching() throws {
        let configuration = DaemonConfiguration(
            bank: CoreFixtures.bank, additionalBanks: [Self.eduBank], seed: 1, databasePath: "unused")
        #expect(try configuration.bank(for: Self.edu).version == Self.eduBank.version)
        #expect(try configuration.bank(for: BuiltInVersions.coreV3).version == CoreFixtures.bank.version)
        let twoUndeclared = DaemonConfiguration(
            bank: CoreFixtures.bank, additionalBanks: [BankGenerator.generate(challenges: 64, seed: 3)], seed: 1,
            databasePath: "unused")
        #expect(throws: CertError.self) { _ = try twoUndeclared.bank(for: BuiltInVersions.coreV3) }
        do {
            _ = try twoUndeclared.bank(for: BuiltInVersions.coreV3)
        } catch {
            #expect(error.code == .versionBankAmbiguous)
        }
    }
}

enum PixPlusFixtures {
    /// A bank of the CRCN-Édu framework (it declares `crcn-edu`).
    /// A bank of the CRCN-Édu framework: 17 competences (it declares `crcn-edu`).
    static let eduBank = BankGenerator.generate(challenges: 680, seed: 17, framework: .crcnEdu)

    static let edu = BuiltInVersions.edu2ndDegreV3

    static let clea = BuiltInVersions.cleaV3
    /// A CléA version that applies to another core version than the sessions'.
    static let clea2023 = CleaVersion(id: "clea-2023", coreVersion: "core-v3-2023", minimumEarnedPix: 70,
                                      contentHash: "clea-2023-test")
}
