/// Whole-sequence estimation helpers over answers identified by challenge id.
public enum CapacityEstimation {
    /// The estimate after each answer, in order. The caller removes validated-alert answers.
    public static func history(
        of answers: [Answer], in bank: ItemBank, configuration: AlgorithmConfiguration
    ) throws(ScoringError) -> [CapacityEstimate] {
        var estimator = CapacityEstimator(configuration: configuration)
        var history: [CapacityEstimate] = []
        history.reserveCapacity(answers.count)
        for answer in answers {
            guard let challenge = bank.challenge(withId: answer.challengeId) else {
                throw ScoringError.unknownChallenge(answer.challengeId)
            }
            estimator.add(challenge, correct: answer.result.isCorrect)
            history.append(estimator.estimate)
        }
        return history
    }

    /// The final estimate over `answers`, starting flash from `initialCapacity`.
    static func estimate(
        of answers: [(challenge: Challenge, correct: Bool)], configuration: AlgorithmConfiguration,
        initialCapacity: Double
    ) -> CapacityEstimate {
        var estimator = CapacityEstimator(configuration: configuration, initialCapacity: initialCapacity)
        for answer in answers { estimator.add(answer.challenge, correct: answer.correct) }
        return estimator.estimate
    }
}
