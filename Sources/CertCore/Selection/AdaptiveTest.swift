/// One candidate's adaptive test as a value (DESIGN §3.4): the answers, the pending challenge,
/// the validated live alerts and the running estimate. The daemon's engine holds one per
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
    /// Bank index of `currentChallengeId`.
    private var currentIndex: Int?
    private var excludedSkills: Set<String> = []
    /// Bank indices of the counted answers' challenges, in order.
    private var countedIndices: [Int] = []
    private var estimator: CapacityEstimator
    /// Shared per-bank tables (response factors, ids, information index).
    private let tables: BankTables
    /// The rule chain's per-test masks; nil when the bank has more competences than the masks
    /// hold, and the rules then run on `ChallengeSelection`'s plain functions.
    private var selection: SelectionState?

    public init(bank: ItemBank, configuration: AlgorithmConfiguration, locale: String = "fr-fr",
                needsAccessibility: Bool = false) {
        self.bank = bank
        self.configuration = configuration
        self.locale = locale
        self.needsAccessibility = needsAccessibility
        estimator = CapacityEstimator(configuration: configuration)
        tables = BankTables.shared(for: bank)
        // Answers and counted indices grow in place up to the maximum length: no reallocation
        // on the answer path.
        answers.reserveCapacity(max(0, configuration.maximumAssessmentLength))
        countedIndices.reserveCapacity(max(0, configuration.maximumAssessmentLength))
        rebuildSelection()
    }

    /// The estimate over counted answers.
    public var estimate: CapacityEstimate { estimator.estimate }

    /// Answers that count (those without a validated live alert).
    public var countedAnswerCount: Int { countedIndices.count }

    public var isComplete: Bool { countedIndices.count >= configuration.maximumAssessmentLength }

    /// Serves the current challenge again if one is pending (resume); else picks the next with
    /// `random`. Returns nil when the test is complete. `random` must be keyed by (seed,
    /// candidate, question number) so that a run replays.
    public mutating func nextChallenge(using random: inout SeededRandom) throws(SelectionError) -> Challenge? {
        if let currentIndex { return bank.challenges[currentIndex] }
        if isComplete { return nil }
        let capacity = estimator.estimate.capacity
        let chosen: Int
        if let selection {
            let competences = try selection.eligibleCompetences(answered: countedIndices, tables: tables,
                                                                configuration: configuration)
            let top = selection.ranked(capacity: capacity, competences: competences, tables: tables)
            let pick = ChallengeSelection.pickIndex(count: top.count,
                                                    probabilityPercent: configuration.defaultProbabilityToPickChallenge,
                                                    using: &random)
            chosen = top.index(pick)
        } else {
            let pool = ChallengeSelection.pool(bank: bank, locale: locale, needsAccessibility: needsAccessibility,
                                               excludedSkills: excludedSkills)
            let eligible = try ChallengeSelection.eligible(pool: pool, answered: countedIndices.map { bank.challenges[$0] },
                                                           bank: bank, configuration: configuration)
            let ranked = ChallengeSelection.ranked(eligible, capacity: capacity, bank: bank)
            let pick = ChallengeSelection.pickIndex(count: ranked.count,
                                                    probabilityPercent: configuration.defaultProbabilityToPickChallenge,
                                                    using: &random)
            chosen = ranked[pick]
        }
        let challenge = bank.challenges[chosen]
        currentIndex = chosen
        currentChallengeId = challenge.id
        return challenge
    }

    /// Records the answer to the pending challenge and updates the estimate.
    public mutating func record(_ answer: Answer) throws(SelectionError) {
        guard !isComplete else {
            throw SelectionError(.tooManyAnswers, "the test already has \(configuration.maximumAssessmentLength) answers")
        }
        guard let currentChallengeId, currentChallengeId == answer.challengeId, let index = currentIndex else {
            throw SelectionError(.notCurrentChallenge, "challenge \"\(answer.challengeId)\" is not the one being asked (\(self.currentChallengeId ?? "none"))")
        }
        answers.append(answer)
        countedIndices.append(index)
        selection?.record(index, tables: tables)
        tables.response.withFactors(challenge: index, correct: answer.result.isCorrect) { estimator.add(factors: $0) }
        self.currentChallengeId = nil
        currentIndex = nil
    }

    /// A live alert on `challengeId` was validated: its skill leaves the pool, a pending
    /// challenge with that id is dropped, and an answer to it stops counting.
    public mutating func validateLiveAlert(challengeId: String) throws(SelectionError) {
        guard let challenge = bank.challenge(withId: challengeId) else {
            throw SelectionError.unknownChallenge(challengeId)
        }
        validatedAlertChallengeIds.insert(challengeId)
        let poolChanged = excludedSkills.insert(challenge.skill).inserted
        if currentChallengeId == challengeId {
            currentChallengeId = nil
            currentIndex = nil
        }
        if answers.contains(where: { $0.challengeId == challengeId }) {
            recount()
        } else if poolChanged {
            rebuildSelection()
        }
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
        test.answers.reserveCapacity(max(answers.count, configuration.maximumAssessmentLength))
        test.recount()
        if test.countedIndices.count > configuration.maximumAssessmentLength {
            throw SelectionError(.tooManyAnswers, "the journal holds \(test.countedIndices.count) counted answers, more than \(configuration.maximumAssessmentLength)")
        }
        if let currentChallengeId {
            guard let index = bank.index(ofChallenge: currentChallengeId) else {
                throw SelectionError.unknownChallenge(currentChallengeId)
            }
            if !test.validatedAlertChallengeIds.contains(currentChallengeId) && !test.isComplete {
                test.currentChallengeId = currentChallengeId
                test.currentIndex = index
            }
        }
        return test
    }

    /// Counted answers and the estimate from `answers` (after a validated alert or a replay).
    private mutating func recount() {
        countedIndices.removeAll(keepingCapacity: true)
        estimator = CapacityEstimator(configuration: configuration)
        for answer in answers where !validatedAlertChallengeIds.contains(answer.challengeId) {
            guard let index = bank.index(ofChallenge: answer.challengeId) else { continue }
            countedIndices.append(index)
            tables.response.withFactors(challenge: index, correct: answer.result.isCorrect) { estimator.add(factors: $0) }
        }
        rebuildSelection()
    }

    private mutating func rebuildSelection() {
        selection = tables.supportsMasks
            ? SelectionState(tables: tables, bank: bank, locale: locale, needsAccessibility: needsAccessibility,
                             excludedSkills: excludedSkills,
                             oneQuestionPerTube: configuration.limitToOneQuestionPerTube, answered: countedIndices)
            : nil
    }
}
