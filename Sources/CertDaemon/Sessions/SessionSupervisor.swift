import CertCore
import CertStore

/// Owns the session registry: creates sessions (ids and access codes drawn from the daemon
/// seed, invigilator passwords from the system's cryptographic generator, never from the seed,
/// which is public), registers them in the routing table, and adopts those recovery rebuilds.
/// Owned by the daemon core.
///
/// Candidate requests do not pass through this actor: they find their session and engine
/// in the lock-protected `RoutingTable` it maintains.
actor SessionSupervisor {
    private let context: DaemonContext
    /// Access codes of every session held, so that a new session never shares one.
    private var accessCodes: Set<String> = []
    private var generatedSessions = 0

    init(context: DaemonContext) {
        self.context = context
    }

    func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        let limits = context.limits
        guard context.routes.sessionCount < limits.sessionsMax else {
            throw DaemonError(.tooManySessions, "The daemon already holds \(limits.sessionsMax) sessions (sessionsMax).")
        }
        let sessionId: String
        if let chosen = request.sessionId {
            guard !chosen.isEmpty, chosen.utf8.count <= limits.idLengthMax else {
                throw .badRequest(.invalidId, "A session id must have 1 to \(limits.idLengthMax) bytes.")
            }
            guard !context.routes.containsSession(chosen) else {
                throw .conflict(.sessionExists, "A session with the id \(chosen) already exists.")
            }
            sessionId = chosen
            if let cluster = context.cluster, try await !cluster.claimNew(chosen) {
                throw .conflict(.sessionExists, "A session with the id \(chosen) already exists on a daemon sharing this store.")
            }
        } else {
            sessionId = try await generateSessionId()
        }
        var random = Draws.accessCodes(seed: context.seed, sessionId: sessionId)
        let accessCode: String
        do {
            accessCode = try Codes.unique(.accessCode, using: &random, limit: limits.sessionCodeAttemptsMax) {
                accessCodes.contains($0)
            }
        } catch {
            throw DaemonError(error)
        }
        let rules = try context.versions.rulesForNewSession(
            versionId: request.certificationVersion, contentHash: request.certificationVersionHash)
        let duration = request.nominalDurationSeconds ?? rules.durationSeconds
        guard duration.isFinite, duration > 0, duration <= SessionState.expirySeconds else {
            throw .badRequest(
                .invalidDuration,
                "A session's nominal duration must be more than 0 and at most \(Int(SessionState.expirySeconds)) seconds (24 hours).")
        }
        let password = Secrets.invigilatorPassword()
        let now = context.nowSeconds()
        let state = SessionState(
            id: sessionId, accessCode: accessCode, centre: request.centre,
            name: request.name, nominalDurationSeconds: duration)
        let session = ProctoringSession(
            session: state, passwordHash: Secrets.hash(password), createdAtSeconds: now, rules: rules, context: context)
        do throws(StoreError) { try context.writer.checkAccepting() } catch { throw DaemonError(error) }
        guard context.routes.addSession(sessionId, session) else {
            throw .conflict(.sessionExists, "A session with the id \(sessionId) already exists.")
        }
        accessCodes.insert(accessCode)
        context.gauges.add(.activeSessions, 1)
        let ticket = CommitTicket()
        context.writer.enqueue([.session(await session.sessionRecord)], ticket: ticket)
        try await context.wait(ticket)
        context.publish(sessionId: sessionId, candidateId: nil, .sessionCreated)
        return SessionCreated(sessionId: sessionId, accessCode: accessCode, invigilatorPassword: password,
                              certificationVersion: rules.version.id)
    }

    /// Registers a session rebuilt from the store.
    func adopt(_ session: ProctoringSession, accessCode: String, isActive: Bool) {
        _ = context.routes.addSession(session.id, session)
        accessCodes.insert(accessCode)
        if isActive { context.gauges.add(.activeSessions, 1) }
    }

    /// A drawn id no session of this daemon has; on a shared store, one whose lease this daemon
    /// could take first (the store decides: another daemon drawing the same id draws again).
    private func generateSessionId() async throws(DaemonError) -> String {
        for _ in 0..<context.limits.sessionCodeAttemptsMax {
            generatedSessions += 1
            let id = Draws.sessionId(seed: context.seed, ordinal: generatedSessions)
            guard !context.routes.containsSession(id) else { continue }
            if let cluster = context.cluster, try await !cluster.claimNew(id) { continue }
            return id
        }
        throw DaemonError(
            .sessionIdExhausted,
            "No free session id after \(context.limits.sessionCodeAttemptsMax) draws; choose one explicitly.")
    }
}
