/// A refused lifecycle transition: a stable code and a sentence an invigilator understands.
///
/// Owned by CertCore's lifecycle. Every transition of ``SessionState``, ``CandidateState``,
/// ``LiveAlertLedger``, ``CompanionAlertLedger`` and ``Finalization`` throws only this type, and a
/// refused transition leaves the value it was called on unchanged. The daemon maps
/// ``LifecycleErrorCode/kind`` to an HTTP status and sends `{code, message}` unchanged on HTTP,
/// on the control socket and in the CLI.
public struct LifecycleError: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    /// Stable UPPER_SNAKE identifier, one of ``LifecycleErrorCode``'s raw values.
    public let code: String
    /// A sentence for a human (proctor, candidate, operator); free to change between versions.
    public let message: String

    /// Builds an error from a catalogued code.
    public init(_ code: LifecycleErrorCode, _ message: String) {
        self.code = code.rawValue
        self.message = message
    }

    /// The catalogued code, or nil when this value was decoded from an unknown code.
    public var catalogued: LifecycleErrorCode? { LifecycleErrorCode(rawValue: code) }

    public var description: String { "\(code): \(message)" }
}

/// How a lifecycle refusal should be reported, so that transports map whole families at once.
///
/// Owned by CertCore's lifecycle; the daemon chooses the HTTP status for each kind.
public enum LifecycleErrorKind: String, Codable, Sendable, CaseIterable {
    /// The request is valid but the current state does not allow it (HTTP 409).
    case conflict
    /// The caller lacks a (still valid) authorisation from the invigilator (HTTP 403).
    case notAuthorized
    /// The session has expired (HTTP 410).
    case expired
    /// The request names something that does not belong here (HTTP 422).
    case invalidRequest
    /// The daemon cannot do it now; the same request may succeed later (HTTP 503).
    case unavailable
    /// A broken invariant of the daemon, reported rather than crashed on (HTTP 500).
    case internalFailure
}

/// The catalogue of every lifecycle refusal code.
///
/// Owned by CertCore's lifecycle. Raw values are the wire codes and never change once shipped.
public enum LifecycleErrorCode: String, Codable, Sendable, CaseIterable {
    // Session
    case sessionExpired = "SESSION_EXPIRED"
    case sessionAlreadyFinalized = "SESSION_ALREADY_FINALIZED"
    case sessionNotFinalized = "SESSION_NOT_FINALIZED"
    case sessionAlreadyInProcess = "SESSION_ALREADY_IN_PROCESS"
    case sessionAlreadyPublished = "SESSION_ALREADY_PUBLISHED"
    // Candidate
    case candidateNotInSession = "CANDIDATE_NOT_IN_SESSION"
    case candidateNotAuthorized = "CANDIDATE_NOT_AUTHORIZED"
    case authorizationExpired = "AUTHORIZATION_EXPIRED"
    case candidateAlreadyStarted = "CANDIDATE_ALREADY_STARTED"
    case candidateNotStarted = "CANDIDATE_NOT_STARTED"
    case candidateAlreadyCompleted = "CANDIDATE_ALREADY_COMPLETED"
    case candidateAlreadyEnded = "CANDIDATE_ALREADY_ENDED"
    case durationNotExceeded = "DURATION_NOT_EXCEEDED"
    // Live alerts
    case liveAlertOnAnsweredChallenge = "LIVE_ALERT_ON_ANSWERED_CHALLENGE"
    case liveAlertNotCurrentChallenge = "LIVE_ALERT_NOT_CURRENT_CHALLENGE"
    case liveAlertNotOngoing = "LIVE_ALERT_NOT_ONGOING"
    case liveAlertLimitReached = "LIVE_ALERT_LIMIT_REACHED"
    // Companion alerts
    case companionAlertNotOngoing = "COMPANION_ALERT_NOT_ONGOING"
    // Finalisation
    case finalizationMissingAbortReason = "FINALIZATION_MISSING_ABORT_REASON"
    case finalizationUnknownCandidate = "FINALIZATION_UNKNOWN_CANDIDATE"
    case finalizationUnexpectedAbortReason = "FINALIZATION_UNEXPECTED_ABORT_REASON"
    case finalizationDuplicateCandidate = "FINALIZATION_DUPLICATE_CANDIDATE"
    // The test itself
    case testFinished = "TEST_FINISHED"
    case testDurationExceeded = "TEST_DURATION_EXCEEDED"
    case liveAlertOngoing = "LIVE_ALERT_ONGOING"
    case lackOfChallenges = "LACK_OF_CHALLENGES"
    case notCurrentChallenge = "NOT_CURRENT_CHALLENGE"
    case unknownChallenge = "UNKNOWN_CHALLENGE"
    case verificationCodeExhausted = "VERIFICATION_CODE_EXHAUSTED"
    case scoringFailed = "SCORING_FAILED"
    /// Recovery replayed a journal to a different test than the one stored (another bank or seed).
    case recoveryMismatch = "RECOVERY_MISMATCH"

    /// The reporting family of this code.
    public var kind: LifecycleErrorKind {
        switch self {
        case .sessionExpired:
            return .expired
        case .candidateNotAuthorized, .authorizationExpired:
            return .notAuthorized
        case .candidateNotInSession, .liveAlertNotCurrentChallenge,
             .finalizationUnknownCandidate, .finalizationUnexpectedAbortReason,
             .finalizationDuplicateCandidate, .finalizationMissingAbortReason, .lackOfChallenges:
            return .invalidRequest
        case .verificationCodeExhausted:
            return .unavailable
        case .scoringFailed, .recoveryMismatch:
            return .internalFailure
        case .sessionAlreadyFinalized, .sessionNotFinalized, .sessionAlreadyInProcess,
             .sessionAlreadyPublished, .candidateAlreadyStarted, .candidateNotStarted,
             .candidateAlreadyCompleted, .candidateAlreadyEnded, .durationNotExceeded,
             .liveAlertOnAnsweredChallenge, .liveAlertNotOngoing, .liveAlertLimitReached,
             .companionAlertNotOngoing, .testFinished, .testDurationExceeded, .liveAlertOngoing,
             .notCurrentChallenge, .unknownChallenge:
            return .conflict
        }
    }

    /// Whether the same request may succeed if retried a little later.
    public var isRetryable: Bool {
        switch self {
        case .liveAlertOngoing, .verificationCodeExhausted: true
        default: false
        }
    }
}
