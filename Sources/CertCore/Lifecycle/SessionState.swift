/// Where a certification session stands, from creation to publication of its results.
///
/// Owned by CertCore's lifecycle; stored by CertStore with the same raw values.
public enum SessionStatus: String, Codable, Sendable, CaseIterable {
    /// Created; no candidate has started yet.
    case created
    /// At least one candidate has started; the 24-hour expiry clock runs.
    case started
    /// The invigilator has finalised the session; no candidate may start or resume.
    case finalized
    /// Results are being reviewed before publication.
    case inProcess = "in_process"
    /// Results are published; nothing is scored any more.
    case processed
}

/// A certification session as a value: its identity, codes and status.
///
/// Owned by CertCore's lifecycle and held by the daemon's proctoring actor, which serialises
/// access. Transitions are mutating functions taking the time from an injected clock in seconds;
/// a refused transition throws ``LifecycleError`` and leaves the value unchanged.
///
/// ```swift
/// var session = SessionState(id: "S1", accessCode: "BCDF23")
/// var candidate = CandidateState(id: "C1", sessionId: "S1")
/// try candidate.authorizeToStart(nowSeconds: 0)
/// try session.start(&candidate, nowSeconds: 60)     // session and candidate both `started`
/// ```
public struct SessionState: Sendable, Equatable, Codable {
    /// Nominal length of a session (Pix: 105 minutes); scenarios may set another one.
    public static let defaultNominalDurationSeconds: Double = 105 * 60
    /// A session refuses starts and resumes this long after its first candidate started.
    public static let expirySeconds: Double = 24 * 60 * 60

    public let id: String
    /// What candidates type to join: see ``Codes/accessCode(using:)``.
    public let accessCode: String
    public var centre: String?
    public var name: String?
    /// How long a candidate's test may last, measured from that candidate's first start.
    public let nominalDurationSeconds: Double

    public private(set) var status: SessionStatus
    /// When the first candidate started; nil until then.
    public private(set) var firstStartSeconds: Double?
    public private(set) var finalizedSeconds: Double?
    public private(set) var publishedSeconds: Double?

    /// A new session, in status ``SessionStatus/created``.
    public init(
        id: String, accessCode: String,
        centre: String? = nil, name: String? = nil,
        nominalDurationSeconds: Double = SessionState.defaultNominalDurationSeconds
    ) {
        precondition(nominalDurationSeconds > 0, "a session lasts a positive time")
        self.id = id
        self.accessCode = accessCode
        self.centre = centre
        self.name = name
        self.nominalDurationSeconds = nominalDurationSeconds
        self.status = .created
    }

    /// Rebuilds a stored session (recovery); the caller vouches for the stored fields.
    public init(
        restoring id: String, accessCode: String,
        centre: String?, name: String?, nominalDurationSeconds: Double,
        status: SessionStatus, firstStartSeconds: Double?, finalizedSeconds: Double?,
        publishedSeconds: Double?
    ) {
        self.init(id: id, accessCode: accessCode,
                  centre: centre, name: name, nominalDurationSeconds: nominalDurationSeconds)
        self.status = status
        self.firstStartSeconds = firstStartSeconds
        self.finalizedSeconds = finalizedSeconds
        self.publishedSeconds = publishedSeconds
    }

    /// When the session expires, once a candidate has started.
    public var expiresAtSeconds: Double? { firstStartSeconds.map { $0 + Self.expirySeconds } }

    /// True from 24 hours after the first start on (never before anyone started).
    public func isExpired(nowSeconds: Double) -> Bool {
        guard let expiresAtSeconds else { return false }
        return nowSeconds >= expiresAtSeconds
    }

    /// True until the results are published: scoring runs on completion or finalisation, never after.
    public var acceptsScoring: Bool { status != .processed }

    /// Whether a candidate may be authorised, start or resume now. Throws the refusal if not.
    public func checkAcceptsCandidates(nowSeconds: Double) throws(LifecycleError) {
        try SessionGate(self).checkAcceptsCandidates(nowSeconds: nowSeconds)
    }

    /// The invigilator authorises a candidate of this session to start (or resume, if started).
    /// Only the candidate changes; see ``CandidateState/authorize(nowSeconds:)``.
    public func authorize(_ candidate: inout CandidateState, nowSeconds: Double) throws(LifecycleError) {
        try checkBelongs(candidate)
        try checkAcceptsCandidates(nowSeconds: nowSeconds)
        try candidate.authorize(nowSeconds: nowSeconds)
    }

    /// A candidate of this session starts or resumes, using up the invigilator's authorisation.
    /// The first start of the session moves it to ``SessionStatus/started`` and starts the
    /// 24-hour expiry clock. Either both values change or neither does.
    @discardableResult
    public mutating func start(_ candidate: inout CandidateState, nowSeconds: Double) throws(LifecycleError) -> CandidateStartKind {
        try checkBelongs(candidate)
        try checkAcceptsCandidates(nowSeconds: nowSeconds)
        var updated = candidate
        let kind = try updated.start(nowSeconds: nowSeconds)
        if status == .created {
            status = .started
            firstStartSeconds = nowSeconds
        }
        candidate = updated
        return kind
    }

    /// The session's first candidate starts: created → started, and the 24-hour expiry clock
    /// runs. Does nothing once started. (``start(_:nowSeconds:)`` does this with the candidate's
    /// own start; the daemon, which keeps each candidate's test in its shard, calls it alone.)
    public mutating func recordFirstStart(nowSeconds: Double) {
        guard status == .created else { return }
        status = .started
        firstStartSeconds = nowSeconds
    }

    /// Marks the session finalised. Prefer ``Finalization/plan(session:candidates:abortReasons:nowSeconds:)``,
    /// which also checks the candidates and ends the started tests.
    public mutating func finalize(nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .created, .started:
            status = .finalized
            finalizedSeconds = nowSeconds
        case .finalized, .inProcess:
            throw LifecycleError(.sessionAlreadyFinalized, "Session \(id) is already finalised.")
        case .processed:
            throw LifecycleError(.sessionAlreadyPublished,
                "Session \(id) has already published its results.")
        }
    }

    /// Results go to review: finalised → in process.
    public mutating func beginProcessing() throws(LifecycleError) {
        switch status {
        case .finalized:
            status = .inProcess
        case .created, .started:
            throw LifecycleError(.sessionNotFinalized,
                "Session \(id) must be finalised before its results are reviewed.")
        case .inProcess:
            throw LifecycleError(.sessionAlreadyInProcess,
                "Session \(id) is already being reviewed.")
        case .processed:
            throw LifecycleError(.sessionAlreadyPublished,
                "Session \(id) has already published its results.")
        }
    }

    /// Publishes the results: finalised or in process → processed. Review is optional.
    public mutating func publish(nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .finalized, .inProcess:
            status = .processed
            publishedSeconds = nowSeconds
        case .created, .started:
            throw LifecycleError(.sessionNotFinalized,
                "Session \(id) must be finalised before its results are published.")
        case .processed:
            throw LifecycleError(.sessionAlreadyPublished,
                "Session \(id) has already published its results.")
        }
    }

    func checkBelongs(_ candidate: CandidateState) throws(LifecycleError) {
        guard candidate.sessionId == id else {
            throw LifecycleError(.candidateNotInSession,
                "Candidate \(candidate.id) is enrolled in session \(candidate.sessionId), not in session \(id).")
        }
    }
}
