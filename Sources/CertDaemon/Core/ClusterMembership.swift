import CertCore
import CertStore
import Logging

/// How a daemon shares a PostgreSQL store with others (DESIGN §4 "Beyond one machine"): its
/// name and addresses, and the lease timings. Owned by the daemon's configuration.
public struct ClusterSettings: Sendable, Equatable {
    /// Unique among the daemons sharing the store.
    public var daemonId: String
    /// The base URL candidates reach this daemon's API at (`http://HOST:PORT`).
    public var httpURL: String
    /// Where proctors reach this daemon's control socket (a path, on the daemon's own host).
    public var controlAddress: String
    /// How long a lease lasts without renewal: after a daemon dies, its sessions wait this long
    /// (at most) before another daemon takes them over. Default 10 s.
    public var leaseSeconds: Double = 10
    /// How often leases are renewed and expired ones looked for. Default a third of the lease.
    public var renewSeconds: Double?

    public init(daemonId: String, httpURL: String, controlAddress: String, leaseSeconds: Double = 10) {
        self.daemonId = daemonId
        self.httpURL = httpURL
        self.controlAddress = controlAddress
        self.leaseSeconds = leaseSeconds
    }

    var renewInterval: Double { max(0.05, renewSeconds ?? leaseSeconds / 3) }
}

/// The daemon's membership of a shared store: it holds the leases of the sessions this daemon
/// serves, renews them on an interval, takes over sessions whose lease expired (rebuilding their
/// tests from the journal, as a restart does), and tells where a session held elsewhere is.
///
/// Owned by the daemon core (started by `DaemonCore.open`, stopped at shutdown). PostgreSQL's
/// transactions decide every change of owner; this actor only asks.
actor ClusterMembership {
    let settings: ClusterSettings
    let leases: SessionLeases
    private let context: DaemonContext
    private let supervisor: SessionSupervisor
    private var loop: Task<Void, Never>?
    private let logger = Logger(label: "certsim.cluster")
    /// Sessions taken over since start, and how long each takeover took (claim + rebuild), in seconds.
    private(set) var takeovers: [(sessionId: String, seconds: Double)] = []
    /// Most sessions claimed in one scan (each one rebuilds its tests).
    static let claimsPerScanMax = 64
    /// Sessions being claimed and rebuilt now: a second takeover of one of them (a request
    /// arriving during the scan's rebuild) waits for the first instead of claiming again.
    private var takingOver: Set<String> = []
    /// Longest wait for another takeover of the same session, in 10 ms steps (30 s).
    static let takeoverWaitStepsMax = 3_000

    init(settings: ClusterSettings, leases: SessionLeases, context: DaemonContext, supervisor: SessionSupervisor) {
        self.settings = settings
        self.leases = leases
        self.context = context
        self.supervisor = supervisor
    }

    var seconds: Double { settings.leaseSeconds }

    /// Registers the daemon, then claims every session no live daemon holds and rebuilds them
    /// (the start of a daemon on a shared store: its own sessions of before a restart included).
    func join() async throws {
        try await leases.register(DaemonEndpoint(id: settings.daemonId, httpURL: settings.httpURL,
                                                 controlAddress: settings.controlAddress))
        _ = try await scan()
    }

    /// Starts renewing and scanning on the interval; the loop ends with `stop()`.
    func start() {
        guard loop == nil else { return }
        let interval = settings.renewInterval
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                guard let self, !Task.isCancelled else { return }
                await self.tick()
            }
        }
    }

    func stop() {
        loop?.cancel()
        loop = nil
    }

    /// One round: renew, then claim what expired. A store that does not answer is logged; the
    /// fence refuses this daemon's writes once its leases run out, so nothing is written late.
    func tick() async {
        do {
            let lost = try await leases.renew(seconds: seconds)
            for session in lost {
                context.markLost(session)
                logger.warning("lease lost", metadata: ["session": "\(session)", "daemon": "\(settings.daemonId)"])
            }
            _ = try await scan()
        } catch {
            logger.error("lease round failed", metadata: ["error": "\(error)"])
        }
    }

    /// Claims the sessions whose lease expired (or that have none) and rebuilds them. Returns their ids.
    func scan() async throws -> [String] {
        try await takeOver(try await leases.claimable(limit: Self.claimsPerScanMax))
    }

    /// Takes `sessionId` over if its lease expired (or it has none) and rebuilds it; false when
    /// a live daemon holds it.
    func takeOver(_ sessionId: String) async throws -> Bool {
        try await !takeOver([sessionId]).isEmpty
    }

    /// Claims each of `sessions` (those a live daemon holds are skipped) and rebuilds the ones
    /// claimed in one read of the store. Returns the sessions claimed.
    private func takeOver(_ sessions: [String]) async throws -> [String] {
        let started = ContinuousClock.now
        var claimed: [String] = []
        var mine: [String] = []
        for session in sessions {
            if takingOver.contains(session) {
                // Another call is rebuilding it: wait for that one's outcome.
                for _ in 0..<Self.takeoverWaitStepsMax where takingOver.contains(session) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if leases.fence.epoch(of: session) != nil, context.routes.containsSession(session) { claimed.append(session) }
                continue
            }
            if leases.fence.epoch(of: session) != nil, context.routes.containsSession(session), !context.isLost(session) {
                claimed.append(session)  // held and served here already: nothing to claim
                continue
            }
            takingOver.insert(session)
            mine.append(session)
        }
        defer { for session in mine { takingOver.remove(session) } }
        var won: [String] = []
        for session in mine where try await leases.claim(session, seconds: seconds) != nil { won.append(session) }
        // A session lost earlier was evicted: every claimed session is rebuilt from the store.
        let toRebuild = won.filter { !context.routes.containsSession($0) }
        if !toRebuild.isEmpty {
            try await Recovery(context: context, supervisor: supervisor).run(onlySessions: Set(toRebuild))
        }
        for session in won { context.markHeld(session) }
        claimed += won
        let elapsed = ContinuousClock.now - started
        let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        for session in toRebuild where won.contains(session) {
            takeovers.append((session, secondsTaken))
            logger.notice("session taken over", metadata: [
                "session": "\(session)", "daemon": "\(settings.daemonId)", "seconds": "\(secondsTaken)"])
        }
        return claimed
    }

    /// Claims a new session's lease; false when the id is (or was) another daemon's session.
    func claimNew(_ sessionId: String) async throws(DaemonError) -> Bool {
        do throws(StoreError) {
            return try await leases.claimNew(sessionId, seconds: seconds) != nil
        } catch {
            throw DaemonError(error)
        }
    }

    /// For a session this daemon does not serve: throws `SESSION_ELSEWHERE` naming the daemon
    /// that holds it, takes it over when its lease expired (then returns), or throws
    /// `SESSION_NOT_FOUND` when the store has no such session.
    func locate(sessionId: String) async throws(DaemonError) {
        let owner: LeaseOwner
        do throws(StoreError) { owner = try await leases.owner(of: sessionId) } catch { throw DaemonError(error) }
        switch owner {
        case .live(let daemon, _) where daemon.id != settings.daemonId:
            throw DaemonError(
                .sessionElsewhere,
                "Session \(sessionId) is held by daemon \(daemon.id): candidates at \(daemon.httpURL), proctors at \(daemon.controlAddress).",
                location: daemon.httpURL)
        case .none:
            throw .sessionNotFound(sessionId)
        case .live, .expired:
            do {
                guard try await takeOver(sessionId) else {
                    // Another daemon won the claim a moment ago: ask again, to be sent there.
                    throw DaemonError(.storeFenced, "Session \(sessionId) changed owner while this daemon asked; ask again.")
                }
            } catch let error as DaemonError {
                throw error
            } catch let error as CertError {
                throw DaemonError(error)
            } catch {
                throw .internalError("Taking session \(sessionId) over failed: \(error)")
            }
        }
    }

    /// For an assessment this daemon does not serve: as ``locate(sessionId:)`` for its session.
    func locate(assessmentId: String) async throws(DaemonError) {
        let session: String?
        do throws(StoreError) { session = try await leases.session(ofAssessment: assessmentId) } catch { throw DaemonError(error) }
        guard let session else { throw .assessmentNotFound(assessmentId) }
        try await locate(sessionId: session)
    }

    /// Takeovers so far: (session, seconds from claim to rebuilt).
    func takeoverTimes() -> [(sessionId: String, seconds: Double)] { takeovers }
}
