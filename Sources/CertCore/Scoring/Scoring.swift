import Foundation

/// Turns a finished (or ended) test into a `CertificationResult` (DESIGN §3.5): estimate,
/// downgrade simulation for early candidate aborts, global score, mesh level, competence
/// levels, status.
public enum Scoring {
    /// Counted answers below which an aborted test is rejected.
    public static let minimumAnswersForAbortedTest = 20

    /// One global-score interval: capacities in [minimumCapacity, maximumCapacity).
    public struct ScoreInterval: Sendable, Equatable {
        public let minimumCapacity: Double
        public let maximumCapacity: Double
        public let weight: Double
        public let coefficient: Double
    }

    public static let scoreIntervals: [ScoreInterval] = [
        ScoreInterval(minimumCapacity: -8, maximumCapacity: -1.4, weight: 64, coefficient: 0),
        ScoreInterval(minimumCapacity: -1.4, maximumCapacity: -0.519, weight: 64, coefficient: 1),
        ScoreInterval(minimumCapacity: -0.519, maximumCapacity: 0.6, weight: 128, coefficient: 1),
        ScoreInterval(minimumCapacity: 0.6, maximumCapacity: 1.5, weight: 128, coefficient: 2),
        ScoreInterval(minimumCapacity: 1.5, maximumCapacity: 2.25, weight: 128, coefficient: 3),
        ScoreInterval(minimumCapacity: 2.25, maximumCapacity: 3.1, weight: 128, coefficient: 4),
        ScoreInterval(minimumCapacity: 3.1, maximumCapacity: 4, weight: 128, coefficient: 5),
        ScoreInterval(minimumCapacity: 4, maximumCapacity: 8, weight: 128, coefficient: 6),
    ]
    public static let maximumPixScore = 895
    /// First score of each mesh level's band: 0–63, 64–127, 128–255, ... 768–895.
    public static let meshBandStarts = [0, 64, 128, 256, 384, 512, 640, 768]
    /// Capacity at which each competence level from 1 to 7 starts.
    public static let competenceLevelThresholds: [Double] = [-2, -1, 0.5, 1, 2, 3, 4]

    public static func globalScore(capacity: Double) -> (pixScore: Int, meshLevel: Int) {
        let score: Int
        if let first = scoreIntervals.first, capacity < first.minimumCapacity {
            score = 0
        } else if let interval = scoreIntervals.first(where: { $0.minimumCapacity <= capacity && capacity < $0.maximumCapacity }) {
            let share = (interval.maximumCapacity - capacity) / (interval.maximumCapacity - interval.minimumCapacity)
            score = min(maximumPixScore, Int((interval.weight * (interval.coefficient + 1 - share)).rounded(.down)))
        } else {
            score = maximumPixScore
        }
        let meshLevel = (meshBandStarts.lastIndex(where: { $0 <= score }) ?? 0)
        return (score, meshLevel)
    }

    public static func competenceLevel(capacity: Double) -> Int {
        competenceLevelThresholds.filter { $0 <= capacity }.count
    }

    public static func score(
        answers: [Answer], abortReason: AbortReason?, validatedAlertChallengeIds: Set<String>,
        bank: ItemBank, configuration: AlgorithmConfiguration, locale: String = "fr-fr",
        needsAccessibility: Bool = false
    ) throws(ScoringError) -> CertificationResult {
        var excludedSkills = Set<String>()
        for id in validatedAlertChallengeIds {
            guard let challenge = bank.challenge(withId: id) else { throw ScoringError.unknownChallenge(id) }
            excludedSkills.insert(challenge.skill)
        }
        var counted: [(challenge: Challenge, correct: Bool)] = []
        for answer in answers {
            guard let challenge = bank.challenge(withId: answer.challengeId) else {
                throw ScoringError.unknownChallenge(answer.challengeId)
            }
            if !validatedAlertChallengeIds.contains(answer.challengeId) {
                counted.append((challenge, answer.result.isCorrect))
            }
        }
        guard counted.count <= configuration.maximumAssessmentLength else {
            throw ScoringError(.tooManyAnswers, "\(counted.count) counted answers, more than maximumAssessmentLength \(configuration.maximumAssessmentLength)")
        }

        var estimator = CapacityEstimator(configuration: configuration)
        var history: [CapacityEstimate] = []
        for answer in counted {
            estimator.add(answer.challenge, correct: answer.correct)
            history.append(estimator.estimate)
        }
        var final = estimator.estimate
        let status: CertificationStatus
        if abortReason != nil && counted.count < minimumAnswersForAbortedTest {
            status = .rejected
        } else if abortReason == .candidate && counted.count < configuration.maximumAssessmentLength {
            final = downgradedEstimate(real: counted, reached: final.capacity, bank: bank, configuration: configuration,
                                       pool: ChallengeSelection.pool(bank: bank, locale: locale,
                                                                     needsAccessibility: needsAccessibility,
                                                                     excludedSkills: excludedSkills))
            status = .validated
        } else {
            status = .validated
        }

        let (pixScore, meshLevel) = globalScore(capacity: final.capacity)
        let level = competenceLevel(capacity: final.capacity)
        return CertificationResult(
            capacity: final.capacity, errorRate: final.errorRate, pixScore: pixScore, meshLevel: meshLevel,
            competenceLevels: Dictionary(uniqueKeysWithValues: bank.competences.map { ($0.id, level) }),
            status: status, answersCount: counted.count, history: history)
    }

    /// Simulates the missing answers as wrong, each on the best challenge (pick probability
    /// 100 %) under the same rules, every estimate re-run over all answers so far from the
    /// capacity the real answers reached. Stops early if the bank runs out of challenges.
    static func downgradedEstimate(
        real: [(challenge: Challenge, correct: Bool)], reached: Double, bank: ItemBank,
        configuration: AlgorithmConfiguration, pool: [Int]
    ) -> CapacityEstimate {
        var all = real
        var estimate = CapacityEstimation.estimate(of: all, configuration: configuration, initialCapacity: reached)
        while all.count < configuration.maximumAssessmentLength {
            guard let eligible = try? ChallengeSelection.eligible(pool: pool, answered: all.map(\.challenge), bank: bank,
                                                                  configuration: configuration),
                  let best = ChallengeSelection.ranked(eligible, capacity: estimate.capacity, bank: bank).first
            else { break }
            all.append((bank.challenges[best], false))
            estimate = CapacityEstimation.estimate(of: all, configuration: configuration, initialCapacity: reached)
        }
        return estimate
    }
}
