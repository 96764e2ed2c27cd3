import Foundation

/// How simulated candidates behave. YAML section `behaviour`. Shares and rates are in [0, 1].
///
/// Owned by CertLoad's scenario half.
public struct Behaviour: Sendable, Codable, Equatable {
    /// Time a candidate spends on a question. YAML `think_time`.
    public var thinkTime = ThinkTime()
    /// Share of candidates who give up part-way (abort reason `candidate`). YAML `abandon_share`.
    public var abandonShare: Double = 0
    /// Chance a candidate raises a live alert on a given question. YAML `live_alert_rate_per_question`.
    public var liveAlertRatePerQuestion: Double = 0
    /// Share of candidates hit by a technical incident (disconnect, resume after re-authorisation).
    /// YAML `technical_incident_share`.
    public var technicalIncidentShare: Double = 0
    /// Share of candidates whose companion extension raises an alert. YAML `companion_alert_share`.
    public var companionAlertShare: Double = 0

    public init() {}
}

/// Think time per question: log-normal with the given median and log-sd, clamped to
/// [minimumSeconds, maximumSeconds]. YAML `think_time: {median_seconds, sigma, min_seconds, max_seconds}`.
public struct ThinkTime: Sendable, Codable, Equatable {
    public var medianSeconds: Double = 45
    /// Standard deviation of ln(think time).
    public var sigma: Double = 0.6
    public var minimumSeconds: Double = 5
    public var maximumSeconds: Double = 600

    public init() {}

    /// The think time for a standard normal draw `z`.
    public func seconds(standardNormal z: Double) -> Double {
        min(maximumSeconds, max(minimumSeconds, medianSeconds * exp(sigma * z)))
    }
}

