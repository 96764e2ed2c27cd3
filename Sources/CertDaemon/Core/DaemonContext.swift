import CertCore
import CertStore
import Synchronization

/// Running totals kept outside the actors so that `/metrics` and `stats` read them without
/// a hop. Owned by the daemon core.
final class DaemonGauges: Sendable {
    enum Gauge { case activeSessions, activeCandidates, candidates, answersTotal, resultsWritten }

    private let activeSessions = Atomic<Int>(0)
    private let activeCandidates = Atomic<Int>(0)
    private let candidates = Atomic<Int>(0)
    private let answersTotal = Atomic<Int>(0)
    private let resultsWritten = Atomic<Int>(0)

    func add(_ gauge: Gauge, _ amount: Int) {
        switch gauge {
        case .activeSessions: activeSessions.add(amount, ordering: .relaxed)
        case .activeCandidates: activeCandidates.add(amount, ordering: .relaxed)
        case .candidates: candidates.add(amount, ordering: .relaxed)
        case .answersTotal: answersTotal.add(amount, ordering: .relaxed)
        case .resultsWritten: resultsWritten.add(amount, ordering: .relaxed)
        }
    }

    func value(_ gauge: Gauge) -> Int {
        switch gauge {
        case .activeSessions: activeSessions.load(ordering: .relaxed)
        case .activeCandidates: activeCandidates.load(ordering: .relaxed)
        case .candidates: candidates.load(ordering: .relaxed)
        case .answersTotal: answersTotal.load(ordering: .relaxed)
        case .resultsWritten: resultsWritten.load(ordering: .relaxed)
        }
    }
}

/// What the supervisor, the sessions, the shards and the two services share, and the few
/// things every request does the same way: admission, waiting for a commit, telling the
/// watchers. Owned by `DaemonCore`, built once when the daemon opens.
final class DaemonContext: Sendable {
    /// How long `stopAccepting` waits for requests in flight before the store closes anyway.
    static let shutdownDrainSecondsMax: Double = 10

    let configuration: DaemonConfiguration
    let versions: VersionCatalog
    let writer: ResultWriter
    let metrics: DaemonMetrics
    let events: EventHub
    let pool: EnginePool
    let routes: RoutingTable
    let certificates: CertificateIndex
    let verificationCodes: CodeRegistry
    let gauges: DaemonGauges
    private let accepting = Atomic<Bool>(true)
    /// The membership of a shared store, when the daemon runs with others (set once by `DaemonCore.open`).
    private let clusterMembership = Mutex<ClusterMembership?>(nil)
    /// Sessions whose lease this daemon lost: held in memory, served by another daemon now.
    private let lostSessions = Mutex<Set<String>>([])
    private let requestsInFlight = Atomic<Int>(0)

    init(configuration: DaemonConfiguration, versions: VersionCatalog, writer: ResultWriter, metrics: DaemonMetrics) {
        self.configuration = configuration
        self.versions = versions
        self.writer = writer
        self.metrics = metrics
        self.events = EventHub(bufferMax: configuration.limits.eventBufferMax)
        self.routes = RoutingTable()
        self.certificates = CertificateIndex()
        self.verificationCodes = CodeRegistry()
        self.gauges = DaemonGauges()
        self.pool = EnginePool(
            count: configuration.engines,
            environment: EngineEnvironment(
                seed: configuration.seed, limits: configuration.limits, clock: configuration.clock, writer: writer,
                verificationCodes: verificationCodes))
    }

    var seed: UInt64 { configuration.seed }
    var limits: DaemonLimits { configuration.limits }

    func nowSeconds() -> Double { configuration.clock.nowSeconds() }

    // MARK: Admission

    var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    /// Admits one request, or refuses it with SHUTTING_DOWN once the daemon stops. Pair with `leave()`.
    func enter() throws(DaemonError) {
        requestsInFlight.add(1, ordering: .sequentiallyConsistent)
        guard accepting.load(ordering: .sequentiallyConsistent) else {
            requestsInFlight.subtract(1, ordering: .sequentiallyConsistent)
            throw .shuttingDown
        }
    }

    func leave() {
        requestsInFlight.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Refuses every new request with SHUTTING_DOWN (503, retry after 1 s) and waits (at
    /// most `shutdownDrainSecondsMax`) for those in flight. The store stays open. Idempotent.
    /// Refuses every new request at once, without waiting for those in flight (a kill).
    func stopAcceptingAtOnce() {
        accepting.store(false, ordering: .sequentiallyConsistent)
    }

    func stopAccepting() async {
        accepting.store(false, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + .milliseconds(Int(Self.shutdownDrainSecondsMax * 1000))
        while requestsInFlight.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The session `sessionId`. On a shared store, a session this daemon does not serve is
    /// looked up: `SESSION_ELSEWHERE` naming its daemon, or taken over when its lease expired.
    func session(_ sessionId: String) async throws(DaemonError) -> ProctoringSession {
        let session = routes.session(sessionId)
        guard isClustered else {
            guard let session else { throw .sessionNotFound(sessionId) }
            return session
        }
        if let session, !isLost(sessionId) { return session }
        guard let cluster else { throw .sessionNotFound(sessionId) }
        try await cluster.locate(sessionId: sessionId)
        guard let session = routes.session(sessionId) else { throw .sessionNotFound(sessionId) }
        return session
    }

    /// The route of an assessment (``RoutingTable/route(assessmentId:token:)``), looked up in
    /// the store as ``session(_:)`` does when this daemon does not serve it.
    func route(assessmentId: String, token: String) async throws(DaemonError) -> RoutingTable.Route {
        if isClustered, let cluster, routes.route(assessmentId: assessmentId).map({ isLost($0.sessionId) }) ?? true {
            try await cluster.locate(assessmentId: assessmentId)
        }
        return try routes.route(assessmentId: assessmentId, token: token)
    }

    var cluster: ClusterMembership? { clusterMembership.withLock { $0 } }

    /// Set for the daemon's life: a daemon alone on its store takes no lock of the cluster's on
    /// the request path.
    var isClustered: Bool { configuration.cluster != nil }

    func join(_ cluster: ClusterMembership) { clusterMembership.withLock { $0 = cluster } }

    /// Another daemon took the session: its requests are sent there, and this daemon's copy is
    /// dropped (a takeover later rebuilds it from the store).
    func markLost(_ sessionId: String) {
        lostSessions.withLock { _ = $0.insert(sessionId) }
        routes.evictSession(sessionId)
        for shard in pool.shards { shard.removeAll(sessionId: sessionId) }
    }

    func markHeld(_ sessionId: String) { lostSessions.withLock { _ = $0.remove(sessionId) } }

    func isLost(_ sessionId: String) -> Bool {
        lostSessions.withLock { $0.isEmpty ? false : $0.contains(sessionId) }
    }

    // MARK: Commits and notices

    /// Waits for a queued entry's commit, its failure mapped to a DaemonError.
    func wait(_ ticket: CommitTicket) async throws(DaemonError) {
        do throws(StoreError) { try await ticket.wait() } catch { throw DaemonError(error) }
    }

    /// A reply that refuses the request after its rows were committed (the time ran out).
    func refusal(_ reply: CandidateTest.Reply, assessmentId: String) -> DaemonError {
        if case .timeRanOut(let limit) = reply { return .testDurationExceeded(assessmentId, limitSeconds: limit) }
        return .internalError("Unexpected reply \(reply) for assessment \(assessmentId).")
    }

    /// Updates the running totals and tells the watchers what a transition did.
    func notify(_ notices: [CandidateTest.Notice], sessionId: String, candidateId: String, detail: String? = nil) {
        for notice in notices {
            switch notice {
            case .answerRecorded(let count):
                gauges.add(.answersTotal, 1)
                if events.hasSubscribers {
                    events.publish(atSeconds: nowSeconds(), sessionId: sessionId, candidateId: candidateId,
                                   kind: .answerRecorded, answersCount: count)
                }
                continue
            case .resultWritten:
                gauges.add(.resultsWritten, 1)
                continue
            case .started: gauges.add(.activeCandidates, 1)
            case .completed, .endedByInvigilator, .endedDueToDurationExceeded, .endedDueToFinalization:
                gauges.add(.activeCandidates, -1)
            default: break
            }
            guard events.hasSubscribers else { continue }
            let (kind, noticeDetail) = Self.event(of: notice)
            events.publish(atSeconds: nowSeconds(), sessionId: sessionId, candidateId: candidateId, kind: kind,
                           detail: noticeDetail ?? detail)
        }
    }

    func publish(sessionId: String, candidateId: String?, _ kind: SessionEventKind, detail: String? = nil) {
        guard events.hasSubscribers else { return }
        events.publish(atSeconds: nowSeconds(), sessionId: sessionId, candidateId: candidateId, kind: kind, detail: detail)
    }

    private static func event(of notice: CandidateTest.Notice) -> (SessionEventKind, String?) {
        switch notice {
        case .authorized: (.candidateAuthorized, nil)
        case .started: (.candidateStarted, nil)
        case .resumed: (.candidateResumed, nil)
        case .answerRecorded: (.answerRecorded, nil)
        case .completed, .resultWritten: (.candidateCompleted, nil)
        case .endedByInvigilator: (.candidateEndedByInvigilator, nil)
        case .endedDueToDurationExceeded: (.candidateEndedDueToDurationExceeded, nil)
        case .endedDueToFinalization(let reason): (.candidateEndedDueToFinalization, reason.rawValue)
        case .liveAlertRaised(let id): (.liveAlertRaised, id)
        case .liveAlertValidated(let id): (.liveAlertValidated, id)
        case .liveAlertDismissed(let id): (.liveAlertDismissed, id)
        case .companionAlertRaised: (.companionAlertRaised, nil)
        case .companionAlertCleared: (.companionAlertCleared, nil)
        }
    }
}
