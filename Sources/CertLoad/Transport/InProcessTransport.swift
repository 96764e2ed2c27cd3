import CertCore
import CertDaemon

/// The candidate API called directly on the embedded daemon's `CandidateService`: the same code
/// the HTTP routes call, without sockets or JSON, so a simulation runs at the engine's speed.
///
/// Owned by the runner's transport half.
public struct InProcessCandidateTransport: CandidateTransport {
    public let service: CandidateService

    public init(service: CandidateService) { self.service = service }

    public func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        try await service.start(sessionId: sessionId, candidateId: candidateId, accessCode: accessCode)
    }

    public func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try await service.next(assessmentId: assessmentId, token: token)
    }

    public func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse {
        try await service.answer(assessmentId: assessmentId, token: token, request)
    }

    public func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse {
        try await service.raiseLiveAlert(assessmentId: assessmentId, token: token, challengeId: challengeId)
    }

    public func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try await service.certificate(verificationCode: verificationCode)
    }
}

/// The proctor operations called directly on the embedded daemon's `ProctorService`. Login is
/// the control socket's business; in process it is a password check, so a wrong password still
/// fails the same way.
///
/// Owned by the runner's transport half.
public struct InProcessProctorTransport: ProctorTransport {
    public let service: ProctorService

    public init(service: ProctorService) { self.service = service }

    public func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        try await service.createSession(request)
    }

    public func login(sessionId: String, password: String) async throws(DaemonError) {
        try await service.checkPassword(sessionId: sessionId, password: password)
    }

    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        try await service.enrol(sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility, locale: locale)
    }

    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
                      complementaryVersionId: String?) async throws(DaemonError) {
        try await service.enrol(sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility,
                                locale: locale, complementaryVersionId: complementaryVersionId)
    }

    public func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await service.authorize(sessionId: sessionId, candidateId: candidateId)
    }

    public func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) async throws(DaemonError) {
        try await service.validateLiveAlert(sessionId: sessionId, candidateId: candidateId, reason: reason)
    }

    public func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await service.dismissLiveAlert(sessionId: sessionId, candidateId: candidateId)
    }

    public func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await service.raiseCompanionAlert(sessionId: sessionId, candidateId: candidateId)
    }

    public func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await service.clearCompanionAlert(sessionId: sessionId, candidateId: candidateId)
    }

    public func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        try await service.showSession(sessionId)
    }

    public func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        try await service.finalize(sessionId: sessionId, abortReasons: abortReasons)
    }

    public func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try await service.publish(sessionId: sessionId)
    }

    public func results(sessionId: String) async throws(DaemonError) -> [ResultRecord] {
        try await service.results(sessionId: sessionId)
    }

    public func closeSession(_ sessionId: String) async {}

    public func close() async {}
}
