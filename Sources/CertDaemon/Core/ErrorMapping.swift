import CertCore
import CertStore

// Maps the typed errors of CertCore and CertStore onto DaemonError, keeping their codes and
// messages: a proctor sees the lifecycle's own sentence, with the HTTP status of its family.

extension DaemonError {
    /// A lifecycle refusal: 403 for a missing or expired authorisation, 410 for an expired
    /// session, 422 for a request naming something that does not belong, 409 for a wrong state.
    init(_ error: LifecycleError) {
        let status: Int
        switch error.catalogued?.kind {
        case .notAuthorized: status = 403
        case .expired: status = 410
        case .invalidRequest: status = 422
        case .unavailable: status = 503
        case .internalFailure: status = 500
        case .conflict, nil: status = 409
        }
        let retryable = error.catalogued?.isRetryable ?? false
        self.init(code: error.code, message: error.message, httpStatus: status, retryAfterSeconds: retryable ? 1 : nil)
    }

    /// A selection refusal: answering another challenge than the one served is a 409, an
    /// exhausted bank a 422, the rest (unknown challenge in a request) a 409.
    init(_ error: SelectionError) {
        switch error.code {
        case "LACK_OF_CHALLENGES": self.init(code: error.code, message: error.message, httpStatus: 422)
        case "TOO_MANY_ANSWERS", "TEST_COMPLETE": self.init(code: "TEST_FINISHED", message: error.message, httpStatus: 409)
        default: self.init(code: error.code, message: error.message, httpStatus: 409)
        }
    }

    /// A store failure: `STORE_BUSY` is a retryable 503, the rest a 500 (the daemon's fault,
    /// not the client's).
    init(_ error: StoreError) {
        if error.isRetryable {
            self.init(code: error.code, message: error.message, httpStatus: 503, retryAfterSeconds: 1)
        } else {
            self.init(code: error.code, message: error.message, httpStatus: 500)
        }
    }

    /// Scoring failed on a journal the daemon itself built: an internal error.
    init(_ error: ScoringError) {
        self.init(code: "SCORING_FAILED", message: error.message, httpStatus: 500)
    }

    /// No more free codes of some kind after the bounded number of draws.
    init(_ error: CodesError) {
        self.init(code: error.code, message: error.message, httpStatus: 503, retryAfterSeconds: 1)
    }

    // MARK: The daemon's own refusals

    static func sessionNotFound(_ id: String) -> DaemonError {
        .notFound("SESSION_NOT_FOUND", "No session has the id \(id).")
    }
    static func candidateNotFound(_ id: String, session: String) -> DaemonError {
        .notFound("CANDIDATE_NOT_FOUND", "Session \(session) has no candidate \(id).")
    }
    static func assessmentNotFound(_ id: String) -> DaemonError {
        .notFound("ASSESSMENT_NOT_FOUND", "No assessment has the id \(id).")
    }
    static let invalidToken = DaemonError.forbidden(
        "INVALID_TOKEN", "This token does not give access to this assessment; start or resume the test again.")
    static let invalidAccessCode = DaemonError.forbidden(
        "INVALID_ACCESS_CODE", "This access code is not the session's; check it with the invigilator.")
    static let invalidCredentials = DaemonError.unauthorized(
        "INVALID_CREDENTIALS", "The invigilator password is wrong for this session.")
    static func testFinished(_ id: String) -> DaemonError {
        .conflict("TEST_FINISHED", "The test of assessment \(id) is over; it accepts no more answers.")
    }
    static let testDurationExceededCode = "TEST_DURATION_EXCEEDED"
    static func testDurationExceeded(_ id: String, limitSeconds: Double) -> DaemonError {
        .conflict(
            testDurationExceededCode,
            "The time of the test of assessment \(id) ran out (\(Self.minutes(limitSeconds)) from its first start); it accepts no more answers.")
    }
    private static func minutes(_ seconds: Double) -> String {
        let minutes = Int((seconds / 60).rounded())
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }
    static func liveAlertOngoing(_ challengeId: String) -> DaemonError {
        DaemonError(
            code: "LIVE_ALERT_ONGOING",
            message: "An alert on challenge \(challengeId) awaits the invigilator; wait for the decision.",
            httpStatus: 409, retryAfterSeconds: 1)
    }
}
