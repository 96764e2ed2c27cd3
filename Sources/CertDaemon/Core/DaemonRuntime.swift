import CertCore
import CertStore
import Synchronization

/// Wires the supervisor, the engines, the sessions, the writer and the metrics together
/// behind `CandidateService` and `ProctorService`. Owned by the daemon core.
///
/// Hops per candidate request: `next` and `answer` look their route up in the lock-protected
/// `RoutingTable` and compute in one `AdaptiveEngine` under its lock, both in the caller's
/// task (no actor); `answer` then hops into the `ResultWriter` and returns once the answer is
/// durable. Only the answer that completes a test adds a hop into the `ProctoringSession` (to
/// record the completion).
final class DaemonRuntime: Sendable {
    /// How long `shutdown` waits for requests in flight before closing the store anyway.
    static let shutdownDrainSecondsMax: Double = 10

    let context: DaemonContext
    let supervisor: SessionSupervisor
    var metrics: DaemonMetrics { context.metrics }
    var events: EventHub { context.events }
    private let accepting = Atomic<Bool>(true)
    private let requestsInFlight = Atomic<Int>(0)
    private let writerStats = WriterStatsCache()
    private let closed = Atomic<Bool>(false)

    private init(context: DaemonContext) {
        self.context = context
        self.supervisor = SessionSupervisor(context: context)
    }

    static func open(_ configuration: DaemonConfiguration) async throws -> DaemonRuntime {
        var writerConfiguration = ResultWriter.Configuration(durability: configuration.durability)
        writerConfiguration.pendingRowsMax = max(writerConfiguration.pendingRowsMax, configuration.limits.engineInFlightMax)
        // The bank's shared selection tables are built by the first adaptive test; building
        // them here keeps that work off the first candidate's request (and out of every
        // concurrent start that would wait behind it).
        _ = AdaptiveTest(bank: configuration.bank, configuration: configuration.algorithm)
        let writer = try ResultWriter(path: configuration.databasePath, configuration: writerConfiguration)
        let context = DaemonContext(configuration: configuration, writer: writer, metrics: DaemonMetrics())
        let runtime = DaemonRuntime(context: context)
        do {
            try await Recovery(context: context, supervisor: runtime.supervisor).run()
        } catch {
            try? await writer.close()
            throw error
        }
        runtime.registerCollectors()
        return runtime
    }

    /// Stops accepting requests, waits (at most `shutdownDrainSecondsMax`) for those in
    /// flight, then flushes and closes the writer and ends the event streams.
    func shutdown() async {
        await stopAccepting()
        if closed.exchange(true, ordering: .sequentiallyConsistent) == false {
            try? await context.writer.close()
            context.events.finishAll()
        }
    }

    /// See `DaemonCore.isHealthy`.
    var isHealthy: Bool {
        get async {
            guard accepting.load(ordering: .relaxed), !closed.load(ordering: .relaxed) else { return false }
            return await context.writer.isHealthy
        }
    }

    // MARK: Admission

    /// Refuses every new request with SHUTTING_DOWN (503, retry after 1 s) and waits (at
    /// most `shutdownDrainSecondsMax`) for those in flight. The store stays open. Idempotent.
    func stopAccepting() async {
        accepting.store(false, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + .milliseconds(Int(Self.shutdownDrainSecondsMax * 1000))
        while requestsInFlight.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private func enter() throws(DaemonError) {
        requestsInFlight.add(1, ordering: .sequentiallyConsistent)
        guard accepting.load(ordering: .sequentiallyConsistent) else {
            requestsInFlight.subtract(1, ordering: .sequentiallyConsistent)
            throw .shuttingDown
        }
    }

    private func leave() {
        requestsInFlight.subtract(1, ordering: .sequentiallyConsistent)
    }

    private func session(_ sessionId: String) throws(DaemonError) -> ProctoringSession {
        guard let session = context.routes.session(sessionId) else { throw .sessionNotFound(sessionId) }
        return session
    }

    // MARK: Candidates

    func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        try enter()
        defer { leave() }
        return try await session(sessionId).start(candidateId: candidateId, accessCode: accessCode)
    }

    func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try enter()
        defer { leave() }
        let route = try context.routes.route(assessmentId: assessmentId, token: token)
        try route.slot.enter()
        defer { route.slot.leave() }
        do {
            return try route.slot.engine.next(assessmentId: assessmentId)
        } catch {
            try await timeRanOut(error, route)
        }
    }

    /// The engine refused a request because the test's time ran out: the session ends the
    /// candidate's test (once), then the refusal goes back to the candidate.
    private func timeRanOut(_ error: DaemonError, _ route: RoutingTable.Route) async throws(DaemonError) -> Never {
        if error.code == .testDurationExceeded {
            await route.session.endIfTimeRanOut(candidateId: route.candidateId)
        }
        throw error
    }

    func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse {
        try enter()
        defer { leave() }
        let route = try context.routes.route(assessmentId: assessmentId, token: token)
        try route.slot.enter()
        let outcome: AdaptiveEngine.AnswerOutcome
        do {
            outcome = try await route.slot.engine.answer(assessmentId: assessmentId, request)
        } catch {
            route.slot.leave()
            try await timeRanOut(error, route)
        }
        route.slot.leave()
        context.gauges.add(.answersTotal, 1)
        let events = context.events
        if events.hasSubscribers {
            events.publish(
                atSeconds: context.nowSeconds(), sessionId: route.sessionId, candidateId: route.candidateId,
                kind: .answerRecorded, answersCount: outcome.response.answersCount)
        }
        if outcome.completedResult != nil {
            context.gauges.add(.resultsWritten, 1)
            try await route.session.candidateCompleted(candidateId: route.candidateId)
        }
        return outcome.response
    }

    func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse {
        try enter()
        defer { leave() }
        let route = try context.routes.route(assessmentId: assessmentId, token: token)
        return try await route.session.raiseLiveAlert(
            candidateId: route.candidateId, assessmentId: assessmentId, challengeId: challengeId)
    }

    func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try enter()
        defer { leave() }
        let code = Codes.normalizedVerificationCode(verificationCode) ?? verificationCode
        guard let certificate = context.certificates.lookup(code) else {
            throw .notFound(.certificateNotFound, "No published certificate has the verification code \(verificationCode).")
        }
        return certificate
    }

    // MARK: Proctors

    func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        try enter()
        defer { leave() }
        return try await supervisor.createSession(request)
    }

    func listSessions() async -> [SessionSummary] {
        var out: [SessionSummary] = []
        for (_, session) in context.routes.allSessions() { out.append(await session.summary()) }
        return out
    }

    func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        try await session(sessionId).detail()
    }

    func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        try enter()
        defer { leave() }
        try await session(sessionId).enrol(candidateId: candidateId, needsAccessibility: needsAccessibility, locale: locale)
    }

    func checkPassword(sessionId: String, password: String) async throws(DaemonError) {
        // An unknown session answers like a wrong password: a login probe learns nothing.
        guard let session = context.routes.session(sessionId) else { throw .invalidCredentials }
        try await session.checkPassword(password)
    }

    func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        try enter()
        defer { leave() }
        try await session(sessionId).authorize(candidateId: candidateId)
    }

    func endCandidate(sessionId: String, candidateId: String) async throws(DaemonError) {
        try enter()
        defer { leave() }
        try await session(sessionId).endCandidate(candidateId: candidateId)
    }

    func listAlerts(sessionId: String) async throws(DaemonError) -> [AlertSummary] {
        try await session(sessionId).alerts()
    }

    func decideLiveAlert(sessionId: String, candidateId: String, validate: Bool) async throws(DaemonError) {
        try enter()
        defer { leave() }
        try await session(sessionId).decideLiveAlert(candidateId: candidateId, validate: validate)
    }

    func companionAlert(sessionId: String, candidateId: String, raise: Bool) async throws(DaemonError) {
        try enter()
        defer { leave() }
        try await session(sessionId).companionAlert(candidateId: candidateId, raise: raise)
    }

    func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        try enter()
        defer { leave() }
        let summary = try await session(sessionId).finalize(abortReasons: abortReasons)
        context.gauges.add(.resultsWritten, summary.scoredCount)
        return summary
    }

    func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try enter()
        defer { leave() }
        return try await session(sessionId).publish()
    }

    func stats() async -> DaemonStats {
        await refreshWriterStats()
        let gauges = context.gauges
        return DaemonStats(
            sessions: context.routes.sessionCount, activeSessions: gauges.value(.activeSessions),
            candidates: gauges.value(.candidates), activeCandidates: gauges.value(.activeCandidates),
            answersTotal: gauges.value(.answersTotal), resultsWritten: gauges.value(.resultsWritten),
            engines: context.pool.slots.count,
            engineInFlight: context.pool.slots.map { $0.meters.inFlight.load(ordering: .relaxed) },
            durability: context.configuration.durability.rawValue)
    }

    // MARK: Metrics

    /// Reads the writer's counters (an actor hop) into the cache `/metrics` renders from.
    func refreshWriterStats() async {
        guard !closed.load(ordering: .relaxed) else { return }
        let stats = await context.writer.stats()
        writerStats.stats.withLock { $0 = stats }
    }

    private func registerCollectors() {
        let pool = context.pool
        let gauges = context.gauges
        let routes = context.routes
        let writerStats = self.writerStats
        metrics.addCollector { pool.samples() }
        metrics.addCollector {
            [
                .init(name: "certsim_sessions", help: "Sessions held by the daemon.", value: Double(routes.sessionCount)),
                .init(name: "certsim_sessions_active", help: "Sessions created or started, not finalised.",
                      value: Double(gauges.value(.activeSessions))),
                .init(name: "certsim_candidates", help: "Candidates enrolled.", value: Double(gauges.value(.candidates))),
                .init(name: "certsim_candidates_active", help: "Candidates in a test (started, not over).",
                      value: Double(gauges.value(.activeCandidates))),
                .init(name: "certsim_answers_total", help: "Answers recorded and acknowledged.", type: "counter",
                      value: Double(gauges.value(.answersTotal))),
                .init(name: "certsim_results_written_total", help: "Results scored and written.", type: "counter",
                      value: Double(gauges.value(.resultsWritten))),
            ]
        }
        metrics.addCollector {
            let stats = writerStats.stats.withLock { $0 }
            return [
                .init(name: "certsim_writer_commits_total", help: "Transactions committed by the result writer.",
                      type: "counter", value: Double(stats.commits)),
                .init(name: "certsim_writer_rows_committed_total", help: "Rows committed by the result writer.",
                      type: "counter", value: Double(stats.rowsCommitted)),
                .init(name: "certsim_writer_pending_rows", help: "Rows queued for the next commit.",
                      value: Double(stats.pendingRows)),
                .init(name: "certsim_writer_batch_rows_mean", help: "Mean rows per committed batch.",
                      value: stats.meanBatchRows),
                .init(name: "certsim_writer_last_batch_rows", help: "Rows in the last committed batch.",
                      value: Double(stats.lastBatchRows)),
                .init(name: "certsim_writer_commit_microseconds", help: "Commit latency (fsync included), microseconds.",
                      labels: [("quantile", "0.5")], value: Double(stats.p50CommitMicroseconds)),
                .init(name: "certsim_writer_commit_microseconds", help: "Commit latency (fsync included), microseconds.",
                      labels: [("quantile", "0.99")], value: Double(stats.p99CommitMicroseconds)),
                .init(name: "certsim_writer_healthy", help: "1 while the result writer accepts writes.",
                      value: stats.isHealthy ? 1 : 0),
            ]
        }
    }
}

/// The writer's last counters, read by `/metrics` without a hop into the writer actor.
final class WriterStatsCache: Sendable {
    let stats = Mutex(WriterStats())
}
