import CertCore
import CertStore

/// Wires the supervisor, the engines, the writer and the metrics together behind the two
/// services. Owned by the daemon core. (Being filled in: operations answer NOT_IMPLEMENTED.)
final class DaemonRuntime: Sendable {
    let configuration: DaemonConfiguration
    let metrics: DaemonMetrics
    let events: EventHub

    private init(configuration: DaemonConfiguration) {
        self.configuration = configuration
        self.metrics = DaemonMetrics()
        self.events = EventHub(bufferMax: configuration.limits.eventBufferMax)
    }

    static func open(_ configuration: DaemonConfiguration) async throws -> DaemonRuntime {
        DaemonRuntime(configuration: configuration)
    }

    func shutdown() async { events.finishAll() }

    private static let notImplemented = DaemonError(
        code: "NOT_IMPLEMENTED", message: "This operation is not implemented yet.", httpStatus: 501)

    func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        throw Self.notImplemented
    }
    func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        throw Self.notImplemented
    }
    func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse {
        throw Self.notImplemented
    }
    func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse {
        throw Self.notImplemented
    }
    func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        throw Self.notImplemented
    }
    func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        throw Self.notImplemented
    }
    func listSessions() async -> [SessionSummary] { [] }
    func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail { throw Self.notImplemented }
    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        throw Self.notImplemented
    }
    func checkPassword(sessionId: String, password: String) async throws(DaemonError) { throw Self.notImplemented }
    func authorize(sessionId: String, candidateId: String) async throws(DaemonError) { throw Self.notImplemented }
    func endCandidate(sessionId: String, candidateId: String) async throws(DaemonError) { throw Self.notImplemented }
    func listAlerts(sessionId: String) async throws(DaemonError) -> [AlertSummary] { throw Self.notImplemented }
    func decideLiveAlert(sessionId: String, candidateId: String, validate: Bool) async throws(DaemonError) {
        throw Self.notImplemented
    }
    func companionAlert(sessionId: String, candidateId: String, raise: Bool) async throws(DaemonError) {
        throw Self.notImplemented
    }
    func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        throw Self.notImplemented
    }
    func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] { throw Self.notImplemented }
    func stats() async -> DaemonStats {
        DaemonStats(
            sessions: 0, activeSessions: 0, candidates: 0, activeCandidates: 0, answersTotal: 0, resultsWritten: 0,
            engines: configuration.engines, engineInFlight: [], durability: configuration.durability.rawValue)
    }
}
