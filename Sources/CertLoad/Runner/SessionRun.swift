import CertCore
import CertDaemon
import Foundation

/// One session's simulated invigilator, around the candidates' flows: opens the session (chosen
/// id), logs in with the invigilator password, enrols the candidates; once every candidate is
/// done, finalises — giving an abort reason for each unfinished test (`candidate` for those who
/// left, `technical` otherwise) — and publishes.
///
/// Owned by the runner.
actor SessionRun {
    let plan: DayPlan.Session
    let simulated: [SimulatedCandidate]
    private let proctors: any ProctorTransport
    private var remaining: Int
    private var outcomes: [String: CandidateOutcome] = [:]
    /// Failed requests of `close()` waited out through an outage, by code.
    private(set) var outageRetries = ErrorCounts()
    /// The certificates once `publish` answered (a retry of `close()` does not publish again).
    private var published: [PublishedCertificate]?
    /// Publications whose answer was lost in an outage (their certificates are unknown to the run).
    private(set) var publicationRepliesLost = 0
    /// The certification version the session is created under (its id and hash are sent).
    let version: CertificationVersion
    /// The complementary certification every candidate is also enrolled in, if any.
    let complementaryVersionId: String?
    /// Bounds of `close()`'s waits through an outage.
    private let limits: FlowLimits

    init(plan: DayPlan.Session, simulated: [SimulatedCandidate], proctors: any ProctorTransport,
         version: CertificationVersion, complementaryVersionId: String? = nil, limits: FlowLimits = FlowLimits()) {
        self.limits = limits
        self.version = version
        self.complementaryVersionId = complementaryVersionId
        self.plan = plan
        self.simulated = simulated
        self.proctors = proctors
        self.remaining = plan.candidates.count
    }

    /// Creates the session, logs in and enrols every candidate.
    func setUp() async throws(DaemonError) -> SessionContext {
        let created = try await proctors.createSession(CreateSessionRequest(
            sessionId: plan.sessionId, name: "Session \(plan.sessionId)", centre: "centre-\(plan.centre + 1)",
            certificationVersion: version.id, certificationVersionHash: version.contentHash))
        try await proctors.login(sessionId: created.sessionId, password: created.invigilatorPassword)
        // Enrolments are independent (each waits for the store in durable mode): send them together.
        let (proctors, sessionId, complementary) = (self.proctors, plan.sessionId, complementaryVersionId)
        let failure = await withTaskGroup(of: DaemonError?.self) { group in
            for candidate in simulated {
                group.addTask {
                    do throws(DaemonError) {
                        try await proctors.enrol(sessionId: sessionId, candidateId: candidate.identity.candidateId,
                                                 needsAccessibility: candidate.needsAccessibility, locale: candidate.locale,
                                                 complementaryVersionId: complementary)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var first: DaemonError?
            for await error in group where first == nil { first = error }
            return first
        }
        if let failure { throw failure }
        return SessionContext(sessionId: plan.sessionId, accessCode: created.accessCode,
                              opensAtSeconds: plan.opensAtSeconds)
    }

    /// `setUp()`, with its failure as a value (for a task group).
    func setUpOutcome(index: Int) async -> SessionSetUp {
        do throws(DaemonError) {
            return SessionSetUp(index: index, context: try await setUp(), error: nil)
        } catch {
            return SessionSetUp(index: index, context: nil, error: error)
        }
    }

    /// Records a candidate's end; true when it was the session's last one.
    func candidateFinished(_ outcome: CandidateOutcome) -> Bool {
        outcomes[outcome.identity.candidateId] = outcome
        remaining -= 1
        return remaining == 0
    }

    /// Finalises and publishes; returns the session as the daemon sees it afterwards and the
    /// published certificates. Through an outage of the daemon (see `CandidateFlow`) it waits
    /// (bounded by `FlowLimits`' outage limits) and carries on from where it stood and the
    /// session's status: a finalisation or a publication whose acknowledgement was lost is not
    /// asked for again.
    func close() async throws(DaemonError) -> ClosedSession {
        let began = VirtualClock.uptimeNanoseconds()
        var tries = 0
        while true {
            do throws(DaemonError) {
                return try await closeOnce()
            } catch where CandidateFlow.isOutage(error) {
                tries += 1
                let now = VirtualClock.uptimeNanoseconds()
                let outageSeconds = now > began ? Double(now - began) / 1e9 : 0
                guard tries <= limits.reconnectAttemptsMax, outageSeconds < limits.daemonOutageSecondsMax else { throw error }
                outageRetries.record(error.code)
                let waitSeconds = min(limits.outageWaitSecondsMax,
                                      limits.outageWaitSecondsMin * Foundation.pow(2, Double(min(tries - 1, 30))))
                try? await Task.sleep(nanoseconds: UInt64(max(0, waitSeconds) * 1e9))
            }
        }
    }

    private func closeOnce() async throws(DaemonError) -> ClosedSession {
        if published == nil {
            let before = try await proctors.showSession(plan.sessionId)
            let status = SessionStatus(rawValue: before.status)
            if status == .created || status == .started {
                var reasons: [String: AbortReason] = [:]
                for candidate in before.candidates where Self.needsAbortReason(status: candidate.status) {
                    reasons[candidate.candidateId] = outcomes[candidate.candidateId]?.abortReason ?? .technical
                }
                _ = try await proctors.finalize(sessionId: plan.sessionId, abortReasons: reasons)
            }
            if status == .processed {
                // Published by a request whose answer (the certificates) an outage took: the
                // results are in the store, found through the session's assessments.
                publicationRepliesLost += 1
                published = []
            } else {
                published = try await proctors.publish(sessionId: plan.sessionId)
            }
        }
        let after = try await proctors.showSession(plan.sessionId)
        await proctors.closeSession(plan.sessionId)
        return ClosedSession(detail: after, certificates: published ?? [], outcomes: outcomes)
    }

    /// Started and not completed: finalisation needs a reason (DESIGN §3.6).
    static func needsAbortReason(status: String) -> Bool {
        switch status {
        case "enrolled", "authorizedToStart", "completed": false
        default: true
        }
    }
}

/// One session's set-up, done or failed.
struct SessionSetUp: Sendable {
    var index: Int
    var context: SessionContext?
    var error: DaemonError?
}

/// A published session as the runner gathers it.
struct ClosedSession: Sendable {
    var detail: SessionDetail
    var certificates: [PublishedCertificate]
    var outcomes: [String: CandidateOutcome]
}
