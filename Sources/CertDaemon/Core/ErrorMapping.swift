import CertCore
import CertStore

// Maps the refusals of CertCore and CertStore onto DaemonError, keeping their codes and
// messages: a proctor sees the lifecycle's own sentence, and the HTTP layer gives it the status
// of its code's family (a lifecycle refusal keeps SESSION_EXPIRED's 410, STORE_BUSY its 503...).

extension DaemonError {
    /// A refusal of the rules or the store, kept as it is, except a selection's TOO_MANY_ANSWERS:
    /// to the candidate, a test holding all its answers is finished (TEST_FINISHED).
    init(_ error: CertError) {
        switch error.code {
        case .tooManyAnswers: self.init(.testFinished, error.message)
        default: self.init(error.code, error.message)
        }
    }

    /// Scoring failed on a journal the daemon itself built: an internal error, whatever the code.
    init(scoring error: ScoringError) {
        self.init(.scoringFailed, error.message)
    }

    // MARK: The daemon's own refusals

    static func sessionNotFound(_ id: String) -> DaemonError {
        .notFound(.sessionNotFound, "No session has the id \(id).")
    }
    static func candidateNotFound(_ id: String, session: String) -> DaemonError {
        .notFound(.candidateNotFound, "Session \(session) has no candidate \(id).")
    }
    static func assessmentNotFound(_ id: String) -> DaemonError {
        .notFound(.assessmentNotFound, "No assessment has the id \(id).")
    }
    static let invalidToken = DaemonError.forbidden(
        .invalidToken, "This token does not give access to this assessment; start or resume the test again.")
    static let invalidAccessCode = DaemonError.forbidden(
        .invalidAccessCode, "This access code is not the session's; check it with the invigilator.")
    static let invalidCredentials = DaemonError.unauthorized(
        .invalidCredentials, "The invigilator password is wrong for this session.")
    static func testFinished(_ id: String) -> DaemonError {
        .conflict(.testFinished, "The test of assessment \(id) is over; it accepts no more answers.")
    }
    static func testDurationExceeded(_ id: String, limitSeconds: Double) -> DaemonError {
        .conflict(
            .testDurationExceeded,
            "The time of the test of assessment \(id) ran out (\(Self.minutes(limitSeconds)) from its first start); it accepts no more answers.")
    }
    private static func minutes(_ seconds: Double) -> String {
        let minutes = Int((seconds / 60).rounded())
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }
    static func liveAlertOngoing(_ challengeId: String) -> DaemonError {
        DaemonError(
            .liveAlertOngoing, "An alert on challenge \(challengeId) awaits the invigilator; wait for the decision.")
    }
}
