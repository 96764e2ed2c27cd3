/// The catalogue of every stable error code certsim can emit: on HTTP, on the control socket,
/// in the CLI's `error: CODE: message` line, and in a run's error and retry counts.
///
/// Owned by CertCore. A raw value is a wire code: clients and tests match it, so it never changes
/// once shipped. Each code carries what every transport needs to report it the same way: its
/// ``family`` (the HTTP layer turns it into a status), whether a client may retry
/// (``isRetryable``, with ``retryAfterSeconds``), and a ``summary`` for the error table of
/// `docs/errors.md` (the sentence sent with an error is built where it is thrown, with its
/// specifics). No other file spells a code as a string literal (a test scans `Sources/`).
///
/// ```swift
/// throw CertError(.sessionExpired, "Session S1 expired at 18:00.")
/// ErrorCode.busy.family       // .unavailable (HTTP 503)
/// ErrorCode.busy.isRetryable  // true
/// ```
public enum ErrorCode: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    // MARK: Lifecycle (CertCore: sessions, candidates, alerts, finalisation)
    case sessionExpired = "SESSION_EXPIRED"
    case sessionAlreadyFinalized = "SESSION_ALREADY_FINALIZED"
    case sessionNotFinalized = "SESSION_NOT_FINALIZED"
    case sessionAlreadyInProcess = "SESSION_ALREADY_IN_PROCESS"
    case sessionAlreadyPublished = "SESSION_ALREADY_PUBLISHED"
    case candidateNotInSession = "CANDIDATE_NOT_IN_SESSION"
    case candidateNotAuthorized = "CANDIDATE_NOT_AUTHORIZED"
    case authorizationExpired = "AUTHORIZATION_EXPIRED"
    case candidateAlreadyStarted = "CANDIDATE_ALREADY_STARTED"
    case candidateNotStarted = "CANDIDATE_NOT_STARTED"
    case candidateAlreadyCompleted = "CANDIDATE_ALREADY_COMPLETED"
    case candidateAlreadyEnded = "CANDIDATE_ALREADY_ENDED"
    case durationNotExceeded = "DURATION_NOT_EXCEEDED"
    case liveAlertOnAnsweredChallenge = "LIVE_ALERT_ON_ANSWERED_CHALLENGE"
    case liveAlertNotCurrentChallenge = "LIVE_ALERT_NOT_CURRENT_CHALLENGE"
    case liveAlertNotOngoing = "LIVE_ALERT_NOT_ONGOING"
    case liveAlertLimitReached = "LIVE_ALERT_LIMIT_REACHED"
    case companionAlertNotOngoing = "COMPANION_ALERT_NOT_ONGOING"
    case finalizationMissingAbortReason = "FINALIZATION_MISSING_ABORT_REASON"
    case finalizationUnknownCandidate = "FINALIZATION_UNKNOWN_CANDIDATE"
    case finalizationUnexpectedAbortReason = "FINALIZATION_UNEXPECTED_ABORT_REASON"
    case finalizationDuplicateCandidate = "FINALIZATION_DUPLICATE_CANDIDATE"
    case finalizationNoStartedCandidate = "FINALIZATION_NO_STARTED_CANDIDATE"

    // MARK: Selection and scoring (CertCore)
    case lackOfChallenges = "LACK_OF_CHALLENGES"
    case tooManyAnswers = "TOO_MANY_ANSWERS"
    case notCurrentChallenge = "NOT_CURRENT_CHALLENGE"
    case unknownChallenge = "UNKNOWN_CHALLENGE"
    case configUnknownKey = "CONFIG_UNKNOWN_KEY"
    case configBadValue = "CONFIG_BAD_VALUE"
    case scoreInputTooLarge = "SCORE_INPUT_TOO_LARGE"
    case scoreMalformedJSON = "SCORE_MALFORMED_JSON"
    case scoreUnknownKey = "SCORE_UNKNOWN_KEY"
    case scoreMissingField = "SCORE_MISSING_FIELD"
    case scoreUnknownChallenge = "SCORE_UNKNOWN_CHALLENGE"
    case scoreBadResult = "SCORE_BAD_RESULT"
    case scoreBadAbortReason = "SCORE_BAD_ABORT_REASON"
    case scoreBadEstimator = "SCORE_BAD_ESTIMATOR"

    // MARK: Item bank (CertCore)
    case bankUnreadable = "BANK_UNREADABLE"
    case bankMalformed = "BANK_MALFORMED"
    case bankMissingField = "BANK_MISSING_FIELD"
    case bankBadDiscriminant = "BANK_BAD_DISCRIMINANT"
    case bankNonFinite = "BANK_NON_FINITE"
    case bankBadLevel = "BANK_BAD_LEVEL"
    case bankDuplicateId = "BANK_DUPLICATE_ID"
    case bankDuplicateCompetence = "BANK_DUPLICATE_COMPETENCE"
    case bankUnknownCompetence = "BANK_UNKNOWN_COMPETENCE"
    case bankEmptyCompetence = "BANK_EMPTY_COMPETENCE"
    case bankNoCompetences = "BANK_NO_COMPETENCES"
    case bankUnknownFramework = "BANK_UNKNOWN_FRAMEWORK"

    // MARK: Certification versions (CertCore)
    case versionNotFound = "VERSION_NOT_FOUND"
    case versionMalformed = "VERSION_MALFORMED"
    case versionUnknownKey = "VERSION_UNKNOWN_KEY"
    case versionMissingKey = "VERSION_MISSING_KEY"
    case versionBadValue = "VERSION_BAD_VALUE"
    case versionBankMismatch = "VERSION_BANK_MISMATCH"
    case versionUnknown = "VERSION_UNKNOWN"
    case versionArchived = "VERSION_ARCHIVED"
    case versionConflict = "VERSION_CONFLICT"
    case versionDuplicate = "VERSION_DUPLICATE"

    // MARK: Pix+ complementary certifications and the jury (CertDaemon)
    case versionBankAmbiguous = "VERSION_BANK_AMBIGUOUS"
    case complementaryNotAllowed = "COMPLEMENTARY_NOT_ALLOWED"
    case complementaryCoreMismatch = "COMPLEMENTARY_CORE_MISMATCH"
    case juryNoCertification = "JURY_NO_CERTIFICATION"
    case juryNotPublished = "JURY_NOT_PUBLISHED"
    case juryNotAdmissible = "JURY_NOT_ADMISSIBLE"
    case juryAlreadyDecided = "JURY_ALREADY_DECIDED"

    // MARK: Codes people type (CertCore)
    case verificationCodeExhausted = "VERIFICATION_CODE_EXHAUSTED"
    case accessCodeExhausted = "ACCESS_CODE_EXHAUSTED"
    case invigilatorPasswordExhausted = "INVIGILATOR_PASSWORD_EXHAUSTED"

    // MARK: Result store (CertStore)
    case storeNewerSchema = "STORE_NEWER_SCHEMA"
    case storeCorrupt = "STORE_CORRUPT"
    case storeReadOnly = "STORE_READ_ONLY"
    case storeCannotOpen = "STORE_CANNOT_OPEN"
    case storeLocked = "STORE_LOCKED"
    case storeBusy = "STORE_BUSY"
    case storeUnhealthy = "STORE_UNHEALTHY"
    case storeClosed = "STORE_CLOSED"
    case storeDuplicateAnswer = "STORE_DUPLICATE_ANSWER"
    case storeDuplicateResult = "STORE_DUPLICATE_RESULT"
    case storeVerificationCodeTaken = "STORE_VERIFICATION_CODE_TAKEN"
    case storeUnknownReference = "STORE_UNKNOWN_REFERENCE"
    case storeConstraint = "STORE_CONSTRAINT"
    case storeIO = "STORE_IO"
    case storeBadURL = "STORE_BAD_URL"
    case storeUnreachable = "STORE_UNREACHABLE"
    case storeFenced = "STORE_FENCED"

    // MARK: Daemon (CertDaemon: sessions, candidates, assessments, engines)
    case badRequest = "BAD_REQUEST"
    case invalidId = "INVALID_ID"
    case invalidDuration = "INVALID_DURATION"
    case sessionNotFound = "SESSION_NOT_FOUND"
    case candidateNotFound = "CANDIDATE_NOT_FOUND"
    case assessmentNotFound = "ASSESSMENT_NOT_FOUND"
    case certificateNotFound = "CERTIFICATE_NOT_FOUND"
    case invalidToken = "INVALID_TOKEN"
    case invalidAccessCode = "INVALID_ACCESS_CODE"
    case invalidCredentials = "INVALID_CREDENTIALS"
    case sessionExists = "SESSION_EXISTS"
    case sessionElsewhere = "SESSION_ELSEWHERE"
    case sessionFull = "SESSION_FULL"
    case candidateAlreadyEnrolled = "CANDIDATE_ALREADY_ENROLLED"
    case testFinished = "TEST_FINISHED"
    case testDurationExceeded = "TEST_DURATION_EXCEEDED"
    case liveAlertOngoing = "LIVE_ALERT_ONGOING"
    case busy = "BUSY"
    case shuttingDown = "SHUTTING_DOWN"
    case tooManySessions = "TOO_MANY_SESSIONS"
    case sessionIdExhausted = "SESSION_ID_EXHAUSTED"
    case storeFailure = "STORE_FAILURE"
    case scoringFailed = "SCORING_FAILED"
    case recoveryFailed = "RECOVERY_FAILED"
    case recoveryMismatch = "RECOVERY_MISMATCH"
    case internalError = "INTERNAL_ERROR"

    // MARK: Candidate HTTP API (CertDaemon/HTTP)
    case malformedJSON = "MALFORMED_JSON"
    case malformedRequest = "MALFORMED_REQUEST"
    case invalidBody = "INVALID_BODY"
    case missingToken = "MISSING_TOKEN"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case bodyTooLarge = "BODY_TOO_LARGE"
    case storeUnavailable = "STORE_UNAVAILABLE"

    // MARK: Control socket (CertDaemon/Control)
    case missingField = "MISSING_FIELD"
    case invalidField = "INVALID_FIELD"
    case unknownCommand = "UNKNOWN_COMMAND"
    case lineTooLong = "LINE_TOO_LONG"
    case notLoggedIn = "NOT_LOGGED_IN"
    case loginLocked = "LOGIN_LOCKED"
    case tooManyPending = "TOO_MANY_PENDING"
    case tooManyConnections = "TOO_MANY_CONNECTIONS"
    case alreadyWatching = "ALREADY_WATCHING"

    // MARK: Daemon settings (`certsim serve`)
    case invalidHTTPAddress = "INVALID_HTTP_ADDRESS"
    case invalidSocketMode = "INVALID_SOCKET_MODE"
    case invalidLogLevel = "INVALID_LOG_LEVEL"
    case invalidDurability = "INVALID_DURABILITY"
    case socketUnavailable = "SOCKET_UNAVAILABLE"
    case httpUnavailable = "HTTP_UNAVAILABLE"
    case serveFailed = "SERVE_FAILED"

    // MARK: The other verbs (`certsim ctl`, `score`, `bank`)
    case missingPassword = "MISSING_PASSWORD"
    case invalidAbort = "INVALID_ABORT"
    case unexpectedEvent = "UNEXPECTED_EVENT"
    case disconnected = "DISCONNECTED"
    case controlSocket = "CONTROL_SOCKET"
    case ctlFailed = "CTL_FAILED"
    case scoreInputUnreadable = "SCORE_INPUT_UNREADABLE"
    case bankNotFound = "BANK_NOT_FOUND"
    case bankBadSize = "BANK_BAD_SIZE"
    case bankUnwritable = "BANK_UNWRITABLE"
    case benchBadOption = "BENCH_BAD_OPTION"

    // MARK: Scenarios and runs (CertLoad)
    case scenarioMalformed = "SCENARIO_MALFORMED"
    case scenarioUnknownKey = "SCENARIO_UNKNOWN_KEY"
    case scenarioBadValue = "SCENARIO_BAD_VALUE"
    case scenarioUnreadable = "SCENARIO_UNREADABLE"
    case runBadOption = "RUN_BAD_OPTION"
    case runBank = "RUN_BANK"
    case runDaemon = "RUN_DAEMON"
    case runSetup = "RUN_SETUP"
    case runOutput = "RUN_OUTPUT"
    case runResults = "RUN_RESULTS"
    case daemonUnavailable = "DAEMON_UNAVAILABLE"
    case runnerRequestsExhausted = "RUNNER_REQUESTS_EXHAUSTED"

    // MARK: Run reports (CertLoad)
    case reportWriteFailed = "REPORT_WRITE_FAILED"
    case reportMissingFile = "REPORT_MISSING_FILE"
    case reportBadFile = "REPORT_BAD_FILE"
    case csvMalformed = "CSV_MALFORMED"
    case csvMissingColumn = "CSV_MISSING_COLUMN"
    case csvBadValue = "CSV_BAD_VALUE"

    // MARK: Run comparisons (CertLoad)
    case compareNoCommonCandidates = "COMPARE_NO_COMMON_CANDIDATES"
    case compareBadOption = "COMPARE_BAD_OPTION"
    case compareWriteFailed = "COMPARE_WRITE_FAILED"

    // MARK: The runner's transports (CertLoad)
    case transportConnectionFailed = "TRANSPORT_CONNECTION_FAILED"
    case transportTimeout = "TRANSPORT_TIMEOUT"
    case transportBadResponse = "TRANSPORT_BAD_RESPONSE"
    case transportHTTPStatus = "TRANSPORT_HTTP_STATUS"
    case transportHTTPUnavailable = "TRANSPORT_HTTP_UNAVAILABLE"
    case unrecognized = "UNRECOGNIZED"
}

/// How a refusal is reported, so that a transport maps whole families at once: the HTTP layer
/// turns each into one status, and a client reads the family to tell "fix the request" from
/// "wait" from "the daemon's fault".
///
/// Owned by CertCore's error catalogue; the HTTP status of each family is chosen in CertDaemon.
public enum ErrorFamily: String, CaseIterable, Sendable, Codable {
    /// The request or the input is malformed or out of range (HTTP 400).
    case badRequest
    /// Credentials are missing or wrong (HTTP 401).
    case unauthorized
    /// The caller is known but lacks a (still valid) authorisation (HTTP 403).
    case forbidden
    /// The session, candidate, assessment, certificate, route or file does not exist (HTTP 404).
    case notFound
    /// The route exists, but not for this method (HTTP 405, with `Allow`).
    case methodNotAllowed
    /// Another daemon sharing the store holds the session: ask it (HTTP 307, with `Location`).
    case redirect
    /// The target exists but its state does not allow the operation (HTTP 409).
    case conflict
    /// The target existed and is gone for good (HTTP 410).
    case expired
    /// Well-formed, but names something that does not belong, or cannot be served (HTTP 422).
    case unprocessable
    /// The request is larger than a limit (HTTP 413).
    case tooLarge
    /// The caller sent too many requests; wait (HTTP 429).
    case tooManyRequests
    /// The daemon cannot serve now, or cannot be reached (HTTP 503).
    case unavailable
    /// The daemon's or the tool's own failure, not the caller's (HTTP 500).
    case `internal`
}

extension ErrorCode {
    /// The reporting family of this code (the HTTP layer maps it to a status).
    public var family: ErrorFamily { entry.family }

    /// Whether the same request may succeed later, unchanged (back-pressure, a restart, a
    /// decision another actor will take). Clients retry these and nothing else.
    public var isRetryable: Bool { entry.retryAfterSeconds != nil }

    /// How long a client waits before retrying a retryable code (sent as `Retry-After`); nil
    /// for a code that is not retryable. A throw site may give a closer figure (LOGIN_LOCKED).
    public var retryAfterSeconds: Int? { entry.retryAfterSeconds }

    /// What the code means, one sentence (the error table of the docs and `--help`). The
    /// message sent with an error says the specifics.
    public var summary: String { entry.summary }

    /// The wire code, so that interpolating a code prints `BUSY`, not the case name.
    public var description: String { rawValue }

    /// A code read from the wire: the catalogued case, or ``unrecognized`` for a code this build
    /// does not know (a newer daemon, a proxy): never a crash.
    public init(wire: String) {
        self = ErrorCode(rawValue: wire) ?? .unrecognized
    }

    public init(from decoder: any Decoder) throws {
        self.init(wire: try decoder.singleValueContainer().decode(String.self))
    }

    private struct Entry {
        var family: ErrorFamily
        var retryAfterSeconds: Int?
        var summary: String

        init(_ family: ErrorFamily, retryAfter seconds: Int? = nil, _ summary: String) {
            self.family = family
            self.retryAfterSeconds = seconds
            self.summary = summary
        }
    }

    // One switch, so that adding a case without its family, retry and meaning does not compile.
    private var entry: Entry {
        switch self {
        // Lifecycle
        case .sessionExpired: Entry(.expired, "The session expired 24 hours after its first start; no candidate may start or resume.")
        case .sessionAlreadyFinalized: Entry(.conflict, "The session is finalised; candidates can no longer be enrolled, started or ended.")
        case .sessionNotFinalized: Entry(.conflict, "The session must be finalised first.")
        case .sessionAlreadyInProcess: Entry(.conflict, "The session's results are already being reviewed.")
        case .sessionAlreadyPublished: Entry(.conflict, "The session's results are already published.")
        case .candidateNotInSession: Entry(.unprocessable, "The candidate is not enrolled in this session.")
        case .candidateNotAuthorized: Entry(.forbidden, "The invigilator has not authorised this candidate to start or resume.")
        case .authorizationExpired: Entry(.forbidden, "The invigilator's authorisation expired (15 minutes) before the start; ask again.")
        case .candidateAlreadyStarted: Entry(.conflict, "The candidate has already started the test.")
        case .candidateNotStarted: Entry(.conflict, "The candidate has not started the test.")
        case .candidateAlreadyCompleted: Entry(.conflict, "The candidate has already completed the test.")
        case .candidateAlreadyEnded: Entry(.conflict, "The candidate's test has already ended.")
        case .durationNotExceeded: Entry(.conflict, "The candidate's test still has time left.")
        case .liveAlertOnAnsweredChallenge: Entry(.conflict, "A live alert cannot be raised on a challenge already answered.")
        case .liveAlertNotCurrentChallenge: Entry(.unprocessable, "A live alert names a challenge that is not the one on screen.")
        case .liveAlertNotOngoing: Entry(.conflict, "No live alert awaits a decision for this candidate.")
        case .liveAlertLimitReached: Entry(.conflict, "The candidate has raised the most live alerts a test allows.")
        case .companionAlertNotOngoing: Entry(.conflict, "No companion alert is ongoing for this candidate.")
        case .finalizationMissingAbortReason: Entry(.unprocessable, "Finalising needs an abort reason for every unfinished test.")
        case .finalizationUnknownCandidate: Entry(.unprocessable, "Finalising names a candidate the session does not hold.")
        case .finalizationUnexpectedAbortReason: Entry(.unprocessable, "Finalising gives an abort reason for a test that is not unfinished.")
        case .finalizationDuplicateCandidate: Entry(.unprocessable, "Finalising names the same candidate twice.")
        case .finalizationNoStartedCandidate: Entry(.conflict, "A session in which no candidate started cannot be finalised.")
        // Selection and scoring
        case .lackOfChallenges: Entry(.unprocessable, "The bank has no challenge left that the rules allow.")
        case .tooManyAnswers: Entry(.conflict, "The test already holds the most answers it counts.")
        case .notCurrentChallenge: Entry(.conflict, "The answer is not for the challenge served.")
        case .unknownChallenge: Entry(.conflict, "The challenge is not in the bank.")
        case .configUnknownKey: Entry(.badRequest, "An algorithm setting the engine does not know.")
        case .configBadValue: Entry(.badRequest, "An algorithm setting has a value out of its range.")
        case .scoreInputTooLarge: Entry(.tooLarge, "The score input is larger than `certsim score` reads.")
        case .scoreMalformedJSON: Entry(.badRequest, "The score input is not a valid score request.")
        case .scoreUnknownKey: Entry(.badRequest, "The score input has a field the format does not define.")
        case .scoreMissingField: Entry(.badRequest, "The score input lacks a required field.")
        case .scoreUnknownChallenge: Entry(.unprocessable, "The score input names a challenge that is not in the bank.")
        case .scoreBadResult: Entry(.badRequest, "An answer's result is not ok, ko, skipped or timedout.")
        case .scoreBadAbortReason: Entry(.badRequest, "The abort reason is not candidate or technical.")
        case .scoreBadEstimator: Entry(.badRequest, "The estimator is not flash or eap.")
        // Item bank
        case .bankUnreadable: Entry(.notFound, "The bank file cannot be read.")
        case .bankMalformed: Entry(.badRequest, "The bank file is not valid bank JSON.")
        case .bankMissingField: Entry(.badRequest, "A field of the bank or of a challenge is missing or empty.")
        case .bankBadDiscriminant: Entry(.badRequest, "A challenge's discriminant is not above 0.")
        case .bankNonFinite: Entry(.badRequest, "A challenge's discriminant or difficulty is not a finite number.")
        case .bankBadLevel: Entry(.badRequest, "A challenge's level is not an integer in 1...8.")
        case .bankDuplicateId: Entry(.badRequest, "Two challenges have the same id.")
        case .bankDuplicateCompetence: Entry(.badRequest, "Two competences have the same id.")
        case .bankUnknownCompetence: Entry(.badRequest, "A challenge names a competence the bank does not list.")
        case .bankEmptyCompetence: Entry(.badRequest, "A competence has no challenge.")
        case .bankNoCompetences: Entry(.badRequest, "The bank lists no competences.")
        case .bankUnknownFramework: Entry(.badRequest, "The competence framework named is not one certsim knows (crcn, crcn-edu, droit, pro-sante).")
        // Certification versions
        case .versionNotFound: Entry(.notFound, "The certification version file does not exist or cannot be read.")
        case .versionMalformed: Entry(.badRequest, "The certification version file is not valid JSON, or too large.")
        case .versionUnknownKey: Entry(.badRequest, "The certification version has a key its format does not define.")
        case .versionMissingKey: Entry(.badRequest, "The certification version lacks a required key.")
        case .versionBadValue: Entry(.badRequest, "A key of the certification version has a value of the wrong type, out of range or out of order.")
        case .versionBankMismatch: Entry(.unprocessable, "The bank's competence framework is not the one the version's framework needs.")
        case .versionUnknown: Entry(.notFound, "The daemon has loaded no certification version with this id.")
        case .versionArchived: Entry(.conflict, "The certification version is archived: it scores stored results but starts no test.")
        case .versionConflict: Entry(.conflict, "The daemon's copy of the certification version differs from the one the caller holds.")
        case .versionDuplicate: Entry(.badRequest, "Two certification versions given have the same id.")
        // Pix+
        case .versionBankAmbiguous: Entry(.badRequest, "Several loaded banks could serve the certification version; load one bank per competence framework.")
        case .complementaryNotAllowed: Entry(.unprocessable, "The version named is not a complementary certification this session can add (it is core, or the session's own).")
        case .complementaryCoreMismatch: Entry(.unprocessable, "The CléA version applies to another core certification version than the session's.")
        case .juryNoCertification: Entry(.notFound, "The candidate has no Pix+ Édu certification in this session.")
        case .juryNotPublished: Entry(.conflict, "The session's results are not published yet; the jury decides on published certifications.")
        case .juryNotAdmissible: Entry(.conflict, "The Pix+ Édu certification is not validated at the admissible level; the jury cannot raise it.")
        case .juryAlreadyDecided: Entry(.conflict, "The jury has already decided this certification's level.")
        // Codes
        case .verificationCodeExhausted: Entry(.unavailable, retryAfter: 1, "No free verification code was found in the bounded number of draws.")
        case .accessCodeExhausted: Entry(.unavailable, retryAfter: 1, "No free session access code was found in the bounded number of draws.")
        case .invigilatorPasswordExhausted: Entry(.unavailable, retryAfter: 1, "No free invigilator password was found in the bounded number of draws.")
        // Result store
        case .storeNewerSchema: Entry(.internal, "The store file was written by a newer certsim.")
        case .storeCorrupt: Entry(.internal, "The store file is damaged or is not a certsim store.")
        case .storeReadOnly: Entry(.internal, "The store file or its directory cannot be written.")
        case .storeCannotOpen: Entry(.internal, "The store file cannot be opened.")
        case .storeLocked: Entry(.internal, "Another writer holds the store's lock file.")
        case .storeBusy: Entry(.unavailable, retryAfter: 1, "The store's pending queue is full.")
        case .storeUnhealthy: Entry(.internal, "A commit failed earlier; the store accepts no more writes.")
        case .storeClosed: Entry(.internal, "The store's writer is closed.")
        case .storeDuplicateAnswer: Entry(.internal, "The journal already holds an answer for this question.")
        case .storeDuplicateResult: Entry(.internal, "The assessment's result is already stored.")
        case .storeVerificationCodeTaken: Entry(.internal, "Another stored result already holds this verification code.")
        case .storeUnknownReference: Entry(.internal, "A row refers to a session, candidate or assessment the store does not hold.")
        case .storeConstraint: Entry(.internal, "A row breaks a constraint of the store's schema.")
        case .storeIO: Entry(.internal, "Reading the store failed.")
        case .storeBadURL: Entry(.internal, "The PostgreSQL store's URL is malformed or carries a password.")
        case .storeUnreachable: Entry(.internal, "The PostgreSQL server cannot be reached or refused the login.")
        case .storeFenced: Entry(.unavailable, retryAfter: 1, "The daemon lost its lease on the session while answering; ask again to be sent to its new owner.")
        // Daemon
        case .badRequest: Entry(.badRequest, "The request is not valid.")
        case .invalidId: Entry(.badRequest, "An id is empty or longer than the daemon accepts.")
        case .invalidDuration: Entry(.badRequest, "A session's nominal duration is out of range.")
        case .sessionNotFound: Entry(.notFound, "No session has this id.")
        case .candidateNotFound: Entry(.notFound, "The session has no candidate with this id.")
        case .assessmentNotFound: Entry(.notFound, "No assessment has this id.")
        case .certificateNotFound: Entry(.notFound, "No published certificate has this verification code.")
        case .invalidToken: Entry(.forbidden, "The token does not give access to this assessment; start or resume again.")
        case .invalidAccessCode: Entry(.forbidden, "The access code is not the session's.")
        case .invalidCredentials: Entry(.unauthorized, "The invigilator password is wrong for this session.")
        case .sessionExists: Entry(.conflict, "A session with this id already exists.")
        case .sessionFull: Entry(.conflict, "The session holds the most candidates it may.")
        case .candidateAlreadyEnrolled: Entry(.conflict, "The candidate is already enrolled in the session.")
        case .testFinished: Entry(.conflict, "The test is over; it accepts no more answers.")
        case .testDurationExceeded: Entry(.conflict, "The test's time ran out; it accepts no more answers.")
        case .liveAlertOngoing: Entry(.conflict, retryAfter: 1, "A live alert awaits the invigilator's decision; ask again after it.")
        case .busy: Entry(.unavailable, retryAfter: 1, "An engine's in-flight limit is reached.")
        case .shuttingDown: Entry(.unavailable, retryAfter: 1, "The daemon is shutting down and accepts no new requests.")
        case .tooManySessions: Entry(.unavailable, retryAfter: 60, "The daemon holds the most sessions it may.")
        case .sessionIdExhausted: Entry(.unavailable, retryAfter: 1, "No free session id was found in the bounded number of draws.")
        case .storeFailure: Entry(.internal, retryAfter: 1, "The result store failed; the operation may or may not have been recorded.")
        case .scoringFailed: Entry(.internal, "Scoring failed on a journal the daemon built.")
        case .recoveryFailed: Entry(.internal, "An assessment cannot be rebuilt from its journal.")
        case .recoveryMismatch: Entry(.internal, "A candidate's journal does not replay to the stored test (another bank or seed, or a damaged journal).")
        case .internalError: Entry(.internal, "An invariant of the daemon broke (a bug, reported rather than crashed on).")
        // Candidate HTTP API
        case .malformedJSON: Entry(.badRequest, "The request body (or control line) is not valid JSON.")
        case .malformedRequest: Entry(.badRequest, "The request's framing or shape is broken.")
        case .invalidBody: Entry(.badRequest, "A field of the request body is missing or of the wrong type or value.")
        case .missingToken: Entry(.unauthorized, "An assessment route needs the header \"Authorization: Bearer <token>\".")
        case .notFound: Entry(.notFound, "No such route in the candidate API.")
        case .sessionElsewhere: Entry(.redirect, "Another daemon sharing the store holds the session; the answer names its address (HTTP: Location).")
        case .methodNotAllowed: Entry(.methodNotAllowed, "A route of the candidate API called with a method it does not answer.")
        case .bodyTooLarge: Entry(.tooLarge, "The request body is larger than the API accepts.")
        case .storeUnavailable: Entry(.unavailable, retryAfter: 5, "The result store does not accept writes (`/healthz`).")
        // Control socket
        case .missingField: Entry(.badRequest, "A control request lacks a required field.")
        case .invalidField: Entry(.badRequest, "A control request's field has the wrong type or value.")
        case .unknownCommand: Entry(.notFound, "The control socket has no such command.")
        case .lineTooLong: Entry(.tooLarge, "A control request line is longer than the socket accepts.")
        case .notLoggedIn: Entry(.unauthorized, "The connection has not logged in to this session.")
        case .loginLocked: Entry(.tooManyRequests, retryAfter: 1, "Too many failed logins; logins wait a while.")
        case .tooManyPending: Entry(.unavailable, retryAfter: 1, "The connection has the most requests waiting that it may.")
        case .tooManyConnections: Entry(.unavailable, retryAfter: 1, "The control socket has reached its connection limit.")
        case .alreadyWatching: Entry(.conflict, "The connection is already watching; open another one.")
        // Daemon settings
        case .invalidHTTPAddress: Entry(.badRequest, "--http is not HOST:PORT.")
        case .invalidSocketMode: Entry(.badRequest, "--socket-mode is not an octal mode giving the owner rw and others nothing.")
        case .invalidLogLevel: Entry(.badRequest, "--log-level is not a known level.")
        case .invalidDurability: Entry(.badRequest, "--durability is not durable or relaxed.")
        case .socketUnavailable: Entry(.unavailable, "The control socket cannot be opened.")
        case .httpUnavailable: Entry(.unavailable, "The HTTP server cannot listen on its address.")
        case .serveFailed: Entry(.internal, "The daemon stopped on an unexpected failure.")
        // Other verbs
        case .missingPassword: Entry(.badRequest, "`certsim ctl` needs --password or CERTSIM_PASSWORD.")
        case .invalidAbort: Entry(.badRequest, "--abort is not CANDIDATE=candidate or CANDIDATE=technical.")
        case .unexpectedEvent: Entry(.internal, "The daemon sent an event where an answer was expected.")
        case .disconnected: Entry(.unavailable, "The daemon closed the control connection.")
        case .controlSocket: Entry(.unavailable, "The control socket cannot be reached, or did not answer in time.")
        case .ctlFailed: Entry(.internal, "`certsim ctl` failed unexpectedly.")
        case .scoreInputUnreadable: Entry(.notFound, "The score input file cannot be read.")
        case .bankNotFound: Entry(.notFound, "The bank file does not exist.")
        case .bankBadSize: Entry(.badRequest, "The bank to generate has too few or too many challenges.")
        case .bankUnwritable: Entry(.internal, "The generated bank cannot be written.")
        case .benchBadOption: Entry(.badRequest, "An option of `certsim bench` is not valid.")
        // Scenarios and runs
        case .scenarioMalformed: Entry(.badRequest, "The scenario is not YAML or JSON, or not a mapping at the top.")
        case .scenarioUnknownKey: Entry(.badRequest, "The scenario has a key its format does not define.")
        case .scenarioBadValue: Entry(.badRequest, "A scenario key has a value of the wrong type, out of range, or contradicting another.")
        case .scenarioUnreadable: Entry(.notFound, "The scenario file cannot be read.")
        case .runBadOption: Entry(.badRequest, "An option of the run is not valid.")
        case .runBank: Entry(.badRequest, "The run's item bank cannot be loaded.")
        case .runDaemon: Entry(.unavailable, "The run's daemon cannot be opened or reached.")
        case .runSetup: Entry(.internal, "A session of the run cannot be set up.")
        case .runOutput: Entry(.internal, "The run's files cannot be written.")
        case .runResults: Entry(.internal, "The run's results cannot be read from the store.")
        case .daemonUnavailable: Entry(.unavailable, retryAfter: 1, "A candidate lived through an outage of the daemon (counted once per outage).")
        case .runnerRequestsExhausted: Entry(.internal, "A simulated candidate sent the most requests a flow may without finishing.")
        // Run reports
        case .reportWriteFailed: Entry(.internal, "The run's files cannot be written.")
        case .reportMissingFile: Entry(.notFound, "A file of the run's folder cannot be read.")
        case .reportBadFile: Entry(.badRequest, "A file of the run's folder is not what the run writes.")
        case .csvMalformed: Entry(.badRequest, "A CSV table is not RFC 4180 text.")
        case .csvMissingColumn: Entry(.badRequest, "A CSV table lacks a column.")
        case .csvBadValue: Entry(.badRequest, "A CSV field has a value that cannot be read.")
        // Run comparisons
        case .compareNoCommonCandidates: Entry(.unprocessable, "The two compared runs have no candidate in common (another seed or scenario?).")
        case .compareBadOption: Entry(.badRequest, "An option of `certsim compare` is not valid.")
        case .compareWriteFailed: Entry(.internal, "The comparison's HTML page cannot be written.")
        // Transports
        case .transportConnectionFailed: Entry(.unavailable, "The connection failed or closed before the answer.")
        case .transportTimeout: Entry(.unavailable, "No answer came within the transport's request timeout.")
        case .transportBadResponse: Entry(.internal, "The answer was not the JSON expected.")
        case .transportHTTPStatus: Entry(.internal, "An HTTP error status came without the API's error body (a proxy or another server).")
        case .transportHTTPUnavailable: Entry(.unavailable, retryAfter: 1, "HTTP 503, or a Retry-After, came without the API's error body.")
        case .unrecognized: Entry(.internal, "A code this build does not know (the message starts with it).")
        }
    }
}
