/// Where a candidate's test stands within a session.
///
/// Owned by CertCore's lifecycle; stored by CertStore with the same raw values. A started
/// candidate waiting to resume stays ``started``: see ``CandidateState/authorization``.
public enum CandidateStatus: String, Codable, Sendable, CaseIterable {
    case enrolled
    case authorizedToStart
    case started
    case completed
    case endedByInvigilator
    case endedDueToFinalization
    case endedDueToDurationExceeded

    /// The test has started at some point (whatever happened since).
    public var hasStarted: Bool {
        switch self {
        case .enrolled, .authorizedToStart: false
        default: true
        }
    }

    /// The test is over, completed or not.
    public var isOver: Bool {
        switch self {
        case .enrolled, .authorizedToStart, .started: false
        default: true
        }
    }
}

/// Whether a candidate's start was the first one or a resume after an interruption.
///
/// Owned by CertCore's lifecycle; on a resume the daemon serves the pending challenge again.
public enum CandidateStartKind: String, Codable, Sendable {
    case firstStart
    case resume
}

/// An invigilator's permission for one start or one resume, valid for a short time.
///
/// Owned by CertCore's lifecycle, held inside ``CandidateState``.
public struct CandidateAuthorization: Sendable, Equatable, Codable {
    /// How long an authorisation stays usable (15 minutes).
    public static let validitySeconds: Double = 900

    /// What the authorisation allows.
    public enum Purpose: String, Codable, Sendable {
        case start
        case resume
    }

    public let purpose: Purpose
    public let grantedAtSeconds: Double

    public init(purpose: Purpose, grantedAtSeconds: Double) {
        self.purpose = purpose
        self.grantedAtSeconds = grantedAtSeconds
    }

    /// The first instant at which the authorisation is no longer valid.
    public var expiresAtSeconds: Double { grantedAtSeconds + Self.validitySeconds }

    public func isValid(nowSeconds: Double) -> Bool { nowSeconds < expiresAtSeconds }
}

/// One candidate's place in the session lifecycle, as a value.
///
/// Owned by CertCore's lifecycle and held by the daemon's proctoring actor. The CAT state
/// (answers, current challenge) lives in `AdaptiveTest`; this value only says what the
/// candidate is allowed to do. Transitions take the time from an injected clock in seconds;
/// a refused transition throws ``LifecycleError`` and leaves the value unchanged.
///
/// ```swift
/// var candidate = CandidateState(id: "C1", sessionId: "S1")
/// try candidate.authorizeToStart(nowSeconds: 0)
/// try candidate.start(nowSeconds: 30)              // .firstStart
/// try candidate.authorizeToResume(nowSeconds: 600) // after a technical incident
/// try candidate.start(nowSeconds: 660)             // .resume
/// try candidate.complete(nowSeconds: 4000)
/// ```
public struct CandidateState: Sendable, Equatable, Codable {
    public let id: String
    public let sessionId: String
    public private(set) var status: CandidateStatus
    /// The pending permission to start or resume; used up by the start.
    public private(set) var authorization: CandidateAuthorization?
    public private(set) var firstStartSeconds: Double?
    public private(set) var lastStartSeconds: Double?
    public private(set) var endedSeconds: Double?
    /// Starts so far, the first one included (resumes = startCount − 1).
    public private(set) var startCount: Int
    /// Why an uncompleted test stopped; needed at finalisation, used by scoring.
    public private(set) var abortReason: AbortReason?

    /// A newly enrolled candidate.
    public init(id: String, sessionId: String) {
        self.id = id
        self.sessionId = sessionId
        self.status = .enrolled
        self.startCount = 0
    }

    /// Rebuilds a stored candidate (recovery); the caller vouches for the stored fields.
    /// Pending authorisations are not restored: after a restart, every resume needs a fresh one.
    public init(
        restoring id: String, sessionId: String, status: CandidateStatus,
        firstStartSeconds: Double?, lastStartSeconds: Double?, endedSeconds: Double?,
        startCount: Int, abortReason: AbortReason?
    ) {
        self.id = id
        self.sessionId = sessionId
        self.status = status == .authorizedToStart ? .enrolled : status
        self.firstStartSeconds = firstStartSeconds
        self.lastStartSeconds = lastStartSeconds
        self.endedSeconds = endedSeconds
        self.startCount = startCount
        self.abortReason = abortReason
    }

    /// True when a started candidate holds a resume authorisation (valid or not).
    public var isAuthorizedToResume: Bool { status == .started && authorization?.purpose == .resume }

    /// True when the test has started and is not over.
    public var isInProgress: Bool { status == .started }

    // MARK: Authorisation

    /// The invigilator authorises a start (enrolled candidate) or a resume (started candidate).
    /// Authorising again refreshes the 15-minute window.
    public mutating func authorize(nowSeconds: Double) throws(LifecycleError) {
        if status == .started {
            try authorizeToResume(nowSeconds: nowSeconds)
        } else {
            try authorizeToStart(nowSeconds: nowSeconds)
        }
    }

    /// The invigilator lets an enrolled candidate start within the next 15 minutes.
    public mutating func authorizeToStart(nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .enrolled, .authorizedToStart:
            status = .authorizedToStart
            authorization = CandidateAuthorization(purpose: .start, grantedAtSeconds: nowSeconds)
        case .started:
            throw LifecycleError(.candidateAlreadyStarted,
                "Candidate \(id) has already started; authorise a resume instead.")
        default:
            throw endedError()
        }
    }

    /// The invigilator lets a started candidate (after an interruption) resume within 15 minutes.
    public mutating func authorizeToResume(nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .started:
            authorization = CandidateAuthorization(purpose: .resume, grantedAtSeconds: nowSeconds)
        case .enrolled, .authorizedToStart:
            throw LifecycleError(.candidateNotStarted,
                "Candidate \(id) has not started yet; authorise a start instead.")
        default:
            throw endedError()
        }
    }

    // MARK: Starting

    /// The candidate starts (first time) or resumes, using up the authorisation.
    /// Prefer ``SessionState/start(_:nowSeconds:)``, which also checks the session.
    @discardableResult
    public mutating func start(nowSeconds: Double) throws(LifecycleError) -> CandidateStartKind {
        switch status {
        case .enrolled:
            throw LifecycleError(.candidateNotAuthorized,
                "Candidate \(id) has not been authorised to start; ask the invigilator.")
        case .authorizedToStart, .started:
            guard let authorization else {
                throw LifecycleError(.candidateNotAuthorized,
                    "Candidate \(id) needs a fresh authorisation from the invigilator to resume.")
            }
            guard authorization.isValid(nowSeconds: nowSeconds) else {
                throw LifecycleError(.authorizationExpired,
                    "The authorisation of candidate \(id) expired after 15 minutes; ask the invigilator again.")
            }
            let kind: CandidateStartKind = status == .started ? .resume : .firstStart
            if kind == .firstStart {
                status = .started
                firstStartSeconds = nowSeconds
            }
            self.authorization = nil
            lastStartSeconds = nowSeconds
            startCount += 1
            return kind
        default:
            throw endedError()
        }
    }

    // MARK: Ending

    /// The candidate answered every question.
    public mutating func complete(nowSeconds: Double) throws(LifecycleError) {
        try end(as: .completed, abortReason: nil, nowSeconds: nowSeconds)
    }

    /// The invigilator ends a started test; the abort reason may also be given at finalisation.
    public mutating func endByInvigilator(abortReason: AbortReason? = nil, nowSeconds: Double) throws(LifecycleError) {
        try end(as: .endedByInvigilator, abortReason: abortReason, nowSeconds: nowSeconds)
    }

    /// The session was finalised while the test was running. Normally applied by ``Finalization``.
    public mutating func endDueToFinalization(abortReason: AbortReason, nowSeconds: Double) throws(LifecycleError) {
        try end(as: .endedDueToFinalization, abortReason: abortReason, nowSeconds: nowSeconds)
    }

    /// The test ran past the session's duration limit, counted from the candidate's first start.
    /// Refused (DURATION_NOT_EXCEEDED) before the limit, so a clock slip cannot end a test early.
    public mutating func endDueToDurationExceeded(durationLimitSeconds: Double, nowSeconds: Double) throws(LifecycleError) {
        if status == .started, let firstStartSeconds, nowSeconds - firstStartSeconds < durationLimitSeconds {
            throw LifecycleError(.durationNotExceeded,
                "Candidate \(id) still has time left: the test ends \(Int(durationLimitSeconds)) seconds after its start.")
        }
        try end(as: .endedDueToDurationExceeded, abortReason: nil, nowSeconds: nowSeconds)
    }

    /// Records why an uncompleted, started test stopped (before or at finalisation).
    public mutating func setAbortReason(_ reason: AbortReason) throws(LifecycleError) {
        switch status {
        case .enrolled, .authorizedToStart:
            throw LifecycleError(.candidateNotStarted,
                "Candidate \(id) never started; there is no test to give an abort reason for.")
        case .completed:
            throw LifecycleError(.candidateAlreadyCompleted,
                "Candidate \(id) completed the test; it needs no abort reason.")
        case .started, .endedByInvigilator, .endedDueToFinalization, .endedDueToDurationExceeded:
            abortReason = reason
        }
    }

    private mutating func end(as newStatus: CandidateStatus, abortReason reason: AbortReason?, nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .started:
            status = newStatus
            authorization = nil
            endedSeconds = nowSeconds
            if let reason { abortReason = reason }
        case .enrolled, .authorizedToStart:
            throw LifecycleError(.candidateNotStarted, "Candidate \(id) has not started the test.")
        default:
            throw endedError()
        }
    }

    private func endedError() -> LifecycleError {
        switch status {
        case .completed:
            LifecycleError(.candidateAlreadyCompleted, "Candidate \(id) has already completed the test.")
        case .endedByInvigilator:
            LifecycleError(.candidateAlreadyEnded, "The test of candidate \(id) was ended by the invigilator.")
        case .endedDueToFinalization:
            LifecycleError(.candidateAlreadyEnded, "The test of candidate \(id) ended when the session was finalised.")
        default:
            LifecycleError(.candidateAlreadyEnded, "The test of candidate \(id) ended when its time ran out.")
        }
    }
}
