import CertCore
import CertStore
import Synchronization

/// The daemon without its transports: the session supervisor, the engine shards, the result
/// writer and the metrics, behind `CandidateService` and `ProctorService`. `certsim serve`
/// wraps it in its HTTP and control-socket services, and the runner embeds it in-process.
///
/// ```swift
/// let core = try await DaemonCore.open(DaemonConfiguration(bank: bank, seed: 7, databasePath: path))
/// let created = try await core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
/// …
/// await core.shutdown()
/// ```
public final class DaemonCore: Sendable {
    public let configuration: DaemonConfiguration
    /// The candidate API (start, next, answer, live alert, certificate).
    public let candidates: CandidateService
    /// The proctor API (sessions, authorisations, alerts, finalisation, publication).
    public let proctors: ProctorService
    /// Counters, gauges and histograms; `renderMetrics()` for `/metrics`.
    public let metrics: DaemonMetrics
    let context: DaemonContext
    private let writerStats = WriterStatsCache()
    private let closed = Atomic<Bool>(false)

    private init(context: DaemonContext, supervisor: SessionSupervisor) {
        self.configuration = context.configuration
        self.context = context
        self.metrics = context.metrics
        self.candidates = CandidateService(context: context)
        self.proctors = ProctorService(context: context, supervisor: supervisor)
    }

    /// Opens (creating if needed) the result store and rebuilds every session, candidate and
    /// test it holds by replaying their journals (`Recovery`). Recovered candidates who were
    /// in a test are `started` and need a fresh authorisation to resume (a crash is a technical
    /// incident). Throws the `StoreError` `STORE_LOCKED`, naming the file, while another daemon
    /// (in this process or another) has the same store open, and `STORE_CORRUPT` naming the
    /// table, row and column of a stored value it cannot read.
    public static func open(_ configuration: DaemonConfiguration) async throws -> DaemonCore {
        var writerConfiguration = ResultWriter.Configuration(durability: configuration.durability)
        writerConfiguration.pendingRowsMax = max(writerConfiguration.pendingRowsMax, configuration.limits.engineInFlightMax)
        // The bank's shared selection tables are built by the first adaptive test; building
        // them here keeps that work off the first candidate's request (and out of every
        // concurrent start that would wait behind it).
        for bank in configuration.banks { _ = AdaptiveTest(bank: bank, configuration: .default) }
        if configuration.cluster != nil, configuration.store.sqlitePath != nil {
            throw DaemonError.badRequest(.invalidField, "Several daemons share a PostgreSQL store only: a SQLite file has one daemon (give --db postgres://…).")
        }
        let fence = configuration.cluster.map { LeaseFence(daemonId: $0.daemonId) }
        let writer = try await ResultWriter.open(configuration.store, configuration: writerConfiguration, fence: fence)
        let versions: VersionCatalog
        do {
            versions = try VersionCatalog(configuration: configuration, stored: try await writer.reader().versions())
            try await writer.submit(versions.writes(nowSeconds: configuration.clock.nowSeconds()))
        } catch {
            try? await writer.close()
            throw error
        }
        let context = DaemonContext(configuration: configuration, versions: versions, writer: writer,
                                    metrics: DaemonMetrics())
        let supervisor = SessionSupervisor(context: context)
        do {
            if let settings = configuration.cluster, let leases = writer.sessionLeases() {
                // A daemon among others rebuilds only the sessions it can claim.
                let membership = ClusterMembership(settings: settings, leases: leases, context: context, supervisor: supervisor)
                context.join(membership)
                try await membership.join()
                await membership.start()
            } else {
                try await Recovery(context: context, supervisor: supervisor).run()
            }
        } catch {
            await context.cluster?.stop()
            try? await writer.close()
            throw error
        }
        let core = DaemonCore(context: context, supervisor: supervisor)
        core.registerCollectors()
        return core
    }

    /// Stops accepting requests (SHUTTING_DOWN), waits for the requests in flight, then
    /// flushes and closes the result writer. Idempotent.
    public func shutdown() async {
        await context.stopAccepting()
        if closed.exchange(true, ordering: .sequentiallyConsistent) == false {
            await context.cluster?.stop()
            try? await context.writer.close()
            context.events.finishAll()
        }
    }

    /// Refuses new requests and waits for those in flight; the store stays open.
    func stopAccepting() async {
        await context.stopAccepting()
    }

    /// True while the daemon can record answers: it accepts requests (not shutting down) and
    /// its result writer has not failed (a failed commit makes it refuse every write with
    /// `STORE_UNHEALTHY`). `/healthz` answers 503 when false.
    public var isHealthy: Bool {
        get async {
            guard context.isAccepting, !closed.load(ordering: .relaxed) else { return false }
            return await context.writer.isHealthy
        }
    }

    /// Leaves the store as a killed process would (the kernel frees the store lock; nothing is
    /// flushed or closed), so that a test can open the same file again in this process.
    func releaseStoreAsACrashWould() {
        context.writer.releaseLockAsACrashWould()
    }

    /// Stops renewing leases and writing, as a killed daemon would (nothing is flushed or
    /// released; its leases run out on PostgreSQL's clock). For tests of takeover.
    package func dieAsAKillWould() async {
        closed.store(true, ordering: .sequentiallyConsistent)
        await context.cluster?.stop()
        await context.stopAcceptingAtOnce()
        context.writer.releaseLockAsACrashWould()
    }

    /// Sessions taken over from other daemons since start, with the seconds each took.
    public func takeovers() async -> [(sessionId: String, seconds: Double)] {
        await context.cluster?.takeoverTimes() ?? []
    }

    /// `/metrics`: refreshes the writer's counters, then renders every metric in the
    /// Prometheus text format.
    public func renderMetrics() async -> String {
        if !closed.load(ordering: .relaxed) {
            let stats = await context.writer.stats()
            writerStats.stats.withLock { $0 = stats }
        }
        return metrics.renderPrometheus()
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
