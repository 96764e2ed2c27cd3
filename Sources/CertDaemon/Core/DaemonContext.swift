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

/// What the supervisor, the sessions and the services share. Owned by the daemon core; built
/// once by `DaemonRuntime.open`.
final class DaemonContext: Sendable {
    let configuration: DaemonConfiguration
    let writer: ResultWriter
    let metrics: DaemonMetrics
    let events: EventHub
    let pool: EnginePool
    let routes: RoutingTable
    let certificates: CertificateIndex
    let verificationCodes: CodeRegistry
    let gauges: DaemonGauges

    init(configuration: DaemonConfiguration, writer: ResultWriter, metrics: DaemonMetrics) {
        self.configuration = configuration
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
                seed: configuration.seed, bank: configuration.bank, algorithm: configuration.algorithm,
                limits: configuration.limits, clock: configuration.clock, writer: writer,
                verificationCodes: verificationCodes))
    }

    var seed: UInt64 { configuration.seed }
    var limits: DaemonLimits { configuration.limits }

    func nowSeconds() -> Double { configuration.clock.nowSeconds() }

    /// One row for the store, written through the writer (durable before returning in
    /// durable mode), its failure mapped to a DaemonError.
    enum StoreWrite: Sendable {
        case session(SessionRecord)
        case candidate(CandidateRecord)
        case candidateStatus(sessionId: String, candidateId: String, status: CandidateStatus, abortReason: AbortReason?)
        case assessment(AssessmentRecord)
        case assessmentStatus(assessmentId: String, status: String)
        case alert(AlertRecord)
    }

    func write(_ write: StoreWrite) async throws(DaemonError) {
        do {
            switch write {
            case .session(let record): try await writer.upsertSession(record)
            case .candidate(let record): try await writer.upsertCandidate(record)
            case .candidateStatus(let sessionId, let candidateId, let status, let abortReason):
                try await writer.updateCandidateStatus(
                    sessionId: sessionId, candidateId: candidateId, status: status.rawValue,
                    abortReason: abortReason?.rawValue)
            case .assessment(let record): try await writer.upsertAssessment(record)
            case .assessmentStatus(let assessmentId, let status):
                try await writer.updateAssessmentStatus(assessmentId: assessmentId, status: status)
            case .alert(let record): try await writer.upsertAlert(record)
            }
        } catch {
            throw DaemonError(error)
        }
    }
}
