import CertCore

/// Who a simulated candidate is in a run: the person (their index over the first sittings), the
/// sitting (0, or 1 for the retest of a `retest: true` scenario) and the stable ids the runner
/// gives the daemon. The ids, not the order of arrival, key every draw of the daemon and of the
/// runner, so results replay whatever the concurrency and the transport.
///
/// Owned by the runner's simulation half.
public struct CandidateIdentity: Sendable, Hashable, Codable {
    /// 0-based index of the person over the run's first sittings.
    public let personIndex: Int
    /// 0 for the first sitting, 1 for the retest.
    public let sitting: Int
    public let sessionId: String
    public let candidateId: String

    public init(personIndex: Int, sitting: Int, sessionId: String, candidateId: String) {
        self.personIndex = personIndex
        self.sitting = sitting
        self.sessionId = sessionId
        self.candidateId = candidateId
    }

    var personKey: UInt64 { UInt64(personIndex) }
    var sittingKey: UInt64 { UInt64(sitting) }
}

/// One simulated candidate: a person with a true ability, drawn from the scenario's population,
/// and what they will do in this sitting (abandon, incident, companion alert), plus the per-question
/// decisions (think time, live alert, answer), all pure functions of the seed and the candidate's
/// identity. The runner's `CandidateFlow` plays it against a daemon.
///
/// Person-level draws (ability, accessibility) are keyed by the person only, so a retest sits the
/// same person; behaviour draws are keyed by the person and the sitting, so the two sittings are
/// independent.
///
/// Owned by the runner's simulation half.
public struct SimulatedCandidate: Sendable, Equatable {
    public let identity: CandidateIdentity
    /// The person's true ability θ (logits).
    public let trueAbility: Double
    /// The true ability on the complementary certification's scale, for a candidate who sits one
    /// (DESIGN §3.8); nil otherwise.
    public let complementaryAbility: Double?
    public let needsAccessibility: Bool
    public let locale: String
    /// When set, the candidate leaves for good after this many answers (abort reason `candidate`).
    public let abandonAfterAnswers: Int?
    /// When set, the candidate's connection drops once served the question after this many
    /// answers; they come back after `incidentOfflineSeconds` and resume after re-authorisation.
    public let incidentAfterAnswers: Int?
    public let incidentOfflineSeconds: Double
    /// When set, the companion extension raises an alert after this many answers; the candidate
    /// waits until the invigilator clears it.
    public let companionAlertAfterAnswers: Int?
    /// Seconds after the session opens at which the candidate asks to start.
    public let arrivalOffsetSeconds: Double

    private let draws: RunnerDraws
    private let thinkTime: ThinkTime
    private let liveAlertRatePerQuestion: Double

    /// Extra key of the complementary test's answer draws.
    static let complementaryAnswerKey = SeededRandom.key("complementary-test")

    /// Longest a technical incident keeps a candidate offline before they come back.
    public static let incidentOfflineSecondsMax = 600.0
    /// Shortest.
    public static let incidentOfflineSecondsMin = 30.0

    public init(identity: CandidateIdentity, scenario: Scenario, maximumAssessmentLength: Int, draws: RunnerDraws,
                group: PopulationGroup? = nil, sitsComplementaryTest: Bool = false) {
        self.identity = identity
        self.draws = draws
        let person = identity.personKey
        let sitting = identity.sittingKey
        var abilityRandom = draws.generator(.ability, person)
        let u1 = abilityRandom.nextUnitInterval()
        let u2 = abilityRandom.nextUnitInterval()
        let ability = group?.ability ?? scenario.population.ability
        let behaviour = group?.behaviour ?? scenario.behaviour
        trueAbility = ability.theta(u1: u1, u2: u2)
        if sitsComplementaryTest {
            if let distribution = group?.complementaryAbility {
                var random = draws.generator(.complementaryAbility, person)
                let v1 = random.nextUnitInterval()
                let v2 = random.nextUnitInterval()
                complementaryAbility = distribution.theta(u1: v1, u2: v2)
            } else {
                complementaryAbility = trueAbility
            }
        } else {
            complementaryAbility = nil
        }
        needsAccessibility = draws.unit(.accessibility, person) < (group?.accessibilityShare ?? scenario.population.accessibilityShare)
        locale = group?.locale ?? scenario.population.locale
        thinkTime = behaviour.thinkTime
        liveAlertRatePerQuestion = behaviour.liveAlertRatePerQuestion
        arrivalOffsetSeconds = draws.unit(.arrival, person, sitting) * scenario.day.arrivalSpreadSeconds

        // An event "after k answers" happens part-way: k in 1...(length − 1), uniform.
        func partWay(_ purpose: DrawPurpose, share: Double) -> Int? {
            guard maximumAssessmentLength > 1 else { return nil }
            var random = draws.generator(purpose, person, sitting)
            guard random.nextUnitInterval() < share else { return nil }
            return 1 + Int(random.nextUnitInterval() * Double(maximumAssessmentLength - 1))
        }
        abandonAfterAnswers = partWay(.abandon, share: behaviour.abandonShare)
        incidentAfterAnswers = partWay(.technicalIncident, share: behaviour.technicalIncidentShare)
        companionAlertAfterAnswers = partWay(.companionAlert, share: behaviour.companionAlertShare)
        incidentOfflineSeconds = Self.incidentOfflineSecondsMin
            + draws.unit(.incidentOfflineTime, person, sitting)
            * (Self.incidentOfflineSecondsMax - Self.incidentOfflineSecondsMin)
    }

    /// Seconds spent on the `attempt`-th serving (0-based) of question `questionNumber`.
    public func thinkTimeSeconds(questionNumber: Int, attempt: Int) -> Double {
        thinkTime.seconds(standardNormal: draws.standardNormal(
            .thinkTime, identity.personKey, identity.sittingKey, UInt64(questionNumber), UInt64(attempt)))
    }

    /// Whether the candidate raises a live alert on this challenge at this question number. A
    /// challenge is judged once (the flow does not ask again after a dismissal).
    public func raisesLiveAlert(questionNumber: Int, challengeId: String) -> Bool {
        guard liveAlertRatePerQuestion > 0 else { return false }
        return draws.unit(.liveAlert, identity.personKey, identity.sittingKey, UInt64(questionNumber),
                          SeededRandom.key(challengeId)) < liveAlertRatePerQuestion
    }

    /// The answer given: correct with probability P(θ_true) under the item's true parameters.
    /// An id unknown to the bank is answered wrong (and the flow counts it as an error).
    /// In the complementary test (`complementary`), by the complementary ability, with draws
    /// of their own.
    public func answer(questionNumber: Int, challengeId: String, items: TrueItemParameters,
                       complementary: Bool = false) -> AnswerResult {
        answer(questionNumber: questionNumber, challengeId: challengeId, bankIndex: items.index(ofChallenge: challengeId),
               items: items, complementary: complementary)
    }

    /// The same, with the challenge's bank index already looked up (nil: unknown to the bank).
    public func answer(questionNumber: Int, challengeId: String, bankIndex: Int?, items: TrueItemParameters,
                       complementary: Bool = false) -> AnswerResult {
        guard let bankIndex else { return .ko }
        let theta = complementary ? (complementaryAbility ?? trueAbility) : trueAbility
        let p = items.probabilityCorrect(atIndex: bankIndex, theta: theta)
        let u = complementary
            ? draws.unit(.answer, identity.personKey, identity.sittingKey, UInt64(questionNumber),
                         SeededRandom.key(challengeId), Self.complementaryAnswerKey)
            : draws.unit(.answer, identity.personKey, identity.sittingKey, UInt64(questionNumber),
                         SeededRandom.key(challengeId))
        return u < p ? .ok : .ko
    }
}
