import CertCore
import CertDaemon

/// How a simulated candidate reaches the daemon: the candidate API, one call per method.
///
/// Owned by the runner's transport half. Two implementations: `InProcessCandidateTransport`
/// (calls `CandidateService` directly — no sockets, for simulation speed) and
/// `HTTPCandidateTransport` (the real HTTP API over keep-alive connections). Every failure is a
/// `DaemonError`: the daemon's own refusals keep their code; a failure of the transport itself
/// gets one of `TransportErrorCode`'s codes.
public protocol CandidateTransport: Sendable {
    func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse
    /// nil when the test is over.
    func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse?
    func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse
    func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse
    func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse
}

/// How a simulated invigilator reaches the daemon: the proctor operations a session needs.
///
/// Owned by the runner's transport half. Two implementations: `InProcessProctorTransport`
/// (calls `ProctorService` directly) and `ControlProctorTransport` (the control socket, NDJSON,
/// logging in to each session with its invigilator password).
public protocol ProctorTransport: Sendable {
    func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated
    /// Logs in to the session with its invigilator password (a no-op check in process).
    func login(sessionId: String, password: String) async throws(DaemonError)
    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError)
    /// Enrols a candidate in the session's certification and a complementary one (DESIGN §3.8).
    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
               complementaryVersionId: String?) async throws(DaemonError)
    func authorize(sessionId: String, candidateId: String) async throws(DaemonError)
    func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) async throws(DaemonError)
    func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError)
    func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError)
    func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError)
    func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail
    func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary
    func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate]
    /// The session's stored results (capacity and error rate included).
    func results(sessionId: String) async throws(DaemonError) -> [ResultRecord]
    /// Releases what the transport holds for the session (e.g. its logged-in connection).
    func closeSession(_ sessionId: String) async
    /// Releases everything.
    func close() async
}

/// Codes of failures of the transport itself (the daemon never sent an answer, or sent one the
/// runner cannot read), from the catalogue. Counted under these codes in a run's errors.
///
/// Owned by the runner's transport half.
public enum TransportErrorCode {
    /// The connection failed or closed before the answer.
    public static let connectionFailed = ErrorCode.transportConnectionFailed
    /// No answer within the transport's request timeout.
    public static let timeout = ErrorCode.transportTimeout
    /// The answer was not the JSON expected.
    public static let badResponse = ErrorCode.transportBadResponse
    /// The failures of the connection itself, after which a control connection is opened again.
    public static let connectionLost: Set<ErrorCode> = [connectionFailed, timeout, badResponse]

    /// Whether `code` says the daemon could not be reached (another daemon may be tried).
    static func isConnectionFailure(_ code: ErrorCode) -> Bool {
        code == connectionFailed || code == timeout
    }

    static func error(_ code: ErrorCode, _ message: String) -> DaemonError {
        DaemonError(code, message)
    }
}

extension ProctorTransport {
    /// A transport that knows no complementary enrolment (test doubles) enrols as before and
    /// refuses one.
    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
                      complementaryVersionId: String?) async throws(DaemonError) {
        if let complementaryVersionId {
            throw DaemonError.unprocessable(.complementaryNotAllowed, "This transport cannot enrol in \(complementaryVersionId).")
        }
        try await enrol(sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility, locale: locale)
    }
}

extension ProctorTransport {
    /// A transport that cannot read stored results (a test's stand-in daemon) says so.
    public func results(sessionId: String) async throws(DaemonError) -> [ResultRecord] {
        throw DaemonError(.unknownCommand, "This proctor transport cannot read the stored results of session \(sessionId).")
    }
}
