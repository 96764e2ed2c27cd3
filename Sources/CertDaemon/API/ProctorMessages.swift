import CertCore

// Requests and summaries of the proctor API (ProctorService). Owned by the daemon core; the
// control socket encodes them as JSON fields of its responses, the runner reads them by value.
// Times are seconds on the daemon's clock (`DaemonClock.nowSeconds()`).

/// Creates a session. A client-chosen `sessionId` makes runs deterministic; without one the
/// daemon derives an id from its seed and a counter.
public struct CreateSessionRequest: Codable, Sendable, Equatable {
    public var sessionId: String?
    public var name: String?
    public var centre: String?
    /// How long each candidate's test may last from its first start, before extra time; nil for
    /// the version's `assessmentDurationMinutes` (at most `SessionState.expirySeconds`, 24 hours).
    public var nominalDurationSeconds: Double?
    /// The id of a certification version the daemon loaded; nil for its default.
    public var certificationVersion: String?
    /// The content hash of the caller's copy of that version, checked against the daemon's.
    public var certificationVersionHash: String?
    public init(sessionId: String? = nil, name: String? = nil, centre: String? = nil, nominalDurationSeconds: Double? = nil,
                certificationVersion: String? = nil, certificationVersionHash: String? = nil) {
        self.certificationVersion = certificationVersion
        self.certificationVersionHash = certificationVersionHash
        self.sessionId = sessionId
        self.name = name
        self.centre = centre
        self.nominalDurationSeconds = nominalDurationSeconds
    }
}

/// What a proctor needs to run a new session: the candidates' access code and the
/// invigilator's password (needed to log in on the control socket).
public struct SessionCreated: Codable, Sendable, Equatable {
    public var sessionId: String
    public var accessCode: String
    public var invigilatorPassword: String
    /// The certification version the session runs.
    public var certificationVersion: String
    public init(sessionId: String, accessCode: String, invigilatorPassword: String, certificationVersion: String = "core-v3") {
        self.certificationVersion = certificationVersion
        self.sessionId = sessionId
        self.accessCode = accessCode
        self.invigilatorPassword = invigilatorPassword
    }
}

/// One line of `listSessions`.
public struct SessionSummary: Codable, Sendable, Equatable {
    public var sessionId: String
    public var name: String
    public var centre: String
    /// `created`, `started`, `finalized`, `in_process` or `processed`.
    public var status: String
    public var candidatesCount: Int
    public var startedCount: Int
    public var finishedCount: Int
    public var ongoingAlertsCount: Int
    public init(
        sessionId: String, name: String, centre: String, status: String, candidatesCount: Int,
        startedCount: Int, finishedCount: Int, ongoingAlertsCount: Int
    ) {
        self.sessionId = sessionId
        self.name = name
        self.centre = centre
        self.status = status
        self.candidatesCount = candidatesCount
        self.startedCount = startedCount
        self.finishedCount = finishedCount
        self.ongoingAlertsCount = ongoingAlertsCount
    }
}

/// One candidate of a session, as a proctor sees it.
public struct CandidateSummary: Codable, Sendable, Equatable {
    public var candidateId: String
    /// `enrolled`, `authorizedToStart`, `started`, `completed`, `endedByInvigilator`,
    /// `endedDueToFinalization` or `endedDueToDurationExceeded`.
    public var status: String
    public var needsAccessibility: Bool
    public var locale: String
    public var assessmentId: String?
    public var answersCount: Int
    /// Until when the current authorisation to start or resume holds, if any.
    public var authorizedUntilSeconds: Double?
    public var abortReason: AbortReason?
    /// Set once scored.
    public var pixScore: Int?
    /// Set once scored.
    public var certificationStatus: String?
    /// Set once scored and not validated.
    public var statusReason: String?
    /// The capacity interval's label, set once scored and validated.
    public var level: String?
    /// Extra time given at enrolment, in percent.
    public var extraTimePercent: Double
    /// First start + the version's duration × (1 + extra time / 100); nil before the first start.
    public var theoreticalEndSeconds: Double?
    /// True while the candidate's test runs past its theoretical end (a session with the time
    /// limit on ends it at the candidate's next request).
    public var overtime: Bool
    /// The certification version this test runs (a candidate enrolled in a complementary
    /// certification has a second row, its version's).
    public var certificationVersion: String?
    /// On the core test's row: the complementary certification the candidate is enrolled in.
    public var complementary: String?
    public init(
        candidateId: String, status: String, needsAccessibility: Bool, locale: String,
        assessmentId: String?, answersCount: Int, authorizedUntilSeconds: Double?,
        abortReason: AbortReason?, pixScore: Int?, certificationStatus: String?, statusReason: String? = nil,
        level: String? = nil, extraTimePercent: Double = 0, theoreticalEndSeconds: Double? = nil, overtime: Bool = false,
        certificationVersion: String? = nil, complementary: String? = nil
    ) {
        self.certificationVersion = certificationVersion
        self.complementary = complementary
        self.statusReason = statusReason
        self.level = level
        self.extraTimePercent = extraTimePercent
        self.theoreticalEndSeconds = theoreticalEndSeconds
        self.overtime = overtime
        self.candidateId = candidateId
        self.status = status
        self.needsAccessibility = needsAccessibility
        self.locale = locale
        self.assessmentId = assessmentId
        self.answersCount = answersCount
        self.authorizedUntilSeconds = authorizedUntilSeconds
        self.abortReason = abortReason
        self.pixScore = pixScore
        self.certificationStatus = certificationStatus
    }
}

/// A session with its candidates and alerts (`showSession`).
public struct SessionDetail: Codable, Sendable, Equatable {
    public var sessionId: String
    public var name: String
    public var centre: String
    public var status: String
    public var accessCode: String
    /// The certification version the session runs.
    public var certificationVersion: String
    /// How long each candidate's test may last from its first start, before extra time.
    public var nominalDurationSeconds: Double
    public var createdAtSeconds: Double
    public var firstStartedAtSeconds: Double?
    public var finalizedAtSeconds: Double?
    public var candidates: [CandidateSummary]
    public var alerts: [AlertSummary]
    public init(
        sessionId: String, name: String, centre: String, status: String, accessCode: String,
        nominalDurationSeconds: Double = SessionState.defaultNominalDurationSeconds,
        createdAtSeconds: Double, firstStartedAtSeconds: Double?, finalizedAtSeconds: Double?,
        candidates: [CandidateSummary], alerts: [AlertSummary], certificationVersion: String = "core-v3"
    ) {
        self.certificationVersion = certificationVersion
        self.nominalDurationSeconds = nominalDurationSeconds
        self.sessionId = sessionId
        self.name = name
        self.centre = centre
        self.status = status
        self.accessCode = accessCode
        self.createdAtSeconds = createdAtSeconds
        self.firstStartedAtSeconds = firstStartedAtSeconds
        self.finalizedAtSeconds = finalizedAtSeconds
        self.candidates = candidates
        self.alerts = alerts
    }
}

/// A live or companion alert of a session.
public struct AlertSummary: Codable, Sendable, Equatable {
    public var sessionId: String
    public var candidateId: String
    /// `"live"` (on a challenge) or `"companion"` (companion-extension alert).
    public var kind: String
    /// The challenge of a live alert; nil for a companion alert.
    public var challengeId: String?
    /// Live: `ongoing`, `validated`, `dismissed`. Companion: `ongoing`, `cleared`.
    public var status: String
    public var raisedAtSeconds: Double
    /// The reason a live alert was validated with (`WEBSITE_BLOCKED`, …).
    public var reason: String?
    /// The question number the live alert was raised on.
    public var questionNumber: Int?
    public init(
        sessionId: String, candidateId: String, kind: String, challengeId: String?, status: String,
        raisedAtSeconds: Double, reason: String? = nil, questionNumber: Int? = nil
    ) {
        self.reason = reason
        self.questionNumber = questionNumber
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.kind = kind
        self.challengeId = challengeId
        self.status = status
        self.raisedAtSeconds = raisedAtSeconds
    }
}

/// What finalisation did: how the candidates ended and how many results were scored.
public struct FinalizationSummary: Codable, Sendable, Equatable {
    public var sessionId: String
    public var status: String
    public var completedCount: Int
    public var endedByInvigilatorCount: Int
    public var endedDueToFinalizationCount: Int
    /// Enrolled or authorised candidates who never started: nothing to score.
    public var notStartedCount: Int
    /// Results written by this finalisation (tests ended by it).
    public var scoredCount: Int
    public init(
        sessionId: String, status: String, completedCount: Int, endedByInvigilatorCount: Int,
        endedDueToFinalizationCount: Int, notStartedCount: Int, scoredCount: Int
    ) {
        self.sessionId = sessionId
        self.status = status
        self.completedCount = completedCount
        self.endedByInvigilatorCount = endedByInvigilatorCount
        self.endedDueToFinalizationCount = endedDueToFinalizationCount
        self.notStartedCount = notStartedCount
        self.scoredCount = scoredCount
    }
}

/// A certificate made public by `publish`.
public struct PublishedCertificate: Codable, Sendable, Equatable {
    public var candidateId: String
    public var assessmentId: String
    public var verificationCode: String
    /// Nil unless validated (and, for the score, under a version with a Pix score).
    public var pixScore: Int?
    public var meshLevel: Int?
    public var level: String?
    /// `"validated"`, `"rejected"` or `"cancelled"`.
    public var status: String
    public var statusReason: String?
    public var certificationVersion: String
    /// On a core certificate whose candidate was enrolled in CléA: whether CléA is acquired.
    public var cleaAcquired: Bool?
    public init(
        candidateId: String, assessmentId: String, verificationCode: String, pixScore: Int?,
        meshLevel: Int?, level: String? = nil, status: String, statusReason: String? = nil,
        certificationVersion: String = "core-v3", cleaAcquired: Bool? = nil
    ) {
        self.cleaAcquired = cleaAcquired
        self.level = level
        self.statusReason = statusReason
        self.certificationVersion = certificationVersion
        self.candidateId = candidateId
        self.assessmentId = assessmentId
        self.verificationCode = verificationCode
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.status = status
    }
}

/// Kinds of `SessionEvent`, in the order they usually happen.
public enum SessionEventKind: String, Codable, Sendable, CaseIterable {
    case sessionCreated, candidateEnrolled, candidateAuthorized, candidateStarted, candidateResumed
    /// An answer was acknowledged (durable in durable mode). Carries the candidate's answers
    /// count, never the challenge or the result: proctors do not see answers.
    case answerRecorded
    case candidateCompleted, candidateEndedByInvigilator, candidateEndedDueToFinalization
    /// The candidate's time ran out (the session's nominal duration since the first start);
    /// noticed at the candidate's next request, or when the invigilator authorises a resume.
    case candidateEndedDueToDurationExceeded
    case liveAlertRaised, liveAlertValidated, liveAlertDismissed
    case companionAlertRaised, companionAlertCleared
    case sessionFinalized, sessionPublished
    /// An external jury gave a published Pix+ Édu certification its level (DESIGN §3.8).
    case juryDecided
}

/// One thing that happened in a session, streamed to `watch` clients.
public struct SessionEvent: Codable, Sendable, Equatable {
    /// Increasing across the daemon (not per session), from 1.
    public var sequence: Int
    public var atSeconds: Double
    public var sessionId: String
    public var candidateId: String?
    public var kind: SessionEventKind
    /// Short free text: a challenge id, an abort reason, a verification code…
    public var detail: String?
    /// The candidate's answers so far, set on `answerRecorded` events.
    public var answersCount: Int?
    public init(
        sequence: Int, atSeconds: Double, sessionId: String, candidateId: String?,
        kind: SessionEventKind, detail: String?, answersCount: Int? = nil
    ) {
        self.sequence = sequence
        self.atSeconds = atSeconds
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.kind = kind
        self.detail = detail
        self.answersCount = answersCount
    }
}

/// A snapshot of the daemon's activity (`stats`).
public struct DaemonStats: Codable, Sendable, Equatable {
    public var sessions: Int
    public var activeSessions: Int
    public var candidates: Int
    public var activeCandidates: Int
    public var answersTotal: Int
    public var resultsWritten: Int
    public var engines: Int
    /// Requests inside each engine right now (queued or running).
    public var engineInFlight: [Int]
    public var durability: String
    /// Transactions the result writer has committed since the daemon opened (one per batch of
    /// requests: the writes of one request always commit together).
    public var writerCommits: Int?
    public init(
        sessions: Int, activeSessions: Int, candidates: Int, activeCandidates: Int, answersTotal: Int,
        resultsWritten: Int, engines: Int, engineInFlight: [Int], durability: String, writerCommits: Int? = nil
    ) {
        self.writerCommits = writerCommits
        self.sessions = sessions
        self.activeSessions = activeSessions
        self.candidates = candidates
        self.activeCandidates = activeCandidates
        self.answersTotal = answersTotal
        self.resultsWritten = resultsWritten
        self.engines = engines
        self.engineInFlight = engineInFlight
        self.durability = durability
    }
}
