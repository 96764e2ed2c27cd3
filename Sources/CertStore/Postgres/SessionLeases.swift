import CertCore
import PostgresNIO
import Synchronization

/// The sessions one daemon holds and the epoch of each, as its store writes must prove them.
///
/// Owned by the daemon's cluster membership (which changes it as leases are taken, renewed and
/// lost) and read by the PostgreSQL engine on every batch: an entry of a session whose lease row
/// does not name this daemon and this epoch is refused with `STORE_FENCED`
/// (fencing: a daemon that lost a session writes nothing of it), while the batch's other entries
/// commit. The lease rows are read `FOR SHARE`, so an owner change waits for the batch to end;
/// the expiry decides only when another daemon may claim.
public final class LeaseFence: Sendable {
    public let daemonId: String
    private let held = Mutex<[String: Int64]>([:])
    /// Assessment → session, for the writes that name only an assessment (answers, results…).
    private let sessionsOfAssessments = Mutex<[String: String]>([:])
    /// Most assessments remembered; past it, the batch looks the session up in the store.
    static let assessmentsMax = 1_000_000

    public init(daemonId: String) {
        self.daemonId = daemonId
    }

    public func hold(_ sessionId: String, epoch: Int64) { held.withLock { $0[sessionId] = epoch } }
    public func release(_ sessionId: String) { held.withLock { _ = $0.removeValue(forKey: sessionId) } }
    public func epoch(of sessionId: String) -> Int64? { held.withLock { $0[sessionId] } }
    public var heldSessions: [String: Int64] { held.withLock { $0 } }

    func remember(assessment: String, session: String) {
        sessionsOfAssessments.withLock { map in
            if map.count < Self.assessmentsMax { map[assessment] = session }
        }
    }

    func session(ofAssessment id: String) -> String? { sessionsOfAssessments.withLock { $0[id] } }

    /// The session a write belongs to, if the fence knows it; `.version` belongs to none.
    func session(of write: StoreWrite) -> (session: String?, assessment: String?) {
        switch write {
        case .session(let s): (s.id, nil)
        case .candidate(let c): (c.sessionId, nil)
        case .candidateStatus(let sessionId, _, _, _): (sessionId, nil)
        case .assessment(let a): (a.sessionId, nil)
        case .candidateEvent(let e): (e.sessionId, nil)
        case .answer(let a): (session(ofAssessment: a.assessmentId), a.assessmentId)
        case .assessmentStatus(let id, _): (session(ofAssessment: id), id)
        case .alert(let a): (session(ofAssessment: a.assessmentId), a.assessmentId)
        case .result(let r): (session(ofAssessment: r.assessmentId), r.assessmentId)
        case .issueReport(let i): (session(ofAssessment: i.assessmentId), i.assessmentId)
        case .juryLevel(let id, _, _): (session(ofAssessment: id), id)
        case .version: (nil, nil)
        }
    }

    /// Which entries of a batch this daemon may not write (index → refusal), read inside the
    /// batch's transaction on `connection`.
    func refusals(_ entries: [QueuedWrite], on connection: PostgresConnection) async throws -> [Int: StoreError] {
        var sessionsByEntry: [Int: Set<String>] = [:]
        var unknownAssessments: Set<String> = []
        var pending: [(entry: Int, assessment: String)] = []
        for (index, entry) in entries.enumerated() {
            let writes: [StoreWrite]
            switch entry {
            case .single(let write): writes = [write]
            case .group(let group): writes = group
            }
            for write in writes {
                if case .assessment(let a) = write { remember(assessment: a.id, session: a.sessionId) }
                let (session, assessment) = session(of: write)
                if let session {
                    sessionsByEntry[index, default: []].insert(session)
                } else if let assessment {
                    unknownAssessments.insert(assessment)
                    pending.append((index, assessment))
                }
            }
        }
        if !unknownAssessments.isEmpty {
            for try await (id, session) in try await connection.query(
                "SELECT id, session_id FROM assessments WHERE id = ANY(\(Array(unknownAssessments)))",
                logger: PostgresBackend.logger).decode((String, String).self) {
                remember(assessment: id, session: session)
            }
            for (index, assessment) in pending {
                // An assessment the store does not hold: the write's own refusal will say so.
                if let session = session(ofAssessment: assessment) { sessionsByEntry[index, default: []].insert(session) }
            }
        }
        let sessions = Set(sessionsByEntry.values.flatMap { $0 })
        guard !sessions.isEmpty else { return [:] }
        var valid: Set<String> = []
        let held = heldSessions
        // Owner and epoch unchanged is proof enough: a claim changes them (and waits for this
        // batch's share lock), so an expired lease nobody took yet still lets its holder write.
        for try await (session, owner, epoch) in try await connection.query("""
            SELECT session_id, owner, epoch FROM session_leases WHERE session_id = ANY(\(Array(sessions))) FOR SHARE
            """, logger: PostgresBackend.logger).decode((String, String, Int64).self) {
            if owner == daemonId, held[session] == epoch { valid.insert(session) }
        }
        var refusals: [Int: StoreError] = [:]
        for (index, entrySessions) in sessionsByEntry {
            if let lost = entrySessions.first(where: { !valid.contains($0) }) {
                refusals[index] = StoreError(.storeFenced, "Daemon \(daemonId) no longer holds the lease of session \(lost); its writes belong to the session's new owner.")
            }
        }
        return refusals
    }
}

/// A daemon as the store lists it: where candidates (HTTP) and proctors (control socket) reach it.
public struct DaemonEndpoint: Sendable, Equatable, Codable {
    public var id: String
    public var httpURL: String
    public var controlAddress: String

    public init(id: String, httpURL: String, controlAddress: String) {
        self.id = id
        self.httpURL = httpURL
        self.controlAddress = controlAddress
    }
}

/// Who holds a session's lease, as the store says now.
public enum LeaseOwner: Sendable, Equatable {
    /// No lease row: no daemon has ever held the session.
    case none
    /// Held by a daemon whose lease has not expired.
    case live(DaemonEndpoint, epoch: Int64)
    /// The holder's lease expired: any daemon may claim the session.
    case expired(owner: String, epoch: Int64)
}

/// The lease operations of a PostgreSQL store, each one statement decided by PostgreSQL (its
/// transactions and its clock): no daemon's clock and no consensus of certsim's own.
///
/// Owned by the daemon's cluster membership; built from the daemon's ``ResultWriter``
/// (``ResultWriter/sessionLeases()``), on its connection pool.
public struct SessionLeases: Sendable {
    let client: PostgresClient
    let location: PostgresLocation
    public let fence: LeaseFence

    /// Lists (or updates) this daemon's addresses.
    public func register(_ address: DaemonEndpoint) async throws(StoreError) {
        try await run("registering the daemon") { client in
            try await client.query("""
                INSERT INTO daemons (id, http_url, control_address, registered_seconds)
                VALUES (\(address.id), \(address.httpURL), \(address.controlAddress), extract(epoch FROM clock_timestamp())::double precision)
                ON CONFLICT (id) DO UPDATE SET http_url = excluded.http_url, control_address = excluded.control_address,
                    registered_seconds = excluded.registered_seconds
                """, logger: PostgresBackend.logger)
        }
    }

    /// Takes a new session's lease: nil when another daemon has (or had) a session of that id.
    public func claimNew(_ sessionId: String, seconds: Double) async throws(StoreError) -> Int64? {
        let epoch: Int64? = try await run("claiming a new session") { client in
            var epoch: Int64?
            for try await (value,) in try await client.query("""
                INSERT INTO session_leases (session_id, owner, epoch, expires_seconds)
                VALUES (\(sessionId), \(fence.daemonId), 1, extract(epoch FROM clock_timestamp())::double precision + \(seconds))
                ON CONFLICT (session_id) DO NOTHING RETURNING epoch
                """, logger: PostgresBackend.logger).decode((Int64,).self) { epoch = value }
            return epoch
        }
        if let epoch { fence.hold(sessionId, epoch: epoch) }
        return epoch
    }

    /// Takes over a session whose lease expired (or that has none, or is this daemon's own), in
    /// one conditional statement: of several daemons claiming at once, one wins. Returns the new
    /// epoch, nil when another daemon holds a live lease.
    public func claim(_ sessionId: String, seconds: Double) async throws(StoreError) -> Int64? {
        let me = fence.daemonId
        let epoch: Int64? = try await run("claiming a session") { client in
            var epoch: Int64?
            for try await (value,) in try await client.query("""
                INSERT INTO session_leases (session_id, owner, epoch, expires_seconds)
                VALUES (\(sessionId), \(me), 1, extract(epoch FROM clock_timestamp())::double precision + \(seconds))
                ON CONFLICT (session_id) DO UPDATE SET owner = excluded.owner, epoch = session_leases.epoch + 1,
                    expires_seconds = excluded.expires_seconds
                WHERE session_leases.expires_seconds <= extract(epoch FROM clock_timestamp())::double precision
                   OR session_leases.owner = excluded.owner
                RETURNING epoch
                """, logger: PostgresBackend.logger).decode((Int64,).self) { epoch = value }
            return epoch
        }
        if let epoch { fence.hold(sessionId, epoch: epoch) } else { fence.release(sessionId) }
        return epoch
    }

    /// Extends every lease this daemon holds — one that expired is still its own while no other
    /// daemon claimed it (same owner, same epoch); returns the sessions another daemon took,
    /// which the fence then refuses.
    public func renew(seconds: Double) async throws(StoreError) -> [String] {
        let held = fence.heldSessions
        guard !held.isEmpty else { return [] }
        let me = fence.daemonId
        let renewed: [String: Int64] = try await run("renewing leases") { client in
            var renewed: [String: Int64] = [:]
            for try await (session, epoch) in try await client.query("""
                UPDATE session_leases SET expires_seconds = extract(epoch FROM clock_timestamp())::double precision + \(seconds)
                WHERE owner = \(me) AND session_id = ANY(\(Array(held.keys)))
                RETURNING session_id, epoch
                """, logger: PostgresBackend.logger).decode((String, Int64).self) { renewed[session] = epoch }
            return renewed
        }
        var lost: [String] = []
        for (session, epoch) in held where renewed[session] != epoch {
            fence.release(session)
            lost.append(session)
        }
        return lost.sorted()
    }

    /// Sessions whose lease expired, or that have none (sessions stored before any lease), oldest first.
    public func claimable(limit: Int) async throws(StoreError) -> [String] {
        try await run("listing expired leases") { client in
            var sessions: [String] = []
            for try await (session,) in try await client.query("""
                SELECT s.id FROM sessions s LEFT JOIN session_leases l ON l.session_id = s.id
                WHERE l.session_id IS NULL OR l.expires_seconds <= extract(epoch FROM clock_timestamp())::double precision
                ORDER BY s.created_seconds, s.id COLLATE "C" LIMIT \(limit)
                """, logger: PostgresBackend.logger).decode((String,).self) { sessions.append(session) }
            return sessions
        }
    }

    /// Who holds `sessionId` now.
    public func owner(of sessionId: String) async throws(StoreError) -> LeaseOwner {
        try await run("finding a session's owner") { client in
            var owner = LeaseOwner.none
            for try await (id, epoch, live, http, control) in try await client.query("""
                SELECT l.owner, l.epoch, l.expires_seconds > extract(epoch FROM clock_timestamp())::double precision,
                       d.http_url, d.control_address
                FROM session_leases l LEFT JOIN daemons d ON d.id = l.owner WHERE l.session_id = \(sessionId)
                """, logger: PostgresBackend.logger).decode((String, Int64, Bool, String?, String?).self) {
                owner = live
                    ? .live(DaemonEndpoint(id: id, httpURL: http ?? "", controlAddress: control ?? ""), epoch: epoch)
                    : .expired(owner: id, epoch: epoch)
            }
            return owner
        }
    }

    /// The session of a stored assessment, if any.
    public func session(ofAssessment assessmentId: String) async throws(StoreError) -> String? {
        if let known = fence.session(ofAssessment: assessmentId) { return known }
        return try await run("finding an assessment's session") { client in
            var session: String?
            for try await (value,) in try await client.query(
                "SELECT session_id FROM assessments WHERE id = \(assessmentId)", logger: PostgresBackend.logger)
                .decode((String,).self) { session = value }
            return session
        }
    }

    private func run<T: Sendable>(_ doing: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body(client)
        } catch {
            throw PostgresErrors.map(error, location: location, while: doing)
        }
    }
}
