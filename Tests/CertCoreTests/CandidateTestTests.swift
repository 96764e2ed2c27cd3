import Foundation
import Testing
@testable import CertCore

/// The rules of one candidate's test as one value: every transition run here with no actor,
/// socket or database, and recovery's replay checked against the live run that wrote the journal.
@Suite("Lifecycle: one candidate's test")
struct CandidateTestTests {
    static let bank = BankGenerator.generate(challenges: 600, seed: 3)
    static let seed: UInt64 = 41
    static let limit: Double = 6_300
    static let gate = SessionGate(sessionId: "S1", status: .started, expiresAtSeconds: nil)

    static func enrolment(_ candidateId: String = "C1") -> CandidateTest.Enrolment {
        CandidateTest.Enrolment(sessionId: "S1", candidateId: candidateId, externalIndex: 0, durationLimitSeconds: limit)
    }

    static func newTest(_ candidateId: String = "C1") -> CandidateTest {
        CandidateTest(enrolment: enrolment(candidateId), bank: bank, rules: .coreV3)
    }

    /// Codes drawn in order, so a test can tell which write carries which.
    final class Codes: @unchecked Sendable {
        var drawn = 0
        func next() -> String {
            drawn += 1
            return "P-CODE\(drawn)"
        }
    }

    static func context(_ now: Double, _ codes: Codes = Codes()) -> CandidateTest.Context {
        CandidateTest.Context(nowSeconds: now, seed: seed, drawVerificationCode: { codes.next() })
    }

    /// A journal kept the way the store keeps it: every write of every outcome, in order.
    struct Journal {
        var writes: [StoreWrite] = []
        var events: [CandidateEventRecord] {
            writes.compactMap { if case .candidateEvent(let e) = $0 { e } else { nil } }
        }
        var answers: [AnswerRecord] {
            writes.compactMap { if case .answer(let a) = $0 { a } else { nil } }
        }
    }

    @discardableResult
    static func run(_ test: inout CandidateTest, _ event: CandidateTest.Event, at now: Double,
                    _ journal: inout Journal, _ codes: Codes = Codes()) throws -> CandidateTest.Outcome {
        let outcome = try test.apply(event, context(now, codes))
        journal.writes += outcome.writes
        return outcome
    }

    static func started(_ journal: inout Journal) throws -> CandidateTest {
        var test = newTest()
        try run(&test, .authorize(session: gate), at: 10, &journal)
        try run(&test, .start(session: gate, assessmentId: "A-1", tokenHash: "h"), at: 20, &journal)
        return test
    }

    static func answerCurrent(_ test: inout CandidateTest, at now: Double, _ journal: inout Journal,
                              result: AnswerResult = .ok, _ codes: Codes = Codes()) throws -> CandidateTest.Outcome {
        guard case .challenge(let challenge?, _) = try run(&test, .next, at: now, &journal).reply else {
            throw LifecycleError(.testFinished, "no challenge")
        }
        return try run(&test, .answer(Answer(challengeId: challenge.id, result: result)), at: now, &journal, codes)
    }

    @Test func aWholeTestCompletesInOneOutcomeWithItsResult() throws {
        var journal = Journal()
        var test = try Self.started(&journal)
        for question in 1...31 {
            let outcome = try Self.answerCurrent(&test, at: 20 + Double(question), &journal,
                                                 result: question % 3 == 0 ? .ko : .ok)
            #expect(outcome.writes.count == 1)
            #expect(outcome.reply == .answered(questionNumber: question, answersCount: question, completed: false))
        }
        let codes = Codes()
        let last = try Self.answerCurrent(&test, at: 60, &journal, codes)
        #expect(last.reply == .answered(questionNumber: 32, answersCount: 32, completed: true))
        // The journal row, the candidate's status, the assessment's status and the result: one commit.
        #expect(last.writes.count == 4)
        guard case .answer(let answer) = last.writes[0], case .result(let result) = last.writes[3] else {
            Issue.record("unexpected writes \(last.writes)")
            return
        }
        #expect(answer.questionNumber == 32)
        #expect(last.writes[1] == .candidateStatus(sessionId: "S1", candidateId: "C1", status: "completed", abortReason: nil))
        #expect(result.verificationCode == "P-CODE1")
        #expect(codes.drawn == 1)
        #expect(test.state.status == .completed)
        #expect(test.adaptive == nil, "the adaptive test's buffers are dropped once its result is written")
        // The result is the scoring of the same answers, computed independently of the transition.
        let expected = try Scoring.score(
            answers: journal.answers.map { Answer(challengeId: $0.challengeId, result: AnswerResult(rawValue: $0.result)!) },
            abortReason: nil, validatedAlertChallengeIds: [], bank: Self.bank, version: BuiltInVersions.coreV3,
            configuration: .default)
        #expect(result.capacity == expected.capacity)
        #expect(result.pixScore == expected.pixScore)
        // Nothing more is accepted.
        #expect(try test.apply(.next, Self.context(61)).reply == .challenge(nil, questionNumber: 33))
        #expect(throws: LifecycleError.self) { try test.apply(.answer(Answer(challengeId: "x", result: .ok)), Self.context(61)) }
    }

    @Test func aRefusedTransitionChangesNothing() throws {
        var test = Self.newTest()
        let before = CandidateTestSnapshot(test)
        #expect { try test.apply(.start(session: Self.gate, assessmentId: "A-1", tokenHash: "h"), Self.context(5)) }
            throws: { ($0 as? LifecycleError)?.code == .candidateNotAuthorized }
        #expect(CandidateTestSnapshot(test) == before)
        var journal = Journal()
        test = try Self.started(&journal)
        let running = CandidateTestSnapshot(test)
        #expect { try test.apply(.answer(Answer(challengeId: "not-on-screen", result: .ok)), Self.context(30)) }
            throws: { ($0 as? LifecycleError)?.code == .notCurrentChallenge }
        #expect(CandidateTestSnapshot(test) == running)
        let finalized = SessionGate(sessionId: "S1", status: .finalized, expiresAtSeconds: nil)
        #expect { try test.apply(.authorize(session: finalized), Self.context(30)) }
            throws: { ($0 as? LifecycleError)?.code == .sessionAlreadyFinalized }
        #expect(CandidateTestSnapshot(test) == running)
    }

    @Test func theTimeLimitEndsTheTestOnceAndIsRecorded() throws {
        var journal = Journal()
        var test = try Self.started(&journal)
        _ = try Self.answerCurrent(&test, at: 100, &journal)
        // Started at 20: the limit falls at 20 + 6,300. One second before, answers still count.
        _ = try Self.answerCurrent(&test, at: 6_319, &journal)
        let ended = try test.apply(.next, Self.context(6_320))
        #expect(ended.reply == .timeRanOut(limitSeconds: Self.limit))
        #expect(ended.writes.count == 2, "the end is stored before the refusal is sent")
        #expect(ended.notices == [.endedDueToDurationExceeded])
        #expect(test.state.status == .endedDueToDurationExceeded)
        #expect(test.scored?.isWritten == false, "scored provisionally until finalisation gives the reason")
        let again = try test.apply(.answer(Answer(challengeId: "x", result: .ok)), Self.context(6_330))
        #expect(again.reply == .timeRanOut(limitSeconds: Self.limit))
        #expect(again.writes.isEmpty)
        #expect(test.timeRunsOut(atSeconds: 7_000) == false, "an ended test no longer runs out")
    }

    @Test func aValidatedLiveAlertServesAnotherChallengeAndLeavesTheEstimate() throws {
        var journal = Journal()
        var test = try Self.started(&journal)
        _ = try Self.answerCurrent(&test, at: 30, &journal)
        guard case .challenge(let onScreen?, let number) = try Self.run(&test, .next, at: 40, &journal).reply else {
            Issue.record("no challenge")
            return
        }
        #expect(number == 2)
        #expect(try Self.run(&test, .raiseLiveAlert(challengeId: onScreen.id), at: 41, &journal).reply == .liveAlert(.raised))
        #expect(try Self.run(&test, .raiseLiveAlert(challengeId: onScreen.id), at: 42, &journal).reply
            == .liveAlert(.ignoredAlreadyOngoing))
        #expect { try test.apply(.answer(Answer(challengeId: onScreen.id, result: .ok)), Self.context(43)) }
            throws: { ($0 as? LifecycleError)?.code == .liveAlertOngoing }
        try Self.run(&test, .validateLiveAlert(reason: .websiteBlocked), at: 50, &journal)
        guard case .challenge(let next?, let sameNumber) = try Self.run(&test, .next, at: 51, &journal).reply else {
            Issue.record("no challenge after validation")
            return
        }
        #expect(next.skill != onScreen.skill, "the alert's skill left the pool")
        #expect(sameNumber == 2)
        #expect(test.liveAlerts.validatedChallengeIds == [onScreen.id])
    }

    @Test func finalisationNeedsAReasonAndWritesTheResult() throws {
        var journal = Journal()
        var test = try Self.started(&journal)
        for second in 0..<21 { _ = try Self.answerCurrent(&test, at: 30 + Double(second), &journal) }
        #expect { try test.apply(.finalize(abortReason: nil), Self.context(100)) }
            throws: { ($0 as? LifecycleError)?.code == .finalizationMissingAbortReason }
        #expect(test.state.status == .started)
        let outcome = try Self.run(&test, .finalize(abortReason: .technical), at: 100, &journal)
        #expect(test.state.status == .endedDueToFinalization)
        #expect(outcome.notices == [.endedDueToFinalization(.technical), .resultWritten])
        #expect(outcome.writes.contains { if case .result = $0 { true } else { false } })
        #expect(test.scored?.abortReason == .technical)
        // Finalising again (a second finalisation after a crash) writes nothing more.
        #expect(try test.apply(.finalize(abortReason: .technical), Self.context(101)).writes.isEmpty)
        var absent = Self.newTest("C2")
        #expect(try absent.apply(.finalize(abortReason: nil), Self.context(100)).writes.isEmpty)
        #expect { try absent.apply(.finalize(abortReason: .candidate), Self.context(100)) }
            throws: { ($0 as? LifecycleError)?.code == .finalizationUnexpectedAbortReason }
    }

    // MARK: Recovery

    /// A seeded script of everything a candidate and an invigilator can do; the replay of the
    /// journal it leaves must give back the same test.
    @Test(arguments: 0..<24)
    func theJournalReplaysToTheSameTest(scriptSeed: UInt64) throws {
        var random = SeededRandom(seed: scriptSeed, keys: [7])
        var journal = Journal()
        var test = Self.newTest()
        var now = 0.0
        func tick() { now += Double(random.next() % 200) + 1 }
        try Self.run(&test, .authorize(session: Self.gate), at: now, &journal)
        tick()
        try Self.run(&test, .start(session: Self.gate, assessmentId: "A-1", tokenHash: "h"), at: now, &journal)
        let steps = Int(random.next() % 60)
        for _ in 0..<steps {
            tick()
            let roll = random.next() % 100
            let outcome: CandidateTest.Outcome?
            switch roll {
            case 0..<60:
                outcome = try? Self.answerCurrent(&test, at: now, &journal, result: random.next() % 2 == 0 ? .ok : .ko)
            case 60..<70:
                if case .challenge(let c?, _) = (try? Self.run(&test, .next, at: now, &journal))?.reply {
                    outcome = try? Self.run(&test, .raiseLiveAlert(challengeId: c.id), at: now, &journal)
                } else { outcome = nil }
            case 70..<76: outcome = try? Self.run(&test, .validateLiveAlert(reason: .websiteBlocked), at: now, &journal)
            case 76..<82: outcome = try? Self.run(&test, .dismissLiveAlert, at: now, &journal)
            case 82..<88: outcome = try? Self.run(&test, .raiseCompanionAlert, at: now, &journal)
            case 88..<93: outcome = try? Self.run(&test, .clearCompanionAlert, at: now, &journal)
            case 93..<96: outcome = try? Self.run(&test, .authorize(session: Self.gate), at: now, &journal)
            case 96..<98:
                outcome = try? Self.run(&test, .start(session: Self.gate, assessmentId: "A-1", tokenHash: "h"), at: now, &journal)
            default: outcome = try? Self.run(&test, .endByInvigilator, at: now, &journal)
            }
            _ = outcome
            if test.scored?.isWritten == true { break }
        }
        // Recovery rebuilds only tests without a stored result, from the two journals.
        guard test.scored?.isWritten != true else { return }
        let replayed = try CandidateTest.replay(
            enrolment: Self.enrolment(), bank: Self.bank, rules: .coreV3, seed: Self.seed,
            events: journal.events, answers: journal.answers)
        #expect(CandidateTestSnapshot(replayed) == CandidateTestSnapshot(test))
        // And it goes on as the original would: the same challenge next.
        var original = test
        var copy = replayed
        #expect((try? original.apply(.next, Self.context(now + 1)))?.reply == (try? copy.apply(.next, Self.context(now + 1)))?.reply)
    }

    @Test func anUnusedAuthorisationComesBackWithItsExpiry() throws {
        var journal = Journal()
        var test = Self.newTest()
        try Self.run(&test, .authorize(session: Self.gate), at: 1_000, &journal)
        let replayed = try CandidateTest.replay(
            enrolment: Self.enrolment(), bank: Self.bank, rules: .coreV3, seed: Self.seed,
            events: journal.events, answers: [])
        #expect(replayed.state.status == .authorizedToStart)
        #expect(replayed.state.authorization?.expiresAtSeconds == 1_900)
        var late = replayed
        #expect { try late.apply(.start(session: Self.gate, assessmentId: "A-1", tokenHash: "h"), Self.context(1_900)) }
            throws: { ($0 as? LifecycleError)?.code == .authorizationExpired }
    }

    @Test func aJournalThatDoesNotReplayIsAMismatchNotARepair() throws {
        var journal = Journal()
        var test = try Self.started(&journal)
        for second in 0..<3 { _ = try Self.answerCurrent(&test, at: 30 + Double(second), &journal) }
        var answers = journal.answers
        answers[1].challengeId = answers[0].challengeId
        #expect { try CandidateTest.replay(enrolment: Self.enrolment(), bank: Self.bank, rules: .coreV3,
                                            seed: Self.seed, events: journal.events, answers: answers) }
            throws: { ($0 as? LifecycleError)?.code == .recoveryMismatch }
        // Another seed picks other challenges: the journal is not silently re-interpreted.
        #expect { try CandidateTest.replay(enrolment: Self.enrolment(), bank: Self.bank, rules: .coreV3,
                                            seed: Self.seed + 1, events: journal.events, answers: journal.answers) }
            throws: { ($0 as? LifecycleError)?.code == .recoveryMismatch }
        var events = journal.events
        events[0].kind = "somethingElse"
        #expect { try CandidateTest.replay(enrolment: Self.enrolment(), bank: Self.bank, rules: .coreV3,
                                            seed: Self.seed, events: events, answers: journal.answers) }
            throws: { ($0 as? LifecycleError)?.code == .recoveryMismatch }
    }
}

/// What two tests must share to be the same test (the adaptive buffers compared through what
/// they decide: answers, the challenge on screen, the estimate).
struct CandidateTestSnapshot: Equatable {
    let state: CandidateState
    let liveAlerts: LiveAlertLedger
    let companionAlerts: CompanionAlertLedger
    let assessmentId: String?
    let answersCount: Int
    let eventsCount: Int
    let alertsRaised: Int
    let answers: [Answer]?
    let currentChallengeId: String?
    let capacity: Double?
    let errorRate: Double?
    let scored: CandidateTest.Scored?

    init(_ test: CandidateTest) {
        state = test.state
        liveAlerts = test.liveAlerts
        companionAlerts = test.companionAlerts
        assessmentId = test.assessmentId
        answersCount = test.answersCount
        eventsCount = test.eventsCount
        alertsRaised = test.alertsRaised
        answers = test.adaptive?.answers
        currentChallengeId = test.adaptive?.currentChallengeId
        capacity = test.adaptive?.estimate.capacity
        errorRate = test.adaptive?.estimate.errorRate
        scored = test.scored
    }
}
