/// Limits that fail a run, like a load tester's thresholds. YAML section `thresholds`; every key is
/// optional (unset = not checked). Evaluated against a run's ``Summary`` by ``ThresholdCheck``.
///
/// ```yaml
/// thresholds:
///   p99_next_ms: 20       # latency: p50|p90|p99|p999|max _ operation _ms
///   rmse_max: 0.5
///   errors_max: 0
///   exposure_max: 0.3     # no challenge given to more than 30 % of the candidates
///   overlap_max: 0.25
///   digest: "9f2c…"
///   baseline: baselines/smoke.candidates.csv   # what the digest was pinned from
/// ```
///
/// Owned by CertLoad's scenario half.
public struct Thresholds: Sendable, Codable, Equatable {
    /// Latency limits, in the order written.
    public var latency: [LatencyThreshold] = []
    /// Largest RMSE of θ̂ against θ. YAML `rmse_max`.
    public var rmseMax: Double? = nil
    /// Largest |bias| of θ̂ against θ. YAML `abs_bias_max`.
    public var absBiasMax: Double? = nil
    /// Smallest Pearson r of θ̂ with θ. YAML `pearson_min`.
    public var pearsonMin: Double? = nil
    /// Smallest share of candidates whose mesh level from θ̂ equals the one from θ. YAML `mesh_agreement_min`.
    public var meshAgreementMin: Double? = nil
    /// Most errors (all codes together). YAML `errors_max`.
    public var errorsMax: Int? = nil
    /// Most rejected certifications. YAML `rejected_max`.
    public var rejectedMax: Int? = nil
    /// Fewest answers a second (real time). YAML `answers_per_second_min`.
    public var answersPerSecondMin: Double? = nil
    /// Fewest certifications a second (real time). YAML `certifications_per_second_min`.
    public var certificationsPerSecondMin: Double? = nil
    /// Largest test–retest mean |Δscore|. YAML `retest_delta_score_max`.
    public var retestDeltaScoreMax: Double? = nil
    /// Smallest test–retest same-level share. YAML `retest_same_level_min`.
    public var retestSameLevelMin: Double? = nil
    /// Largest exposure rate of any challenge. YAML `exposure_max`.
    public var exposureMax: Double? = nil
    /// Largest test overlap rate (the direct one, over the pairs measured). YAML `overlap_max`.
    public var overlapMax: Double? = nil
    /// The digest the run must reproduce (lower-case hex). YAML `digest`.
    public var digest: String? = nil
    /// A committed candidates.csv of the run that gave ``digest``; relative to the scenario file in
    /// YAML, resolved by `Scenario.load`. Not a limit: when the digest breaks, the failure says what
    /// moved against it and how to compare (`certsim compare BASELINE OUT_DIR`). YAML `baseline`.
    public var baseline: String? = nil

    public init() {}

    /// True when no threshold is set.
    public var isEmpty: Bool { self == Thresholds() }
}

/// One latency limit: a percentile of one operation's latency, in milliseconds.
public struct LatencyThreshold: Sendable, Codable, Equatable {
    public var operation: String
    public var percentile: LatencyPercentile
    public var limitMilliseconds: Double

    public init(operation: String, percentile: LatencyPercentile, limitMilliseconds: Double) {
        self.operation = operation
        self.percentile = percentile
        self.limitMilliseconds = limitMilliseconds
    }

    /// The YAML key, e.g. `p99_next_ms`.
    public var key: String { "\(percentile.rawValue)_\(operation)_ms" }
}

/// A latency statistic a threshold or a report names.
public enum LatencyPercentile: String, Sendable, Codable, CaseIterable {
    case p50, p90, p99, p999, max

    /// The percentile in [0, 100] (max = 100).
    public var percent: Double {
        switch self {
        case .p50: return 50
        case .p90: return 90
        case .p99: return 99
        case .p999: return 99.9
        case .max: return 100
        }
    }
}

/// The operations a run times, by the names thresholds and reports use.
///
/// Owned by CertLoad; the runner records under these names.
public enum LatencyOperation {
    /// start or resume a test (access code)
    public static let start = "start"
    /// ask for the next challenge
    public static let next = "next"
    /// send an answer
    public static let answer = "answer"
    /// raise a live alert
    public static let alert = "alert"
    /// verify a certificate code
    public static let verify = "verify"
    /// a proctor's control-socket command
    public static let control = "control"

    /// Every name a threshold may use.
    public static let known: [String] = [start, next, answer, alert, verify, control]
}
