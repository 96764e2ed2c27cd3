import CertCore
import Foundation
import Testing

/// A whole Pix+ Édu test (DESIGN §3.8) through the public `CandidateTest` API, on the shipped
/// 17-competence CRCN-Édu bank under edu-2nd-degre-v3: nothing assumes 16 competences, the
/// version's numbers (90 minutes, pick probability 100, one admissible interval) are the ones
/// in force, and the result has no Pix score.
@Suite struct PixPlusScoringTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let gate = SessionGate(sessionId: "S-EDU", status: .started, expiresAtSeconds: nil)

    static func bank() throws -> ItemBank {
        try ItemBank.load(path: repository.appendingPathComponent("Scenarios/banks/crcn-edu-synthetic-1.json").path)
    }

    static func rules() throws -> CertificationRules {
        try CertificationRules(version: BuiltInVersions.edu2ndDegreV3)
    }

    /// Runs one candidate to the end, answering `result` to every challenge; returns the
    /// challenges served and the test.
    static func run(candidate: String, seed: UInt64, result: AnswerResult, bank: ItemBank,
                    rules: CertificationRules) throws -> (served: [Challenge], test: CandidateTest) {
        let duration = CandidateTest.Enrolment.durationLimit(sessionDurationSeconds: rules.durationSeconds, extraTimePercent: 0)
        var test = CandidateTest(
            enrolment: CandidateTest.Enrolment(sessionId: "S-EDU", candidateId: candidate, externalIndex: 0,
                                               durationLimitSeconds: duration),
            bank: bank, rules: rules)
        func context(_ now: Double) -> CandidateTest.Context {
            CandidateTest.Context(nowSeconds: now, seed: seed, drawVerificationCode: { "P-\(candidate)" })
        }
        _ = try test.apply(.authorize(session: gate), context(10))
        _ = try test.apply(.start(session: gate, assessmentId: "A-\(candidate)", tokenHash: "h"), context(20))
        var served: [Challenge] = []
        for question in 1...40 {
            guard case .challenge(let challenge?, _) = try test.apply(.next, context(20 + Double(question))).reply else { break }
            served.append(challenge)
            _ = try test.apply(.answer(Answer(challengeId: challenge.id, result: result)), context(20.5 + Double(question)))
        }
        return (served, test)
    }

    @Test func theEduBankAndVersionGoTogether() throws {
        let bank = try Self.bank()
        #expect(bank.competences.count == 17)
        #expect(bank.competenceFramework == "crcn-edu")
        try BuiltInVersions.edu2ndDegreV3.check(bank: bank)
        try BuiltInVersions.edu1erDegreV3.check(bank: bank)
        try BuiltInVersions.eduCPEV3.check(bank: bank)
        for version in [BuiltInVersions.coreV3, BuiltInVersions.droitV3, BuiltInVersions.proSanteV3] {
            #expect { try version.check(bank: bank) } throws: { ($0 as? CertError)?.code == .versionBankMismatch }
        }
        // 90 minutes, as DESIGN §3.8 gives Pix+ Édu.
        #expect(try Self.rules().durationSeconds == 5_400)
    }

    @Test func aCandidateWhoAnswersEverythingRightIsAdmissible() throws {
        let bank = try Self.bank()
        let rules = try Self.rules()
        let (served, test) = try Self.run(candidate: "C1", seed: 7, result: .ok, bank: bank, rules: rules)
        #expect(served.count == 32, "the test ends at the version's maximum length")
        #expect(test.state.status == .completed)
        #expect(test.timeLimitSeconds == Double(20 + 5_400), "first start at 20 s, then 90 minutes")
        // Passage by all competences: the first 17 questions visit the 17 competences once each.
        #expect(Set(served.prefix(17).map(\.competence)) == Set(Framework.crcnEdu.map(\.id)))
        // One question per tube.
        #expect(Set(served.map(\.tube)).count == 32)
        let result = try #require(test.scored?.result)
        #expect(result.version == "edu-2nd-degre-v3")
        #expect(result.status == .validated && result.statusReason == nil)
        #expect(result.capacity >= 1)
        #expect(result.pixScore == nil, "Pix+ Édu has no Pix score")
        #expect(result.meshLevel == 0 && result.level == "LEVEL_ADMISSIBLE")
        #expect(LevelNames.name(of: result.level!) == "Confirmé")
        #expect(result.competenceLevels == nil, "edu-2nd-degre-v3 gives no competence scoring")
        #expect(result.answersCount == 32)
        // The same answers scored directly give the same result.
        let direct = try Scoring.score(
            answers: served.map { Answer(challengeId: $0.id, result: .ok) }, abortReason: nil,
            validatedAlertChallengeIds: [], bank: bank, version: BuiltInVersions.edu2ndDegreV3,
            configuration: rules.configuration)
        #expect(direct.capacity == result.capacity && direct.level == result.level && direct.status == result.status)
    }

    @Test func aCandidateWhoAnswersEverythingWrongIsNotAdmissible() throws {
        let (served, test) = try Self.run(candidate: "C2", seed: 7, result: .ko, bank: try Self.bank(), rules: try Self.rules())
        #expect(served.count == 32)
        let result = try #require(test.scored?.result)
        #expect(result.capacity < 1)
        #expect(result.status == .rejected && result.statusReason == .belowFirstInterval)
        #expect(result.level == nil && result.meshLevel == nil && result.pixScore == nil)
        #expect(LevelNames.rejectedName(framework: BuiltInVersions.edu2ndDegreV3.framework) == "Non admissible")
    }

    /// Pick probability 100: the best challenge is always taken, so the candidate's seed does not
    /// change the test (under core's 51 it would).
    @Test func withPickProbabilityHundredTheSeedDoesNotMatter() throws {
        let bank = try Self.bank()
        let rules = try Self.rules()
        #expect(rules.configuration.defaultProbabilityToPickChallenge == 100)
        let first = try Self.run(candidate: "C3", seed: 1, result: .ok, bank: bank, rules: rules)
        let second = try Self.run(candidate: "C4", seed: 99, result: .ok, bank: bank, rules: rules)
        #expect(first.served.map(\.id) == second.served.map(\.id))
    }
}
