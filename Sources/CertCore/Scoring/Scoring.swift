import Foundation

/// Turns a finished (or ended) test into a `CertificationResult` under a certification version
/// (DESIGN §3.5): estimate, downgrade simulation for early candidate aborts, status and its
/// reason, then — for a validated certification only — Pix score, mesh level and its label,
/// competence levels. Every number comes from the version.
public enum Scoring {
    /// The Pix score and capacity interval of θ under `version`, whatever the status rules say
    /// (analysis: the level a true θ would give). Nil interval below the first min.
    public static func grade(capacity: Double, version: CertificationVersion) -> (intervalIndex: Int?, pixScore: Int?) {
        guard let index = version.intervalIndex(containing: capacity) else { return (nil, version.pixScore ? 0 : nil) }
        return (index, version.pixScore(capacity: capacity, intervalIndex: index))
    }

    /// Scores a test. `configuration` is the version's `challenges` with any overrides (the
    /// estimator, a request's `algorithm`) applied on top.
    public static func score(
        answers: [Answer], abortReason: AbortReason?, validatedAlertChallengeIds: Set<String>,
        bank: ItemBank, version: CertificationVersion, configuration: AlgorithmConfiguration
    ) throws(ScoringError) -> CertificationResult {
        var excludedSkills = Set<String>()
        for id in validatedAlertChallengeIds {
            guard let challenge = bank.challenge(withId: id) else { throw ScoringError.unknownChallenge(id) }
            excludedSkills.insert(challenge.skill)
        }
        var counted: [(challenge: Challenge, correct: Bool)] = []
        var countedIndices: [Int] = []
        counted.reserveCapacity(answers.count)
        countedIndices.reserveCapacity(answers.count)
        for answer in answers {
            guard let index = bank.index(ofChallenge: answer.challengeId) else {
                throw ScoringError.unknownChallenge(answer.challengeId)
            }
            if !validatedAlertChallengeIds.contains(answer.challengeId) {
                counted.append((bank.challenges[index], answer.result.isCorrect))
                countedIndices.append(index)
            }
        }
        guard counted.count <= configuration.maximumAssessmentLength else {
            throw ScoringError(.tooManyAnswers, "\(counted.count) counted answers, more than maximumAssessmentLength \(configuration.maximumAssessmentLength)")
        }

        // The bank's response tables hold the very factors `add(_:correct:)` computes (one
        // `exp` per grid point), so reading them gives the same estimates bit for bit; a test
        // is scored at its last answer, on the request path.
        var estimator = CapacityEstimator(configuration: configuration)
        let response = BankTables.shared(for: bank).response
        var history: [CapacityEstimate] = []
        history.reserveCapacity(counted.count)
        for (answer, index) in zip(counted, countedIndices) {
            response.withFactors(challenge: index, correct: answer.correct) { estimator.add(factors: $0) }
            history.append(estimator.estimate)
        }
        var final = estimator.estimate
        func unscored(_ status: CertificationStatus, _ reason: StatusReason) -> CertificationResult {
            CertificationResult(capacity: final.capacity, errorRate: final.errorRate, pixScore: nil, meshLevel: nil,
                                level: nil, competenceLevels: nil, status: status, statusReason: reason,
                                answersCount: counted.count, history: history, version: version.id)
        }
        if let abortReason, counted.count < version.minimumAnswersToValidate {
            return unscored(abortReason == .technical ? .cancelled : .rejected, .notEnoughAnswers)
        }
        if abortReason == .candidate && counted.count < configuration.maximumAssessmentLength {
            let pool = ChallengeSelection.pool(bank: bank, excludedSkills: excludedSkills)
            final = downgradedEstimate(real: counted, reached: final.capacity, bank: bank, configuration: configuration,
                                       pool: pool)
        }
        let (intervalIndex, pixScore) = grade(capacity: final.capacity, version: version)
        guard let intervalIndex else { return unscored(.rejected, .belowFirstInterval) }
        if pixScore == 0 { return unscored(.rejected, .zeroScore) }
        return CertificationResult(
            capacity: final.capacity, errorRate: final.errorRate, pixScore: pixScore, meshLevel: intervalIndex,
            level: version.intervals[intervalIndex].label,
            competenceLevels: version.competenceLevels(capacity: final.capacity, competenceIds: bank.competences.map(\.id)),
            status: .validated, statusReason: nil, answersCount: counted.count, history: history, version: version.id)
    }

    /// Simulates the missing answers as wrong, each on the best challenge (pick probability
    /// 100 %) of `pool` under the same rules, every estimate re-run over all answers so far from
    /// the capacity the real answers reached. Stops early if the pool runs out of challenges.
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
