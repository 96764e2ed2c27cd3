import CertCore

/// A scored test with its verification code, as the engine that scored it keeps it.
/// Owned by the daemon core's engines; `written` tells whether the store holds it (a result
/// is written once: at completion, or at finalisation once the abort reason is known).
struct ScoredResult: Sendable, Equatable {
    var assessmentId: String
    var sessionId: String
    var candidateId: String
    var result: CertificationResult
    var abortReason: AbortReason?
    /// Set once written (the code is drawn when the result is written).
    var verificationCode: String?
    var written: Bool { verificationCode != nil }
}

/// Where one assessment stands inside its engine, for the proctor's views and finalisation.
struct AssessmentProgress: Sendable, Equatable {
    var answersCount: Int
    /// No more answers accepted (completed or ended).
    var isClosed: Bool
    /// Closed because the last question was answered.
    var isCompleted: Bool
    var scored: ScoredResult?
    var pendingAlertChallengeId: String?
}
