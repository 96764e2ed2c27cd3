@testable import CertCore
import Foundation
import Testing

/// DESIGN §3.5 checked against the written table, not against the implementation.
@Suite struct ScoringTests {
    /// (min, max, weight, coefficient) as written in DESIGN §3.5.
    static let table: [(Double, Double, Double, Double)] = [
        (-8, -1.4, 64, 0), (-1.4, -0.519, 64, 1), (-0.519, 0.6, 128, 1), (0.6, 1.5, 128, 2),
        (1.5, 2.25, 128, 3), (2.25, 3.1, 128, 4), (3.1, 4, 128, 5), (4, 8, 128, 6),
    ]
    static let bandStarts = [0, 64, 128, 256, 384, 512, 640, 768]

    @Test func everyIntervalLowerBoundHitsItsBandStartExactly() {
        for (index, row) in Self.table.enumerated() {
            let (score, mesh) = Scoring.globalScore(capacity: row.0)
            #expect(score == Self.bandStarts[index], "θ = \(row.0)")
            #expect(mesh == index)
            // Just below the bound: last score of the previous band. (One ulp below can round
            // back up to the band start in floating point; 1e-9 below is unambiguous.)
            if index > 0 {
                let below = Scoring.globalScore(capacity: row.0 - 1e-9)
                #expect(below.pixScore == Self.bandStarts[index] - 1)
                #expect(below.meshLevel == index - 1)
            }
        }
    }

    @Test func outsideTheIntervalsScoresAreZeroAnd895() {
        #expect(Scoring.globalScore(capacity: (-8.0).nextDown) == (0, 0))
        #expect(Scoring.globalScore(capacity: -20) == (0, 0))
        #expect(Scoring.globalScore(capacity: 8) == (895, 7))
        #expect(Scoring.globalScore(capacity: 12) == (895, 7))
        // Top of the last interval: floor(128·(7 − tiny)) = 895.
        #expect(Scoring.globalScore(capacity: 8.0.nextDown).pixScore == 895)
    }

    @Test func handWorkedScores() {
        // θ = −3: interval 0, floor(64·(1 − 1.6/6.6)) = floor(48.48...) = 48.
        #expect(Scoring.globalScore(capacity: -3) == (48, 0))
        // θ = 1: interval [0.6, 1.5), floor(128·(3 − 0.5/0.9)) = floor(312.88...) = 312.
        #expect(Scoring.globalScore(capacity: 1) == (312, 3))
        // θ = 3.5: interval [3.1, 4), floor(128·(6 − 0.5/0.9)) = floor(696.88...) = 696.
        #expect(Scoring.globalScore(capacity: 3.5) == (696, 6))
    }

    @Test func scoreIsMonotoneAndMeshLevelIsTheBandOfTheScore() {
        var previous = -1
        for step in 0...20_000 {
            let theta = -10 + Double(step) * 0.001
            let (score, mesh) = Scoring.globalScore(capacity: theta)
            #expect(score >= previous, "θ = \(theta)")
            #expect(score >= 0 && score <= 895)
            #expect(Self.bandStarts[mesh] <= score && (mesh == 7 || score < Self.bandStarts[mesh + 1]))
            previous = score
        }
    }

    @Test func competenceLevelsFollowTheThresholds() {
        let cases: [(Double, Int)] = [(-9, 0), ((-2.0).nextDown, 0), (-2, 1), (-1.5, 1), (-1, 2), (0.49, 2), (0.5, 3),
                                      (1, 4), (1.99, 4), (2, 5), (3, 6), (3.99, 6), (4, 7), (9, 7)]
        for (theta, level) in cases { #expect(Scoring.competenceLevel(capacity: theta) == level, "θ = \(theta)") }
    }

    // MARK: Status rules.

    static func answers(_ count: Int, bank: ItemBank, result: AnswerResult = .ok) -> [Answer] {
        // One challenge per tube, so any prefix is a plausible test.
        var seen = Set<String>()
        let picks = bank.challenges.filter { seen.insert($0.tube).inserted }
        return picks.prefix(count).map { Answer(challengeId: $0.id, result: result) }
    }

    @Test func abortedTestsBelowTwentyAnswersAreRejected() throws {
        let bank = try Fixtures.scoreBank()
        for reason in AbortReason.allCases {
            let result = try Scoring.score(answers: Self.answers(19, bank: bank), abortReason: reason,
                                           validatedAlertChallengeIds: [], bank: bank, configuration: .default)
            #expect(result.status == .rejected)
        }
        let finished = try Scoring.score(answers: Self.answers(19, bank: bank), abortReason: nil,
                                         validatedAlertChallengeIds: [], bank: bank, configuration: .default)
        #expect(finished.status == .validated)
    }

    @Test func technicalAbortAfterTwentyIsValidatedWithoutDowngrade() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(24, bank: bank)
        let result = try Scoring.score(answers: answers, abortReason: .technical, validatedAlertChallengeIds: [],
                                       bank: bank, configuration: .default)
        #expect(result.status == .validated)
        #expect(result.capacity == result.history.last?.capacity)
    }

    @Test func candidateAbortAfterTwentyIsDowngraded() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(24, bank: bank)
        let result = try Scoring.score(answers: answers, abortReason: .candidate, validatedAlertChallengeIds: [],
                                       bank: bank, configuration: .default)
        #expect(result.status == .validated)
        #expect(result.history.count == 24)
        // Eight simulated wrong answers can only pull the capacity down.
        #expect(result.capacity < result.history.last!.capacity)
    }

    @Test func candidateAbortWithAllAnswersIsNotDowngraded() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(32, bank: bank, result: .ko)
        let result = try Scoring.score(answers: answers, abortReason: .candidate, validatedAlertChallengeIds: [],
                                       bank: bank, configuration: .default)
        #expect(result.capacity == result.history.last?.capacity)
    }

    @Test func validatedAlertAnswersAreLeftOut() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(5, bank: bank)
        let alerted = answers[1].challengeId
        let result = try Scoring.score(answers: answers, abortReason: nil, validatedAlertChallengeIds: [alerted],
                                       bank: bank, configuration: .default)
        let without = try Scoring.score(answers: answers.filter { $0.challengeId != alerted }, abortReason: nil,
                                        validatedAlertChallengeIds: [], bank: bank, configuration: .default)
        #expect(result.answersCount == 4)
        #expect(result.history == without.history)
    }

    @Test func moreCountedAnswersThanTheMaximumIsAnError() throws {
        let bank = try Fixtures.scoreBank()
        var configuration = AlgorithmConfiguration()
        configuration.maximumAssessmentLength = 3
        #expect(throws: ScoringError.self) {
            try Scoring.score(answers: Self.answers(4, bank: bank), abortReason: nil, validatedAlertChallengeIds: [],
                              bank: bank, configuration: configuration)
        }
    }

    @Test func competenceLevelsNameEveryCompetenceOfTheBank() throws {
        let bank = try Fixtures.scoreBank()
        let result = try Scoring.score(answers: [], abortReason: nil, validatedAlertChallengeIds: [], bank: bank,
                                       configuration: .default)
        #expect(Set(result.competenceLevels.keys) == Set(bank.competences.map(\.id)))
    }
}
