import CertCore
import CertStore

/// Everything of the daemon except its transports: the session supervisor, the engine pool,
/// the result writer and the metrics, behind `CandidateService` and `ProctorService`.
/// Owned by the daemon core; `certsim serve` wraps it in its HTTP and control-socket services,
/// and the runner embeds it in-process.
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
    /// Counters, gauges and histograms; `renderPrometheus()` for `/metrics`.
    public let metrics: DaemonMetrics
    let runtime: DaemonRuntime

    private init(configuration: DaemonConfiguration, runtime: DaemonRuntime) {
        self.configuration = configuration
        self.runtime = runtime
        self.metrics = runtime.metrics
        self.candidates = CandidateService(runtime: runtime)
        self.proctors = ProctorService(runtime: runtime)
    }

    /// Opens (creating if needed) the result store and rebuilds every session, candidate and
    /// in-progress test it holds. Recovered candidates who were in a test are `started` and
    /// need a fresh authorisation to resume (a crash is a technical incident). Throws the
    /// `StoreError` `STORE_LOCKED`, naming the file, while another daemon (in this process or
    /// another) has the same store open.
    public static func open(_ configuration: DaemonConfiguration) async throws -> DaemonCore {
        let runtime = try await DaemonRuntime.open(configuration)
        return DaemonCore(configuration: configuration, runtime: runtime)
    }

    /// Stops accepting requests (SHUTTING_DOWN), waits for the requests in flight, then
    /// flushes and closes the result writer. Idempotent.
    public func shutdown() async {
        await runtime.shutdown()
    }

    /// True while the daemon can record answers: it accepts requests (not shutting down) and
    /// its result writer has not failed (a failed commit makes it refuse every write with
    /// `STORE_UNHEALTHY`). `/healthz` answers 503 when false.
    public var isHealthy: Bool {
        get async { await runtime.isHealthy }
    }
}

extension DaemonCore {
    /// Leaves the store as a killed process would (the kernel frees the store lock; nothing is
    /// flushed or closed), so that a test can open the same file again in this process.
    func releaseStoreAsACrashWould() {
        runtime.context.writer.releaseLockAsACrashWould()
    }

    /// `/metrics`: refreshes the writer's counters, then renders every metric in the
    /// Prometheus text format. (`metrics.renderPrometheus()` alone shows the writer's
    /// counters as of the last refresh.)
    public func renderMetrics() async -> String {
        await runtime.refreshWriterStats()
        return metrics.renderPrometheus()
    }
}
