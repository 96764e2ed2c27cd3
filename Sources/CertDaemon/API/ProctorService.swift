import CertCore

/// Typed proctor operations. The control socket maps its JSON commands onto it; the runner's
/// simulated proctors call it directly. Login is the control layer's business (per connection)
/// through `checkPassword`; these operations trust their caller. Owned by the daemon core.
///
/// ```swift
/// let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
/// try await core.proctors.enrol(sessionId: "S1", candidateId: "c1", needsAccessibility: false, locale: "fr-fr")
/// try await core.proctors.authorize(sessionId: "S1", candidateId: "c1")
/// ```
public final class ProctorService: Sendable {
    let runtime: DaemonRuntime

    init(runtime: DaemonRuntime) { self.runtime = runtime }

    /// Creates a session with a fresh access code and invigilator password. A client-chosen
    /// `sessionId` must be unused (`SESSION_EXISTS`).
    public func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        try await runtime.createSession(request)
    }

    public func listSessions() async -> [SessionSummary] {
        await runtime.listSessions()
    }

    /// Candidates with statuses and answer counts, and the session's alerts.
    public func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        try await runtime.showSession(sessionId)
    }

    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String)
        async throws(DaemonError)
    {
        try await runtime.enrol(
            sessionId: sessionId, candidateId: candidateId, needsAccessibility: needsAccessibility, locale: locale)
    }

    /// `INVALID_CREDENTIALS` (401) unless `password` is the session's invigilator password.
    public func checkPassword(sessionId: String, password: String) async throws(DaemonError) {
        try await runtime.checkPassword(sessionId: sessionId, password: password)
    }

    /// Authorises the candidate to start or resume, for 15 minutes (one start).
    public func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.authorize(sessionId: sessionId, candidateId: candidateId)
    }

    /// Ends a started test (`endedByInvigilator`); the test is scored.
    public func endCandidate(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.endCandidate(sessionId: sessionId, candidateId: candidateId)
    }

    public func listAlerts(sessionId: String) async throws(DaemonError) -> [AlertSummary] {
        try await runtime.listAlerts(sessionId: sessionId)
    }

    /// Validates the candidate's ongoing live alert: the skill leaves the pool and a new
    /// challenge is served. Of two concurrent decisions on one alert exactly one wins.
    public func validateLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.decideLiveAlert(sessionId: sessionId, candidateId: candidateId, validate: true)
    }

    /// Dismisses the candidate's ongoing live alert: the candidate answers the same challenge.
    public func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.decideLiveAlert(sessionId: sessionId, candidateId: candidateId, validate: false)
    }

    public func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.companionAlert(sessionId: sessionId, candidateId: candidateId, raise: true)
    }

    public func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await runtime.companionAlert(sessionId: sessionId, candidateId: candidateId, raise: false)
    }

    /// Finalises the session. Every candidate who started and did not finish needs an abort
    /// reason (`ABORT_REASON_REQUIRED` otherwise, nothing changed); their tests become
    /// `endedDueToFinalization` and are scored.
    public func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError)
        -> FinalizationSummary
    {
        try await runtime.finalize(sessionId: sessionId, abortReasons: abortReasons)
    }

    /// Publishes a finalised session's results; returns their verification codes.
    public func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try await runtime.publish(sessionId: sessionId)
    }

    /// Session events for `watch` (all sessions when nil). The stream keeps the newest
    /// `DaemonLimits.eventBufferMax` events when its reader falls behind.
    public func events(sessionId: String?) -> AsyncStream<SessionEvent> {
        runtime.events.subscribe(sessionId: sessionId)
    }

    public func stats() async -> DaemonStats {
        await runtime.stats()
    }
}
