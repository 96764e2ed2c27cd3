import CertCore
import CertDaemon
import CertStore
import Synchronization

/// Where the runner sends each session's requests when it drives several daemons sharing one
/// PostgreSQL store: every session has a home daemon (its creator, round-robin over the
/// daemons), kept until a daemon answers `SESSION_ELSEWHERE` (the session is held by another)
/// or cannot be reached (then the next daemon is tried: it sends the requests on to the owner,
/// or takes the session over once the dead owner's lease expired).
///
/// Owned by the cluster transports of one run.
final class DaemonRouter: Sendable {
    let count: Int
    private struct State {
        var home: [String: Int] = [:]
        var sessionOfAssessment: [String: String] = [:]
        var created = 0
    }
    private let state = Mutex(State())

    init(count: Int) {
        precondition(count >= 1)
        self.count = count
    }

    /// The daemon a new session is created on: the next one round the list.
    func assignNew() -> Int {
        state.withLock { state in
            defer { state.created += 1 }
            return state.created % count
        }
    }

    func home(of session: String?) -> Int {
        guard let session else { return 0 }
        return state.withLock { $0.home[session] ?? 0 }
    }

    func setHome(_ session: String?, _ index: Int) {
        guard let session else { return }
        state.withLock { $0.home[session] = index }
    }

    func remember(assessment: String, session: String) {
        state.withLock { $0.sessionOfAssessment[assessment] = session }
    }

    func session(ofAssessment id: String) -> String? {
        state.withLock { $0.sessionOfAssessment[id] }
    }

    /// Runs `operation` on the session's home daemon, following `SESSION_ELSEWHERE` round the
    /// other daemons (at most once each). A daemon that cannot be reached passes the home on to
    /// the next one and its failure is thrown: the candidate's flow waits it out as an outage and
    /// asks again. When every daemon sends the session elsewhere, its owner is unreachable and
    /// its lease not yet expired: that is an outage too (`TRANSPORT_CONNECTION_FAILED`).
    func route<T: Sendable>(session: String?, isolation: isolated (any Actor)? = #isolation,
                            _ operation: (Int) async throws(DaemonError) -> T) async throws(DaemonError) -> T {
        var index = home(of: session)
        var redirect: DaemonError?
        for _ in 0..<count {
            do {
                let value = try await operation(index)
                setHome(session, index)
                return value
            } catch where error.code == .sessionElsewhere {
                redirect = error
                index = (index + 1) % count
            } catch where TransportErrorCode.isConnectionFailure(error.code) {
                setHome(session, (index + 1) % count)
                throw error
            }
        }
        throw DaemonError(TransportErrorCode.connectionFailed,
                          "Every daemon sent session \(session ?? "?") elsewhere (\(redirect?.message ?? "")); its owner cannot be reached yet.")
    }
}

/// The candidate API of several daemons, each request routed by its session (``DaemonRouter``).
struct ClusterCandidateTransport: CandidateTransport {
    let daemons: [any CandidateTransport]
    let router: DaemonRouter

    func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        let started = try await router.route(session: sessionId) { (index: Int) async throws(DaemonError) in
            try await daemons[index].start(sessionId: sessionId, candidateId: candidateId, accessCode: accessCode)
        }
        router.remember(assessment: started.assessmentId, session: sessionId)
        return started
    }

    func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try await router.route(session: router.session(ofAssessment: assessmentId)) { (index: Int) async throws(DaemonError) in
            try await daemons[index].next(assessmentId: assessmentId, token: token)
        }
    }

    func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse {
        try await router.route(session: router.session(ofAssessment: assessmentId)) { (index: Int) async throws(DaemonError) in
            try await daemons[index].answer(assessmentId: assessmentId, token: token, request)
        }
    }

    func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse {
        try await router.route(session: router.session(ofAssessment: assessmentId)) { (index: Int) async throws(DaemonError) in
            try await daemons[index].raiseLiveAlert(assessmentId: assessmentId, token: token, challengeId: challengeId)
        }
    }

    /// Certificates are in the shared store: any daemon answers.
    func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try await daemons[0].certificate(verificationCode: verificationCode)
    }
}

/// The control sockets of several daemons, each session's commands routed by ``DaemonRouter``;
/// a session is logged in to again (its invigilator password kept) on each daemon it moves to.
actor ClusterProctorTransport: ProctorTransport {
    let daemons: [any ProctorTransport]
    let router: DaemonRouter
    private var passwords: [String: String] = [:]
    private var loggedIn: Set<String> = []

    init(daemons: [any ProctorTransport], router: DaemonRouter) {
        self.daemons = daemons
        self.router = router
    }

    func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        let index = router.assignNew()
        let created = try await daemons[index].createSession(request)
        router.setHome(created.sessionId, index)
        passwords[created.sessionId] = created.invigilatorPassword
        loggedIn.insert("\(index)/\(created.sessionId)")
        return created
    }

    func login(sessionId: String, password: String) async throws(DaemonError) {
        passwords[sessionId] = password
        try await onSession(sessionId) { _ async throws(DaemonError) in }
    }

    /// Runs `operation` on the session's daemon, logging in there first when needed.
    private func onSession<T: Sendable>(_ sessionId: String,
                                        _ operation: (any ProctorTransport) async throws(DaemonError) -> T) async throws(DaemonError) -> T {
        try await router.route(session: sessionId) { (index: Int) async throws(DaemonError) in
            let daemon = daemons[index]
            let key = "\(index)/\(sessionId)"
            do throws(DaemonError) {
                if !loggedIn.contains(key), let password = passwords[sessionId] {
                    try await daemon.login(sessionId: sessionId, password: password)
                    loggedIn.insert(key)
                }
                return try await operation(daemon)
            } catch where error.code == .notLoggedIn {
                // The daemon restarted or took the session over since this connection logged in
                // (a login replayed on reconnection may have been sent elsewhere): log in again.
                guard let password = passwords[sessionId] else { throw error }
                try await daemon.login(sessionId: sessionId, password: password)
                loggedIn.insert(key)
                return try await operation(daemon)
            } catch where error.code == .sessionElsewhere {
                loggedIn.remove(key)
                throw error
            }
        }
    }

    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.enrol(sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility,
                                   locale: locale)
        }
    }

    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
               complementaryVersionId: String?) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.enrol(sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility,
                                   locale: locale, complementaryVersionId: complementaryVersionId)
        }
    }

    func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.authorize(sessionId: sessionId, candidateId: candidateId)
        }
    }

    func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.validateLiveAlert(sessionId: sessionId, candidateId: candidateId, reason: reason)
        }
    }

    func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.dismissLiveAlert(sessionId: sessionId, candidateId: candidateId)
        }
    }

    func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.raiseCompanionAlert(sessionId: sessionId, candidateId: candidateId)
        }
    }

    func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.clearCompanionAlert(sessionId: sessionId, candidateId: candidateId)
        }
    }

    func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.showSession(sessionId)
        }
    }

    func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.finalize(sessionId: sessionId, abortReasons: abortReasons)
        }
    }

    func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.publish(sessionId: sessionId)
        }
    }

    func results(sessionId: String) async throws(DaemonError) -> [ResultRecord] {
        try await onSession(sessionId) { (daemon: any ProctorTransport) async throws(DaemonError) in
            try await daemon.results(sessionId: sessionId)
        }
    }

    func closeSession(_ sessionId: String) async {
        for daemon in daemons { await daemon.closeSession(sessionId) }
    }

    func close() async {
        for daemon in daemons { await daemon.close() }
    }
}
