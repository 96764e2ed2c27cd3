/// One candidate's adaptive test as a value (DESIGN §3.4): the answers, the pending challenge,
/// the validated live alerts and the running estimate. The daemon's engine actor holds one per
/// candidate; every transition is a mutating function that either succeeds or throws and
/// changes nothing.
///
/// ```swift
/// var test = AdaptiveTest(bank: bank, configuration: .default)
/// var random = SeededRandom(seed: seed, candidateKey, UInt64(test.answers.count))
/// if let challenge = try test.nextChallenge(using: &random) {
///     try test.record(Answer(challengeId: challenge.id, result: .ok))
/// }
/// ```
public struct AdaptiveTest: Sendable {
    public let bank: ItemBank
    public let configuration: AlgorithmConfiguration
    public let locale: String
    public let needsAccessibility: Bool
    /// Every answer given, in order (validated-alert ones included).
    public private(set) var answers: [Answer] = []
    /// Served and not yet answered.
    public private(set) var currentChallengeId: String?
    public private(set) var validatedAlertChallengeIds: Set<String> = []
    private var excludedSkills: Set<String> = []
    /// Challenges of the counted answers, in order.
    private var countedChallenges: [Challenge] = []
    private var estimator: CapacityEstimator
    private var pool: [Int]

    public init(bank: ItemBank, configuration: AlgorithmConfiguration, locale: String = "fr-fr",
                needsAccessibility: Bool = false) {
        self.bank = bank
        self.configuration = configuration
        self.locale = locale
        self.needsAccessibility = needsAccessibility
        estimator = CapacityEstimator(configuration: configuration)
        pool = ChallengeSelection.pool(bank: bank, locale: locale, needsAccessibility: needsAccessibility,
                                       excludedSkills: [])
    }

    /// The estimate over counted answers.
    public var estimate: CapacityEstimate { estimator.estimate }

    /// Answers that count (those without a validated live alert).
    public var countedAnswerCount: Int { countedChallenges.count }

    public var isComplete: Bool { countedChallenges.count >= configuration.maximumAssessmentLength }

    /// Serves the current challenge again if one is pending (resume); else picks the next with
    /// `random`. Returns nil when the test is complete. `random` must be keyed by (seed,
    /// candidate, question number) so that a run replays.
    public mutating func nextChallenge(using random: inout SeededRandom) throws(SelectionError) -> Challenge? {
        if let currentChallengeId, let pending = bank.challenge(withId: currentChallengeId) {
            return pending
        }
        if isComplete { return nil }
        let eligible = try ChallengeSelection.eligible(pool: pool, answered: countedChallenges, bank: bank,
                                                       configuration: configuration)
        let ranked = ChallengeSelection.ranked(eligible, capacity: estimator.estimate.capacity, bank: bank)
        let pick = ChallengeSelection.pickIndex(count: ranked.count,
                                                probabilityPercent: configuration.defaultProbabilityToPickChallenge,
                                                using: &random)
        let challenge = bank.challenges[ranked[pick]]
        currentChallengeId = challenge.id
        return challenge
    }

    /// Records the answer to the pending challenge and updates the estimate.
    public mutating func record(_ answer: Answer) throws(SelectionError) {
        guard !isComplete else {
            throw SelectionError(code: "TOO_MANY_ANSWERS",
                                 message: "the test already has \(configuration.maximumAssessmentLength) answers")
        }
        guard let currentChallengeId, currentChallengeId == answer.challengeId,
              let challenge = bank.challenge(withId: currentChallengeId) else {
            throw SelectionError(code: "NOT_CURRENT_CHALLENGE",
                                 message: "challenge \"\(answer.challengeId)\" is not the one being asked (\(self.currentChallengeId ?? "none"))")
        }
        answers.append(answer)
        countedChallenges.append(challenge)
        estimator.add(challenge, correct: answer.result.isCorrect)
        self.currentChallengeId = nil
    }

    /// A live alert on `challengeId` was validated: its skill leaves the pool, a pending
    /// challenge with that id is dropped, and an answer to it stops counting.
    public mutating func validateLiveAlert(challengeId: String) throws(SelectionError) {
        guard let challenge = bank.challenge(withId: challengeId) else {
            throw SelectionError.unknownChallenge(challengeId)
        }
        validatedAlertChallengeIds.insert(challengeId)
        if excludedSkills.insert(challenge.skill).inserted {
            pool = ChallengeSelection.pool(bank: bank, locale: locale, needsAccessibility: needsAccessibility,
                                           excludedSkills: excludedSkills)
        }
        if currentChallengeId == challengeId { currentChallengeId = nil }
        if answers.contains(where: { $0.challengeId == challengeId }) { recount() }
    }

    /// Rebuilds a test from its journal (recovery): the answers in order, the validated alerts
    /// and the challenge pending when the journal stopped.
    public static func replay(
        bank: ItemBank, configuration: AlgorithmConfiguration, locale: String = "fr-fr",
        needsAccessibility: Bool = false, answers: [Answer], validatedAlertChallengeIds: Set<String>,
        currentChallengeId: String?
    ) throws(SelectionError) -> AdaptiveTest {
        var test = AdaptiveTest(bank: bank, configuration: configuration, locale: locale,
                                needsAccessibility: needsAccessibility)
        for id in validatedAlertChallengeIds.sorted() {
            try test.validateLiveAlert(challengeId: id)
        }
        for answer in answers {
            guard bank.challenge(withId: answer.challengeId) != nil else {
                throw SelectionError.unknownChallenge(answer.challengeId)
            }
        }
        test.answers = answers
        test.recount()
        if test.countedChallenges.count > configuration.maximumAssessmentLength {
            throw SelectionError(code: "TOO_MANY_ANSWERS",
                                 message: "the journal holds \(test.countedChallenges.count) counted answers, more than \(configuration.maximumAssessmentLength)")
        }
        if let currentChallengeId {
            guard bank.challenge(withId: currentChallengeId) != nil else {
                throw SelectionError.unknownChallenge(currentChallengeId)
            }
            if !test.validatedAlertChallengeIds.contains(currentChallengeId) && !test.isComplete {
                test.currentChallengeId = currentChallengeId
            }
        }
        return test
    }

    private mutating func recount() {
        countedChallenges = answers.compactMap { answer in
            validatedAlertChallengeIds.contains(answer.challengeId) ? nil : bank.challenge(withId: answer.challengeId)
        }
        estimator = CapacityEstimator(configuration: configuration)
        for (challenge, answer) in zip(countedChallenges, answers.filter { !validatedAlertChallengeIds.contains($0.challengeId) }) {
            estimator.add(challenge, correct: answer.result.isCorrect)
        }
    }
}
