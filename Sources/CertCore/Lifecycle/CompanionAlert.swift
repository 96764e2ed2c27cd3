/// Where a companion-extension alert stands.
///
/// Owned by CertCore's lifecycle.
public enum CompanionAlertStatus: String, Codable, Sendable, CaseIterable {
    /// The candidate's companion extension stopped answering; the invigilator must check.
    case ongoing
    /// The invigilator checked and cleared it.
    case cleared
}

/// An alert raised when a candidate's companion browser extension is not detected.
///
/// Owned by CertCore's lifecycle; kept inside a ``CompanionAlertLedger``.
public struct CompanionAlert: Sendable, Equatable, Codable {
    public let raisedAtSeconds: Double
    public private(set) var status: CompanionAlertStatus
    public private(set) var clearedAtSeconds: Double?

    /// A new, ongoing alert.
    public init(raisedAtSeconds: Double) {
        self.raisedAtSeconds = raisedAtSeconds
        self.status = .ongoing
    }

    /// The invigilator clears the alert: ongoing → cleared.
    public mutating func clear(nowSeconds: Double) throws(LifecycleError) {
        guard status == .ongoing else {
            throw LifecycleError(.companionAlertNotOngoing, "This companion alert was already cleared.")
        }
        status = .cleared
        clearedAtSeconds = nowSeconds
    }
}

/// What raising a companion alert did.
///
/// Owned by CertCore's lifecycle.
public enum CompanionAlertRaiseOutcome: String, Codable, Sendable {
    case raised
    /// An alert was already ongoing; nothing changed.
    case ignoredAlreadyOngoing
}

/// One candidate's companion alerts: the ongoing one, if any, and how many were cleared.
///
/// Owned by CertCore's lifecycle and held by the daemon per candidate. Kept as a count, not a
/// list, because an extension may drop many times in a test.
public struct CompanionAlertLedger: Sendable, Equatable, Codable {
    public private(set) var ongoing: CompanionAlert?
    public private(set) var clearedCount: Int

    public init() {
        self.clearedCount = 0
    }

    /// The extension was not detected. A second alert while one is ongoing is ignored.
    @discardableResult
    public mutating func raise(nowSeconds: Double) -> CompanionAlertRaiseOutcome {
        if ongoing != nil { return .ignoredAlreadyOngoing }
        ongoing = CompanionAlert(raisedAtSeconds: nowSeconds)
        return .raised
    }

    /// The invigilator clears the ongoing alert. Returns the cleared alert.
    @discardableResult
    public mutating func clear(nowSeconds: Double) throws(LifecycleError) -> CompanionAlert {
        guard var alert = ongoing else {
            throw LifecycleError(.companionAlertNotOngoing,
                "This candidate has no ongoing companion alert to clear.")
        }
        try alert.clear(nowSeconds: nowSeconds)
        ongoing = nil
        clearedCount += 1
        return alert
    }
}
