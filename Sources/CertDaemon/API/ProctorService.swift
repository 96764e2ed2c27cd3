import CertCore
import CertStore

/// The proctor API. The control socket maps its JSON commands onto it; the runner's simulated
/// proctors call it directly. Login is the control layer's business (per connection) through
/// `checkPassword`; these operations trust their caller. Owned by `DaemonCore`.
///
/// Session-level operations (create, enrol, finalise, publish) go to the session's actor;
/// candidate-level ones (authorise, end, alert decisions) run one `CandidateTest` transition in
/// the candidate's shard, and return once its rows are committed.
///
/// ```swift
/// let session = try await core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
/// try await core.proctors.enrol(sessionId: "S1", candidateId: "c1", needsAccessibility: false, locale: "fr-fr")
/// try await core.proctors.authorize(sessionId: "S1", candidateId: "c1")
/// ```
public final class ProctorService: Sendable {
    let context: DaemonContext
    let supervisor: SessionSupervisor

    init(context: DaemonContext, supervisor: SessionSupervisor) {
        self.context = context
        self.supervisor = supervisor
    }

    /// Creates a session with a fresh access code and invigilator password. A client-chosen
    /// `sessionId` must be unused (`SESSION_EXISTS`).
    public func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        try context.enter()
        defer { context.leave() }
        return try await supervisor.createSession(request)
    }

    public func listSessions() async -> [SessionSummary] {
        var out: [SessionSummary] = []
        for (_, session) in context.routes.allSessions() { out.append(await session.summary()) }
        return out
    }

    /// Candidates with statuses and answer counts, and the session's alerts.
    public func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        await try context.session(sessionId).detail()
    }

    /// Enrols a candidate; `extraTimePercent` (0 to 300) lengthens the test's time limit.
    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
                      extraTimePercent: Double = 0, complementaryVersionId: String? = nil) async throws(DaemonError)
    {
        try context.enter()
        defer { context.leave() }
        try await context.session(sessionId).enrol(
            candidateId: candidateId, needsAccessibility: needsAccessibility, locale: locale,
            extraTimePercent: extraTimePercent, complementaryVersionId: complementaryVersionId)
    }

    /// An external jury's level for a published Pix+ Édu certification (DESIGN §3.8).
    public func decideJuryLevel(sessionId: String, candidateId: String, level: String) async throws(DaemonError)
        -> CertificateResponse
    {
        try context.enter()
        defer { context.leave() }
        return try await context.session(sessionId).decideJuryLevel(candidateId: candidateId, level: level)
    }

    /// `INVALID_CREDENTIALS` (401) unless `password` is the session's invigilator password.
    public func checkPassword(sessionId: String, password: String) async throws(DaemonError) {
        // An unknown session answers like a wrong password: a login probe learns nothing.
        let session: ProctoringSession
        do {
            session = try await context.session(sessionId)
        } catch where error.code == .sessionNotFound {
            throw .invalidCredentials
        }
        try session.checkPassword(password)
    }

    /// Authorises the candidate to start or resume, for 15 minutes (one start).
    public func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        let session = try await context.session(sessionId)
        try await candidate(sessionId, candidateId, .authorize(session: session.gate.get()))
    }

    /// Ends a started test (`endedByInvigilator`); it is scored at finalisation, with its reason.
    public func endCandidate(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidate(sessionId, candidateId, .endByInvigilator)
    }

    public func listAlerts(sessionId: String) async throws(DaemonError) -> [AlertSummary] {
        await try context.session(sessionId).alerts()
    }

    /// Validates the candidate's ongoing live alert with a reason: the skill leaves the pool, a
    /// new challenge is served, and an auto-resolved IN_CHALLENGE issue report is stored. Of two
    /// concurrent decisions on one alert exactly one wins.
    public func validateLiveAlert(sessionId: String, candidateId: String,
                                  reason: LiveAlertReason) async throws(DaemonError) {
        try await candidate(sessionId, candidateId, .validateLiveAlert(reason: reason))
    }

    /// Dismisses the candidate's ongoing live alert: the candidate answers the same challenge.
    public func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidate(sessionId, candidateId, .dismissLiveAlert)
    }

    public func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidate(sessionId, candidateId, .raiseCompanionAlert)
    }

    public func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidate(sessionId, candidateId, .clearCompanionAlert)
    }

    /// Finalises the session. Every candidate who started and did not finish needs an abort
    /// reason (FINALIZATION_MISSING_ABORT_REASON otherwise, nothing changed); their tests
    /// become `endedDueToFinalization` and are scored.
    public func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError)
        -> FinalizationSummary
    {
        try context.enter()
        defer { context.leave() }
        return try await context.session(sessionId).finalize(abortReasons: abortReasons)
    }

    /// Publishes a finalised session's results; returns their verification codes.
    /// The stored results of the session's certifications, capacity and error rate included:
    /// what a runner reads when it cannot read the store itself (a PostgreSQL store).
    public func results(sessionId: String) async throws(DaemonError) -> [ResultRecord] {
        try context.enter()
        defer { context.leave() }
        _ = try await context.session(sessionId)
        do throws(StoreError) {
            return try await context.writer.reader().results(sessionId: sessionId)
        } catch {
            throw DaemonError(error)
        }
    }

    public func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try context.enter()
        defer { context.leave() }
        return try await context.session(sessionId).publish()
    }

    /// Session events for `watch` (all sessions when nil). The stream keeps the newest
    /// `DaemonLimits.eventBufferMax` events when its reader falls behind.
    public func events(sessionId: String?) -> AsyncStream<SessionEvent> {
        context.events.subscribe(sessionId: sessionId)
    }

    public func stats() async -> DaemonStats {
        let writerStats = await context.writer.stats()
        let gauges = context.gauges
        return DaemonStats(
            sessions: context.routes.sessionCount, activeSessions: gauges.value(.activeSessions),
            candidates: gauges.value(.candidates), activeCandidates: gauges.value(.activeCandidates),
            answersTotal: gauges.value(.answersTotal), resultsWritten: gauges.value(.resultsWritten),
            engines: context.pool.shards.count,
            engineInFlight: context.pool.shards.map { $0.meters.inFlight.load(ordering: .relaxed) },
            durability: context.configuration.durability.rawValue, writerCommits: writerStats.commits)
    }

    /// A candidate-level command: one transition in the candidate's shard, committed before
    /// returning; a test whose time ran out is ended (committed) and the command refused.
    private func candidate(_ sessionId: String, _ candidateId: String, _ event: CandidateTest.Event)
        async throws(DaemonError)
    {
        try context.enter()
        defer { context.leave() }
        // The test running, or next to run (a candidate may sit a complementary test second).
        let key = await try context.session(sessionId).currentKey(candidateId)
        let (outcome, ticket) = try context.pool.shard(for: key).apply(event, key: key)
        try await context.wait(ticket)
        context.notify(outcome.notices, sessionId: sessionId, candidateId: candidateId)
        if case .timeRanOut = outcome.reply {
            let assessmentId = context.pool.shard(for: key).read(key) { $0.assessmentId } ?? nil
            throw context.refusal(outcome.reply, assessmentId: assessmentId ?? candidateId)
        }
    }
}
