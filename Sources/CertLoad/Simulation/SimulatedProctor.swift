import CertCore

/// The decisions of a session's simulated invigilator: how long before authorising a start or a
/// resume, whether to validate or dismiss a live alert and after how long, how long before
/// clearing a companion alert. Each decision is keyed by the candidate and an ordinal (the
/// n-th authorisation, the n-th alert of that candidate), never by the time it is taken, so the
/// same run replays the same decisions.
///
/// Owned by the runner's simulation half; the runner's `SessionRun` carries them out through a
/// `ProctorTransport`.
public struct SimulatedProctor: Sendable, Equatable {
    public let policy: Proctors
    private let draws: RunnerDraws

    public init(policy: Proctors, draws: RunnerDraws) {
        self.policy = policy
        self.draws = draws
    }

    /// Delay before the `ordinal`-th authorisation of the candidate (0: first start; then resumes).
    public func authoriseDelaySeconds(for candidate: CandidateIdentity, ordinal: Int) -> Double {
        policy.authoriseDelaySeconds.value(atUnit: draws.unit(
            .proctorAuthoriseDelay, candidate.personKey, candidate.sittingKey, UInt64(ordinal)))
    }

    /// What the invigilator does with the candidate's `ordinal`-th live alert (0-based).
    public func liveAlertDecision(for candidate: CandidateIdentity, ordinal: Int) -> LiveAlertDecision {
        let validate = draws.unit(.proctorAlertDecision, candidate.personKey, candidate.sittingKey, UInt64(ordinal))
            < policy.validateRatio
        let delay = policy.alertReactionDelaySeconds.value(atUnit: draws.unit(
            .proctorAlertDelay, candidate.personKey, candidate.sittingKey, UInt64(ordinal)))
        // Its own draw, so that choosing a reason moves no other draw of the run.
        let reasons = LiveAlertReason.allCases
        let pick = draws.unit(.proctorAlertReason, candidate.personKey, candidate.sittingKey, UInt64(ordinal))
        let reason = reasons[min(reasons.count - 1, Int(pick * Double(reasons.count)))]
        return LiveAlertDecision(validate: validate, delaySeconds: delay, reason: reason)
    }

    /// Delay before the invigilator clears the candidate's companion alert.
    public func companionClearDelaySeconds(for candidate: CandidateIdentity) -> Double {
        policy.alertReactionDelaySeconds.value(atUnit: draws.unit(
            .proctorCompanionDelay, candidate.personKey, candidate.sittingKey))
    }
}

/// A simulated invigilator's verdict on one live alert.
public struct LiveAlertDecision: Sendable, Equatable {
    /// Validate (the skill leaves the pool, a new challenge) or dismiss (answer the same one).
    public var validate: Bool
    /// Seconds between the alert and the decision.
    public var delaySeconds: Double
    /// The reason given when validating (DESIGN §3.6).
    public var reason: LiveAlertReason = .websiteUnavailable
}
