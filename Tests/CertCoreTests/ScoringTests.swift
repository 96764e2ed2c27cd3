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

    static let v2023 = BuiltInVersions.coreV32023
    static let v3 = BuiltInVersions.coreV3

    static func score(_ theta: Double, _ version: CertificationVersion = v2023) -> (pixScore: Int?, meshLevel: Int?) {
        let grade = Scoring.grade(capacity: theta, version: version)
        return (grade.pixScore, grade.intervalIndex)
    }

    @Test func everyIntervalLowerBoundHitsItsBandStartExactly() {
        for (index, row) in Self.table.enumerated() {
            let (score, mesh) = Self.score(row.0)
            #expect(score == Self.bandStarts[index], "θ = \(row.0)")
            #expect(mesh == index)
            // Just below the bound: last score of the previous band. (One ulp below can round
            // back up to the band start in floating point; 1e-9 below is unambiguous.)
            if index > 0 {
                let below = Self.score(row.0 - 1e-9)
                #expect(below.pixScore == Self.bandStarts[index] - 1)
                #expect(below.meshLevel == index - 1)
            }
        }
    }

    @Test func belowTheFirstIntervalThereIsNoIntervalAndAboveTheLastTheTop() {
        #expect(Self.score((-8.0).nextDown).meshLevel == nil)
        #expect(Self.score(-20).meshLevel == nil)
        #expect(Self.score(8) == (895, 7))
        #expect(Self.score(12) == (895, 7))
        // Top of the last interval: floor(128·(7 − tiny)) = 895.
        #expect(Self.score(8.0.nextDown).pixScore == 895)
        #expect(Self.v3.maximumPixScore == 895)
    }

    @Test func handWorkedScores() {
        // θ = −3 under 2023: interval 0, floor(64·(1 − 1.6/6.6)) = floor(48.48...) = 48.
        #expect(Self.score(-3) == (48, 0))
        // θ = −3 under core-v3 ([−4.67, −1.4)): floor(64·(1 − 1.6/3.27)) = floor(32.68...) = 32.
        #expect(Self.score(-3, Self.v3) == (32, 0))
        // θ = 1: interval [0.6, 1.5), floor(128·(3 − 0.5/0.9)) = floor(312.88...) = 312.
        #expect(Self.score(1) == (312, 3))
        // θ = 3.5: interval [3.1, 4), floor(128·(6 − 0.5/0.9)) = floor(696.88...) = 696.
        #expect(Self.score(3.5) == (696, 6))
    }

    /// The hand-worked zero-score case of DESIGN §3.5: under core-v3, θ = −4.66 is inside the
    /// first interval [−4.67, −1.4) but floor(64·(1 − (−1.4 + 4.66)/3.27)) = floor(0.195…) = 0, so
    /// the certification is rejected (zeroScore) with no score, level or competence levels.
    @Test func justAboveTheFirstBoundScoresZeroAndIsRejected() throws {
        #expect(Self.score(-4.66, Self.v3) == (0, 0))
        let bank = try Fixtures.scoreBank()
        var configuration = Self.v3.challenges
        configuration.defaultCandidateCapacity = -4.66
        let result = try Scoring.score(answers: [], abortReason: nil, validatedAlertChallengeIds: [], bank: bank,
                                       version: Self.v3, configuration: configuration)
        #expect(result.status == .rejected)
        #expect(result.statusReason == .zeroScore)
        #expect(result.pixScore == nil && result.meshLevel == nil && result.level == nil && result.competenceLevels == nil)
        #expect(result.capacity == -4.66)
        // floor(64·(1 − 3.26/3.27 + …)) first reaches 1 at θ = −4.67 + 3.27/64 ≈ −4.6189.
        #expect(Self.score(-4.61, Self.v3) == (1, 0))
    }

    @Test func scoreIsMonotoneAndMeshLevelIsTheCapacityInterval() {
        var previous = -1
        for step in 0...20_000 {
            let theta = -8 + Double(step) * 0.0008
            let (score, mesh) = Self.score(theta)
            guard let score, let mesh else { Issue.record("θ = \(theta) has no interval"); return }
            #expect(score >= previous, "θ = \(theta)")
            #expect(score >= 0 && score <= 895)
            #expect(Self.table[mesh].0 <= theta && (mesh == 7 || theta < Self.table[mesh].1))
            previous = score
        }
    }

    @Test func competenceLevelsFollowTheThresholds() {
        let cases: [(Double, Int)] = [(-9, 0), ((-2.0).nextDown, 0), (-2, 1), (-1.5, 1), (-1, 2), (0.49, 2), (0.5, 3),
                                      (1, 4), (1.99, 4), (2, 5), (3, 6), (3.99, 6), (4, 7), (9, 7)]
        for (theta, level) in cases {
            #expect(Self.v3.competenceLevels(capacity: theta, competenceIds: ["1.1"]) == ["1.1": level], "θ = \(theta)")
        }
    }

    // MARK: Status rules.

    static func answers(_ count: Int, bank: ItemBank, result: AnswerResult = .ok) -> [Answer] {
        // One challenge per tube, so any prefix is a plausible test.
        var seen = Set<String>()
        let picks = bank.challenges.filter { seen.insert($0.tube).inserted }
        return picks.prefix(count).map { Answer(challengeId: $0.id, result: result) }
    }

    @Test func abortedTestsBelowTwentyAnswersAreCancelledOrRejected() throws {
        let bank = try Fixtures.scoreBank()
        for reason in AbortReason.allCases {
            let result = try Scoring.score(answers: Self.answers(19, bank: bank), abortReason: reason,
                                           validatedAlertChallengeIds: [], bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
            #expect(result.status == (reason == .technical ? .cancelled : .rejected))
            #expect(result.statusReason == .notEnoughAnswers)
            #expect(result.pixScore == nil && result.competenceLevels == nil)
        }
        let finished = try Scoring.score(answers: Self.answers(19, bank: bank), abortReason: nil,
                                         validatedAlertChallengeIds: [], bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        #expect(finished.status == .validated)
    }

    @Test func technicalAbortAfterTwentyIsValidatedWithoutDowngrade() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(24, bank: bank)
        let result = try Scoring.score(answers: answers, abortReason: .technical, validatedAlertChallengeIds: [],
                                       bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        #expect(result.status == .validated)
        #expect(result.capacity == result.history.last?.capacity)
    }

    @Test func candidateAbortAfterTwentyIsDowngraded() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(24, bank: bank)
        let result = try Scoring.score(answers: answers, abortReason: .candidate, validatedAlertChallengeIds: [],
                                       bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        #expect(result.status == .validated)
        #expect(result.history.count == 24)
        // Eight simulated wrong answers can only pull the capacity down.
        #expect(result.capacity < result.history.last!.capacity)
    }

    @Test func candidateAbortWithAllAnswersIsNotDowngraded() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(32, bank: bank, result: .ko)
        let result = try Scoring.score(answers: answers, abortReason: .candidate, validatedAlertChallengeIds: [],
                                       bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        #expect(result.capacity == result.history.last?.capacity)
    }

    @Test func validatedAlertAnswersAreLeftOut() throws {
        let bank = try Fixtures.scoreBank()
        let answers = Self.answers(5, bank: bank)
        let alerted = answers[1].challengeId
        let result = try Scoring.score(answers: answers, abortReason: nil, validatedAlertChallengeIds: [alerted],
                                       bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        let without = try Scoring.score(answers: answers.filter { $0.challengeId != alerted }, abortReason: nil,
                                        validatedAlertChallengeIds: [], bank: bank, version: BuiltInVersions.coreV3, configuration: .default)
        #expect(result.answersCount == 4)
        #expect(result.history == without.history)
    }

    @Test func moreCountedAnswersThanTheMaximumIsAnError() throws {
        let bank = try Fixtures.scoreBank()
        var configuration = AlgorithmConfiguration()
        configuration.maximumAssessmentLength = 3
        #expect(throws: ScoringError.self) {
            try Scoring.score(answers: Self.answers(4, bank: bank), abortReason: nil, validatedAlertChallengeIds: [],
                              bank: bank, version: BuiltInVersions.coreV3, configuration: configuration)
        }
    }

    @Test func competenceLevelsNameEveryCompetenceOfTheBank() throws {
        let bank = try Fixtures.scoreBank()
        let result = try Scoring.score(answers: [], abortReason: nil, validatedAlertChallengeIds: [], bank: bank,
                                       version: BuiltInVersions.coreV3, configuration: .default)
        #expect(Set(result.competenceLevels?.keys.map { $0 } ?? []) == Set(bank.competences.map(\.id)))
    }

    /// Scoring reads the bank's precomputed response factors; the estimates must be the ones
    /// computed point by point from the response model (one `exp` per grid point, here in the
    /// test), bit for bit, at every step of the history.
    @Test func scoringFromTheResponseTablesEqualsTheDirectUpdateBitForBit() throws {
        let bank = BankGenerator.generate(challenges: 300, seed: 11)
        var random = SeededRandom(seed: 5, SeededRandom.key("scoring-tables"))
        for configuration in [AlgorithmConfiguration.default, {
            var eap = AlgorithmConfiguration.default
            eap.estimator = .eap
            return eap
        }()] {
            let picked = (0..<32).map { _ in bank.challenges[Int(random.next() % UInt64(bank.challenges.count))] }
            var seen = Set<String>()
            let distinct = picked.filter { seen.insert($0.id).inserted }
            let answers = distinct.map { Answer(challengeId: $0.id, result: random.next() % 3 == 0 ? .ko : .ok) }
            let result = try Scoring.score(answers: answers, abortReason: nil, validatedAlertChallengeIds: [],
                                           bank: bank, version: BuiltInVersions.coreV3, configuration: configuration)
            var direct = CapacityEstimator(configuration: configuration)
            var history: [CapacityEstimate] = []
            for (challenge, answer) in zip(distinct, answers) {
                let grid = CapacityGrid.points
                var factors = [Double](repeating: 0, count: grid.count)
                for k in grid.indices {
                    let p = 1.0 / (1.0 + Foundation.exp(challenge.discriminant * (challenge.difficulty - grid[k])))
                    factors[k] = answer.result.isCorrect ? p : 1.0 - p
                }
                factors.withUnsafeBufferPointer { direct.add(factors: $0) }
                history.append(direct.estimate)
            }
            #expect(result.history.count == history.count)
            for (got, want) in zip(result.history, history) {
                #expect(got.capacity.bitPattern == want.capacity.bitPattern)
                #expect(got.errorRate.bitPattern == want.errorRate.bitPattern)
            }
            #expect(result.capacity.bitPattern == direct.estimate.capacity.bitPattern)
        }
    }
}
