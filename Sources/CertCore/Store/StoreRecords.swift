// The plain rows of the result store. They use only String / Int / Double / Bool (statuses
// as their raw values) so that they read the same in every engine's columns; CertCore's
// transitions produce them inside `StoreWrite`s, CertStore writes and reads them.

/// One certification session as stored. Written by the daemon's SessionSupervisor through
/// ``ResultWriter/upsertSession(_:)``; read back by ``StoreReader``.
public struct SessionRecord: Sendable, Codable, Equatable, Hashable {
    public var id: String
    public var accessCode: String
    /// A hash of the invigilator password (the daemon chooses the scheme), never the password.
    public var invigilatorPasswordHash: String
    /// The session's label for people ("Salle 12"), if given.
    public var name: String?
    /// The certification centre, if given.
    public var centre: String?
    /// How long a candidate's test may last from its first start (Pix: 105 minutes).
    public var nominalDurationSeconds: Double
    /// Raw value of CertCore's `SessionStatus` (`created`, `started`, `finalized`, ...).
    public var status: String
    public var createdSeconds: Double
    public var firstStartSeconds: Double?
    public var finalizedSeconds: Double?
    public var publishedSeconds: Double?
    /// The id of the core certification version the session runs (DESIGN §3.6).
    public var versionId: String

    /// Pix's nominal session length, 105 minutes (CertCore's `SessionState.defaultNominalDurationSeconds`).
    public static let defaultNominalDurationSeconds: Double = 105 * 60

    public init(id: String, accessCode: String, invigilatorPasswordHash: String, name: String? = nil,
                centre: String? = nil, nominalDurationSeconds: Double = SessionRecord.defaultNominalDurationSeconds,
                status: String, createdSeconds: Double, firstStartSeconds: Double? = nil,
                finalizedSeconds: Double? = nil, publishedSeconds: Double? = nil, versionId: String = "core-v3") {
        self.id = id
        self.versionId = versionId
        self.accessCode = accessCode
        self.invigilatorPasswordHash = invigilatorPasswordHash
        self.name = name
        self.centre = centre
        self.nominalDurationSeconds = nominalDurationSeconds
        self.status = status
        self.createdSeconds = createdSeconds
        self.firstStartSeconds = firstStartSeconds
        self.finalizedSeconds = finalizedSeconds
        self.publishedSeconds = publishedSeconds
    }
}

/// One candidate enrolled in a session. Written by the daemon; the key is
/// (`sessionId`, `candidateId`).
public struct CandidateRecord: Sendable, Codable, Equatable, Hashable {
    public var sessionId: String
    public var candidateId: String
    /// The candidate's index in the scenario's population (seeds its random draws).
    public var externalIndex: Int
    /// Raw value of CertCore's `CandidateStatus`.
    public var status: String
    /// Raw value of CertCore's `AbortReason`, when one was given.
    public var abortReason: String?
    public var needsAccessibility: Bool
    public var locale: String
    /// The simulated person's true ability θ, for consistency measures; nil for real people.
    public var trueAbility: Double?
    /// Extra time given at enrolment, in percent of the version's duration (33: a third more).
    public var extraTimePercent: Double
    /// Set on a complementary test's row (key `CANDIDATE#VERSION`): the version it runs. Nil on
    /// a test of the session's own version.
    public var versionId: String?
    /// Set on the core test's row of a candidate also enrolled in a complementary
    /// certification (DESIGN §3.8): that certification's version id.
    public var complementaryVersionId: String?

    public init(sessionId: String, candidateId: String, externalIndex: Int, status: String,
                abortReason: String? = nil, needsAccessibility: Bool = false,
                locale: String = "fr-fr", trueAbility: Double? = nil, extraTimePercent: Double = 0,
                versionId: String? = nil, complementaryVersionId: String? = nil) {
        self.extraTimePercent = extraTimePercent
        self.versionId = versionId
        self.complementaryVersionId = complementaryVersionId
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.externalIndex = externalIndex
        self.status = status
        self.abortReason = abortReason
        self.needsAccessibility = needsAccessibility
        self.locale = locale
        self.trueAbility = trueAbility
    }
}

/// One candidate's test. An assessment with no ``ResultRecord`` is in progress and is rebuilt
/// by ``StoreReader/recover()`` after a restart.
public struct AssessmentRecord: Sendable, Codable, Equatable, Hashable {
    public var id: String
    public var sessionId: String
    public var candidateId: String
    /// A hash of the candidate's bearer token (never the token itself).
    public var tokenHash: String
    public var status: String
    public var startedSeconds: Double

    public init(id: String, sessionId: String, candidateId: String, tokenHash: String,
                status: String, startedSeconds: Double) {
        self.id = id
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.tokenHash = tokenHash
        self.status = status
        self.startedSeconds = startedSeconds
    }
}

/// One entry of the answer journal: the `questionNumber`-th answer (1-based) of an assessment.
/// Written through ``ResultWriter/appendAnswer(_:)``; (assessmentId, questionNumber) is unique.
public struct AnswerRecord: Sendable, Codable, Equatable, Hashable {
    public var assessmentId: String
    public var questionNumber: Int
    public var challengeId: String
    /// Raw value of CertCore's `AnswerResult` (`ok`, `ko`, `skipped`, `timedout`).
    public var result: String
    public var recordedSeconds: Double

    public init(assessmentId: String, questionNumber: Int, challengeId: String, result: String,
                recordedSeconds: Double) {
        self.assessmentId = assessmentId
        self.questionNumber = questionNumber
        self.challengeId = challengeId
        self.result = result
        self.recordedSeconds = recordedSeconds
    }
}

/// A live alert (on a challenge) or a companion-extension alert, as stored. Rewritten in place
/// (same `id`) when its status changes.
public struct AlertRecord: Sendable, Codable, Equatable, Hashable {
    /// The two kinds of alert a proctor handles.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case live
        case companion
    }

    public var id: String
    public var assessmentId: String
    public var kind: Kind
    /// The challenge the live alert is about; nil for companion alerts.
    public var challengeId: String?
    /// Raw value of the alert's status (`ongoing`, `validated`, `dismissed`, `cleared`).
    public var status: String
    public var createdSeconds: Double
    public var resolvedSeconds: Double?

    public init(id: String, assessmentId: String, kind: Kind, challengeId: String?, status: String,
                createdSeconds: Double, resolvedSeconds: Double? = nil) {
        self.id = id
        self.assessmentId = assessmentId
        self.kind = kind
        self.challengeId = challengeId
        self.status = status
        self.createdSeconds = createdSeconds
        self.resolvedSeconds = resolvedSeconds
    }
}

/// The scored outcome of one assessment, written once through
/// ``ResultWriter/insertResult(_:)``. `verificationCode` is unique in the store.
public struct ResultRecord: Sendable, Codable, Equatable, Hashable {
    public var assessmentId: String
    public var capacity: Double
    public var errorRate: Double
    /// Nil unless validated under a version with a Pix score.
    public var pixScore: Int?
    /// Capacity interval's index and label; nil unless validated.
    public var meshLevel: Int?
    public var level: String?
    /// Competence id → level. Stored as JSON with sorted keys; nil unless validated.
    public var competenceLevels: [String: Int]?
    /// Raw value of CertCore's `CertificationStatus` (`validated`, `rejected`, `cancelled`).
    public var status: String
    /// Raw value of CertCore's `StatusReason`, when not validated.
    public var statusReason: String?
    /// The certification version that scored it.
    public var versionId: String
    public var answersCount: Int
    public var verificationCode: String
    public var scoredSeconds: Double
    /// The level an external jury awarded a Pix+ Édu certification (LEVEL_ADVANCED,
    /// LEVEL_EXPERT), and when; nil until it decides.
    public var juryLevel: String?
    public var jurySeconds: Double?

    public init(assessmentId: String, capacity: Double, errorRate: Double, pixScore: Int?,
                meshLevel: Int?, level: String? = nil, competenceLevels: [String: Int]?, status: String,
                statusReason: String? = nil, versionId: String = "core-v3", answersCount: Int,
                verificationCode: String, scoredSeconds: Double, juryLevel: String? = nil, jurySeconds: Double? = nil) {
        self.juryLevel = juryLevel
        self.jurySeconds = jurySeconds
        self.assessmentId = assessmentId
        self.capacity = capacity
        self.errorRate = errorRate
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.level = level
        self.competenceLevels = competenceLevels
        self.status = status
        self.statusReason = statusReason
        self.versionId = versionId
        self.answersCount = answersCount
        self.verificationCode = verificationCode
        self.scoredSeconds = scoredSeconds
    }
}

/// A problem reported about an assessment (by the candidate or the invigilator).
public struct IssueReportRecord: Sendable, Codable, Equatable, Hashable {
    public var id: String
    public var assessmentId: String
    /// `IN_CHALLENGE` for a validated live alert (DESIGN §3.6).
    public var category: String
    /// The live alert's reason (`WEBSITE_BLOCKED`, …).
    public var subcategory: String?
    public var challengeId: String?
    public var questionNumber: Int?
    /// An issue report of a validated live alert is resolved automatically.
    public var resolved: Bool
    public var details: String
    public var createdSeconds: Double

    public init(id: String, assessmentId: String, category: String, subcategory: String? = nil,
                challengeId: String? = nil, questionNumber: Int? = nil, resolved: Bool = false, details: String,
                createdSeconds: Double) {
        self.subcategory = subcategory
        self.challengeId = challengeId
        self.questionNumber = questionNumber
        self.resolved = resolved
        self.id = id
        self.assessmentId = assessmentId
        self.category = category
        self.details = details
        self.createdSeconds = createdSeconds
    }
}

/// One entry of a candidate's lifecycle journal: what the invigilator or the candidate did
/// besides answering (an authorisation, a start, an alert and its outcome, an end, the
/// finalisation). Recovery replays these with the answer journal through the same
/// `CandidateTest` transitions the daemon runs. Key: (`sessionId`, `candidateId`, `ordinal`).
public struct CandidateEventRecord: Sendable, Codable, Equatable, Hashable {
    public var sessionId: String
    public var candidateId: String
    /// 1, 2, 3 … in the order the candidate's transitions ran.
    public var ordinal: Int
    /// Raw value of CertCore's `CandidateTest.EventKind`.
    public var kind: String
    public var atSeconds: Double
    /// Answers journalled when it happened: replay applies it after that many answers.
    public var answersCount: Int
    /// The event's argument, if any (an assessment id, a challenge id, an abort reason).
    public var detail: String?

    public init(sessionId: String, candidateId: String, ordinal: Int, kind: String, atSeconds: Double,
                answersCount: Int, detail: String? = nil) {
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.ordinal = ordinal
        self.kind = kind
        self.atSeconds = atSeconds
        self.answersCount = answersCount
        self.detail = detail
    }
}

/// A certification version as the store keeps it: every session and result names one by id,
/// and the document lets a later daemon score or rebuild their tests with the same rules.
public struct VersionRecord: Sendable, Codable, Equatable, Hashable {
    public var id: String
    /// ``CertificationVersion/contentHash``: two copies with one id must hash the same.
    public var contentHash: String
    public var framework: String
    /// The version's canonical JSON.
    public var document: String
    public var storedSeconds: Double

    public init(id: String, contentHash: String, framework: String, document: String, storedSeconds: Double) {
        self.id = id
        self.contentHash = contentHash
        self.framework = framework
        self.document = document
        self.storedSeconds = storedSeconds
    }
}
