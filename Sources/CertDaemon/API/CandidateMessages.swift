import CertCore

// JSON bodies of the candidate API. Owned by the daemon core; the HTTP routes encode and
// decode them as they are, the in-process transport passes them by value.

/// Body of `POST /sessions/{sessionId}/candidates/{candidateId}/start`: start or resume.
public struct StartRequest: Codable, Sendable, Equatable {
    public var accessCode: String
    public init(accessCode: String) { self.accessCode = accessCode }
}

/// Answer to a start or resume: the assessment to talk about and the bearer token for it.
/// Every start (and resume) issues a new token; the previous one stops working.
public struct StartResponse: Codable, Sendable, Equatable {
    public var assessmentId: String
    public var token: String
    /// True when the candidate had already answered or been served a challenge.
    public var resumed: Bool
    /// The certification version of the test this assessment runs (DESIGN §3.8: a candidate
    /// enrolled in a complementary certification sits two tests, one after the other).
    public var certificationVersion: String?
    /// The complementary test that follows this one, if any: `next` moves to it once this
    /// test ends.
    public var followedBy: String?
    public init(assessmentId: String, token: String, resumed: Bool, certificationVersion: String? = nil,
                followedBy: String? = nil) {
        self.assessmentId = assessmentId
        self.token = token
        self.resumed = resumed
        self.certificationVersion = certificationVersion
        self.followedBy = followedBy
    }
}

/// The challenge to answer now. `questionNumber` counts from 1.
public struct ChallengeResponse: Codable, Sendable, Equatable {
    public var challengeId: String
    public var competence: String
    public var questionNumber: Int
    /// Present only on the first challenge of a candidate's second test (DESIGN §3.8): the
    /// new assessment to talk about from now on (the same token works), and its version.
    public var assessmentId: String?
    public var certificationVersion: String?
    public init(challengeId: String, competence: String, questionNumber: Int, assessmentId: String? = nil,
                certificationVersion: String? = nil) {
        self.challengeId = challengeId
        self.competence = competence
        self.questionNumber = questionNumber
        self.assessmentId = assessmentId
        self.certificationVersion = certificationVersion
    }
}

/// Body of an answer: it must answer the challenge currently served.
public struct AnswerRequest: Codable, Sendable, Equatable {
    public var challengeId: String
    public var result: AnswerResult
    public init(challengeId: String, result: AnswerResult) {
        self.challengeId = challengeId
        self.result = result
    }
}

/// Acknowledgement of an answer (sent once the answer is durable in durable mode).
public struct AnswerResponse: Codable, Sendable, Equatable {
    /// The question number this answer answered (from 1).
    public var questionNumber: Int
    /// Answers recorded so far, this one included.
    public var answersCount: Int
    /// True when this answer completed the test (it has been scored).
    public var completed: Bool
    public init(questionNumber: Int, answersCount: Int, completed: Bool) {
        self.questionNumber = questionNumber
        self.answersCount = answersCount
        self.completed = completed
    }
}

/// Body of a live alert raised by the candidate on the challenge currently served.
public struct AlertRequest: Codable, Sendable, Equatable {
    public var challengeId: String
    public init(challengeId: String) { self.challengeId = challengeId }
}

/// Answer to a live alert: `"ongoing"` (raised, waiting for the invigilator) or
/// `"ignored"` (one is already ongoing for this candidate).
public struct AlertResponse: Codable, Sendable, Equatable {
    public var status: String
    public init(status: String) { self.status = status }
}

/// A published certificate, looked up by its verification code. Only a validated
/// certification has a score, a level and competence levels (null otherwise).
public struct CertificateResponse: Codable, Sendable, Equatable {
    public var verificationCode: String
    public var sessionId: String
    public var candidateId: String
    public var pixScore: Int?
    public var meshLevel: Int?
    /// The capacity interval's label (`LEVEL_INDEPENDENT_3`, …).
    public var level: String?
    /// The level as the certificate prints it ("Indépendant 3", …).
    public var levelName: String?
    public var competenceLevels: [String: Int]?
    /// `"validated"`, `"rejected"` or `"cancelled"`.
    public var status: String
    public var statusReason: String?
    /// The certification version that scored it.
    public var certificationVersion: String
    /// The level the algorithm gave (the interval's label) when an external jury later gave
    /// `level` (Pix+ Édu: LEVEL_ADMISSIBLE raised to LEVEL_ADVANCED or LEVEL_EXPERT); else null.
    public var admissionLevel: String?
    /// The CléA version the candidate was enrolled in, and whether it is acquired (core
    /// certificates only; null otherwise).
    public var cleaVersion: String?
    public var cleaAcquired: Bool?
    public init(
        verificationCode: String, sessionId: String, candidateId: String, pixScore: Int?,
        meshLevel: Int?, level: String? = nil, competenceLevels: [String: Int]?, status: String,
        statusReason: String? = nil, certificationVersion: String, juryLevel: String? = nil,
        cleaVersion: String? = nil, cleaAcquired: Bool? = nil
    ) {
        self.admissionLevel = juryLevel == nil ? nil : level
        self.cleaVersion = cleaVersion
        self.cleaAcquired = cleaAcquired
        let level = juryLevel ?? level
        self.verificationCode = verificationCode
        self.sessionId = sessionId
        self.candidateId = candidateId
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.level = level
        self.levelName = level.map { LevelNames.name(of: $0) }
        self.competenceLevels = competenceLevels
        self.status = status
        self.statusReason = statusReason
        self.certificationVersion = certificationVersion
    }

    private enum CodingKeys: String, CodingKey {
        case verificationCode, sessionId, candidateId, pixScore, meshLevel, level, levelName, competenceLevels
        case status, statusReason, certificationVersion, admissionLevel, cleaVersion, cleaAcquired
    }

    /// Nulls are written: a reader sees every field of the certificate.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(verificationCode, forKey: .verificationCode)
        try container.encode(sessionId, forKey: .sessionId)
        try container.encode(candidateId, forKey: .candidateId)
        try container.encode(pixScore, forKey: .pixScore)
        try container.encode(meshLevel, forKey: .meshLevel)
        try container.encode(level, forKey: .level)
        try container.encode(levelName, forKey: .levelName)
        try container.encode(competenceLevels, forKey: .competenceLevels)
        try container.encode(status, forKey: .status)
        try container.encode(statusReason, forKey: .statusReason)
        try container.encode(certificationVersion, forKey: .certificationVersion)
        try container.encode(admissionLevel, forKey: .admissionLevel)
        try container.encode(cleaVersion, forKey: .cleaVersion)
        try container.encode(cleaAcquired, forKey: .cleaAcquired)
    }
}
