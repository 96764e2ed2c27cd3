import Synchronization

/// The daemon's routing tables: session id → its `ProctoringSession` actor, and assessment
/// id → (session, candidate, shard, current token).
///
/// Lock-protected (Synchronization.Mutex), not an actor, on purpose: every candidate request
/// looks its assessment up here, and an actor would add a hop (and a serial queue) in front
/// of every answer. The table is read-mostly: routes are written by the supervisor (new
/// sessions, recovery) and by a session when a candidate starts (new assessment, new token);
/// reads are a dictionary lookup under the lock. Owned by the daemon core's SessionSupervisor.
final class RoutingTable: Sendable {
    /// Where an assessment's requests go. A class, so that a lookup hands out one reference
    /// rather than copying (and retaining) its five fields at every request.
    final class Route: Sendable {
        let assessmentId: String
        let sessionId: String
        let candidateId: String
        /// The candidate's key in its shard.
        let key: String
        let shard: EngineShard
        /// The test's slot in its shard (looked up once, here): the request path reaches the
        /// test by index.
        let slot: Int?
        let session: ProctoringSession
        /// The token given at registration; the table keeps the current one (`setToken`).
        let registeredToken: String?

        init(assessmentId: String, sessionId: String, candidateId: String, key: String, shard: EngineShard,
             session: ProctoringSession, token: String?) {
            self.assessmentId = assessmentId
            self.sessionId = sessionId
            self.candidateId = candidateId
            self.key = key
            self.shard = shard
            self.slot = shard.slot(of: key)
            self.session = session
            self.registeredToken = token
        }
    }

    /// A route and the bearer token of the latest start (nil after a restart until the
    /// candidate resumes).
    private struct Entry {
        let route: Route
        var token: String?
    }

    private let routes = Mutex([String: Entry]())
    private let sessions = Mutex([String: ProctoringSession]())

    // MARK: Sessions

    func session(_ id: String) -> ProctoringSession? {
        sessions.withLock { $0[id] }
    }

    /// Adds a session unless its id is taken; true when added.
    func addSession(_ id: String, _ session: ProctoringSession) -> Bool {
        sessions.withLock { table in
            guard table[id] == nil else { return false }
            table[id] = session
            return true
        }
    }

    /// Drops a session and the routes of its assessments (its lease went to another daemon):
    /// a later takeover rebuilds it from the store, never from this stale copy.
    func evictSession(_ id: String) {
        sessions.withLock { _ = $0.removeValue(forKey: id) }
        routes.withLock { table in
            for key in table.keys where table[key]?.route.sessionId == id { table.removeValue(forKey: key) }
        }
    }

    func containsSession(_ id: String) -> Bool {
        sessions.withLock { $0[id] != nil }
    }

    /// Every session, sorted by id.
    func allSessions() -> [(id: String, session: ProctoringSession)] {
        sessions.withLock { table in table.map { (id: $0.key, session: $0.value) } }.sorted { $0.id < $1.id }
    }

    var sessionCount: Int { sessions.withLock { $0.count } }

    // MARK: Assessments

    /// The route of an assessment if `token` is its current token: unknown id → 404
    /// ASSESSMENT_NOT_FOUND, another token (another candidate's, an old one) → 403 INVALID_TOKEN.
    func route(assessmentId: String, token: String) throws(DaemonError) -> Route {
        let (route, tokenMatches) = routes.withLock { table -> (Route?, Bool) in
            guard let index = table.index(forKey: assessmentId) else { return (nil, false) }
            let entry = table.values[index]
            return (entry.route, entry.token.map { Secrets.constantTimeEquals($0, token) } ?? false)
        }
        guard let route else { throw .assessmentNotFound(assessmentId) }
        guard tokenMatches else { throw .invalidToken }
        return route
    }

    func route(assessmentId: String) -> Route? {
        routes.withLock { $0[assessmentId]?.route }
    }

    func containsAssessment(_ id: String) -> Bool {
        routes.withLock { $0[id] != nil }
    }

    /// Adds the route of a new assessment, or replaces its token if it exists.
    func register(_ route: Route) {
        routes.withLock { table in
            if table[route.assessmentId] != nil {
                table[route.assessmentId]!.token = route.registeredToken
            } else {
                table[route.assessmentId] = Entry(route: route, token: route.registeredToken)
            }
        }
    }

    /// Makes `token` the only one accepted for the assessment (the previous one stops working).
    func setToken(_ token: String?, assessmentId: String) {
        routes.withLock { table in table[assessmentId]?.token = token }
    }
}
