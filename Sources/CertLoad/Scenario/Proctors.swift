/// How simulated invigilators react. YAML section `proctors`.
///
/// Owned by CertLoad's scenario half.
public struct Proctors: Sendable, Codable, Equatable {
    /// From a candidate asking to start (or resume) to the invigilator's authorisation.
    /// YAML `authorise_delay_seconds`.
    public var authoriseDelaySeconds = SecondsRange(5, 60)
    /// From a live or companion alert to the invigilator's decision. YAML `alert_reaction_delay_seconds`.
    public var alertReactionDelaySeconds = SecondsRange(10, 120)
    /// Share of live alerts the invigilator validates (the rest are dismissed). YAML `validate_ratio`.
    public var validateRatio: Double = 0.5

    public init() {}
}

/// Miscalibration: the simulated people answer by "true" parameters that differ from the bank's by
/// Gaussian noise with these standard deviations (logits; the true discriminant is kept > 0).
/// YAML `calibration_noise: 0.2` (both) or `{discriminant_sd: 0.1, difficulty_sd: 0.3}`.
///
/// Owned by CertLoad's scenario half.
public struct CalibrationNoise: Sendable, Codable, Equatable {
    public var discriminantStandardDeviation: Double = 0
    public var difficultyStandardDeviation: Double = 0

    public init() {}
    public init(discriminantStandardDeviation: Double, difficultyStandardDeviation: Double) {
        self.discriminantStandardDeviation = discriminantStandardDeviation
        self.difficultyStandardDeviation = difficultyStandardDeviation
    }

    public var isZero: Bool { discriminantStandardDeviation == 0 && difficultyStandardDeviation == 0 }
}
