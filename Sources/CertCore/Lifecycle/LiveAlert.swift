/// Where a live alert stands.
///
/// Owned by CertCore's lifecycle; stored by CertStore with the same raw values.
public enum LiveAlertStatus: String, Codable, Sendable, CaseIterable {
    /// Raised by the candidate; the candidate waits for the invigilator.
    case ongoing
    /// Accepted: the skill leaves the pool, answers to it leave the estimate, a new challenge is served.
    case validated
    /// Refused: the candidate answers the same challenge.
    case dismissed
}

/// Why the invigilator validated a live alert (DESIGN §3.6, Pix's IN_CHALLENGE subcategories).
public enum LiveAlertReason: String, Codable, Sendable, CaseIterable {
    case websiteUnavailable = "WEBSITE_UNAVAILABLE"
    case websiteBlocked = "WEBSITE_BLOCKED"
    case extraTimeExceeded = "EXTRA_TIME_EXCEEDED"
    case softwareNotWorking = "SOFTWARE_NOT_WORKING"
    case skipOnOops = "SKIP_ON_OOPS"
    case accessibilityIssue = "ACCESSIBILITY_ISSUE"
    case embedNotWorking = "EMBED_NOT_WORKING"
    case imageNotDisplaying = "IMAGE_NOT_DISPLAYING"
    case unintentionalFocusOut = "UNINTENTIONAL_FOCUS_OUT"
    case fileNotOpening = "FILE_NOT_OPENING"
}

/// A candidate's report of a problem with the challenge on screen, for the invigilator to judge.
///
/// Owned by CertCore's lifecycle; kept inside a ``LiveAlertLedger``.
public struct LiveAlert: Sendable, Equatable, Codable {
    public let challengeId: String
    public let raisedAtSeconds: Double
    public private(set) var status: LiveAlertStatus
    public private(set) var resolvedAtSeconds: Double?
    /// The question number of the challenge on screen when it was raised.
    public let questionNumber: Int?
    /// Why it was validated (nil for an alert validated before reasons were recorded).
    public private(set) var reason: LiveAlertReason?

    /// A new, ongoing alert.
    public init(challengeId: String, raisedAtSeconds: Double, questionNumber: Int? = nil) {
        self.questionNumber = questionNumber
        self.challengeId = challengeId
        self.raisedAtSeconds = raisedAtSeconds
        self.status = .ongoing
    }

    /// The invigilator accepts the alert: ongoing → validated.
    public mutating func validate(reason: LiveAlertReason? = nil, nowSeconds: Double) throws(LifecycleError) {
        try resolve(as: .validated, nowSeconds: nowSeconds)
        self.reason = reason
    }

    /// The invigilator refuses the alert: ongoing → dismissed.
    public mutating func dismiss(nowSeconds: Double) throws(LifecycleError) {
        try resolve(as: .dismissed, nowSeconds: nowSeconds)
    }

    private mutating func resolve(as newStatus: LiveAlertStatus, nowSeconds: Double) throws(LifecycleError) {
        guard status == .ongoing else {
            throw LifecycleError(.liveAlertNotOngoing,
                "The alert on challenge \(challengeId) was already \(status.rawValue).")
        }
        status = newStatus
        resolvedAtSeconds = nowSeconds
    }
}

/// What raising a live alert did.
///
/// Owned by CertCore's lifecycle; an ignored alert is not an error (the candidate pressed twice).
public enum LiveAlertRaiseOutcome: String, Codable, Sendable {
    case raised
    /// An alert was already ongoing; nothing changed.
    case ignoredAlreadyOngoing
}

/// One candidate's live alerts: the ongoing one, if any, and the resolved history.
///
/// Owned by CertCore's lifecycle and held by the daemon next to the candidate's `AdaptiveTest`.
/// After ``validate(challengeId:nowSeconds:)`` the daemon calls
/// `AdaptiveTest.validateLiveAlert(challengeId:)` with the same id.
///
/// ```swift
/// var alerts = LiveAlertLedger()
/// try alerts.raise(challengeId: "rec1", currentChallengeId: "rec1", answeredChallengeIds: [], nowSeconds: 10)
/// try alerts.validate(challengeId: "rec1", nowSeconds: 40)   // alerts.validatedChallengeIds == ["rec1"]
/// ```
public struct LiveAlertLedger: Sendable, Equatable, Codable {
    /// Alerts one candidate may raise in a test; past it, raising is refused (LIVE_ALERT_LIMIT_REACHED).
    public static let defaultMaximumAlerts = 64

    public let maximumAlerts: Int
    /// The alert awaiting the invigilator, if any.
    public private(set) var ongoing: LiveAlert?
    /// Resolved alerts, oldest first.
    public private(set) var history: [LiveAlert]
    /// Challenges whose alert was validated (their skill is out of the pool, their answers out of the estimate).
    public private(set) var validatedChallengeIds: Set<String>

    public init(maximumAlerts: Int = LiveAlertLedger.defaultMaximumAlerts) {
        precondition(maximumAlerts > 0, "a candidate may raise at least one alert")
        self.maximumAlerts = maximumAlerts
        self.history = []
        self.validatedChallengeIds = []
    }

    /// Alerts raised so far, ongoing one included.
    public var raisedCount: Int { history.count + (ongoing == nil ? 0 : 1) }

    /// The candidate raises an alert on `challengeId`, which must be the challenge on screen
    /// (`currentChallengeId`) and not already answered. A second alert while one is ongoing is
    /// ignored. A new alert on a challenge whose previous alert was dismissed is allowed.
    @discardableResult
    public mutating func raise(
        challengeId: String, currentChallengeId: String?, answeredChallengeIds: Set<String>,
        questionNumber: Int? = nil, nowSeconds: Double
    ) throws(LifecycleError) -> LiveAlertRaiseOutcome {
        if answeredChallengeIds.contains(challengeId) {
            throw LifecycleError(.liveAlertOnAnsweredChallenge,
                "Challenge \(challengeId) has already been answered; an alert can only concern the challenge on screen.")
        }
        if ongoing != nil { return .ignoredAlreadyOngoing }
        guard challengeId == currentChallengeId else {
            throw LifecycleError(.liveAlertNotCurrentChallenge,
                "Challenge \(challengeId) is not the challenge on screen; an alert can only concern that one.")
        }
        guard raisedCount < maximumAlerts else {
            throw LifecycleError(.liveAlertLimitReached,
                "This candidate has already raised \(maximumAlerts) alerts, the most one test allows.")
        }
        ongoing = LiveAlert(challengeId: challengeId, raisedAtSeconds: nowSeconds, questionNumber: questionNumber)
        return .raised
    }

    /// The invigilator validates the ongoing alert on `challengeId`. Returns the resolved alert.
    @discardableResult
    public mutating func validate(challengeId: String, reason: LiveAlertReason? = nil,
                                  nowSeconds: Double) throws(LifecycleError) -> LiveAlert {
        var alert = try ongoingAlert(on: challengeId)
        try alert.validate(reason: reason, nowSeconds: nowSeconds)
        validatedChallengeIds.insert(challengeId)
        return settle(alert)
    }

    /// The invigilator dismisses the ongoing alert on `challengeId`. Returns the resolved alert.
    @discardableResult
    public mutating func dismiss(challengeId: String, nowSeconds: Double) throws(LifecycleError) -> LiveAlert {
        var alert = try ongoingAlert(on: challengeId)
        try alert.dismiss(nowSeconds: nowSeconds)
        return settle(alert)
    }

    private func ongoingAlert(on challengeId: String) throws(LifecycleError) -> LiveAlert {
        guard let ongoing, ongoing.challengeId == challengeId else {
            throw LifecycleError(.liveAlertNotOngoing,
                "There is no ongoing alert on challenge \(challengeId) for this candidate.")
        }
        return ongoing
    }

    private mutating func settle(_ alert: LiveAlert) -> LiveAlert {
        ongoing = nil
        history.append(alert)
        return alert
    }
}
