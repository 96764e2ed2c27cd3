import Foundation

/// The outcome of one threshold: its YAML key, the limit and the measured value as written in reports,
/// and, when broken, a sentence saying so.
///
/// Owned by CertLoad's report half.
public struct ThresholdOutcome: Sendable, Codable, Equatable {
    /// The scenario key, e.g. `p99_next_ms`.
    public var name: String
    public var limit: String
    /// The measured value, or "not measured".
    public var measured: String
    public var passed: Bool
    /// Why it failed; nil when it passed.
    public var failure: String?

    public init(name: String, limit: String, measured: String, passed: Bool, failure: String?) {
        self.name = name
        self.limit = limit
        self.measured = measured
        self.passed = passed
        self.failure = failure
    }
}

/// Checks a run's ``Summary`` against a scenario's ``Thresholds``. A threshold whose measure is missing
/// (no samples, operation never timed, no retest) fails: a limit nobody measured is not met.
///
/// ```swift
/// summary.thresholds = ThresholdCheck.evaluate(summary, against: scenario.thresholds)
/// for sentence in ThresholdCheck.failures(summary.thresholds) { print(sentence) }
/// exit(summary.passed ? 0 : 1)
/// ```
///
/// Owned by CertLoad's report half.
public enum ThresholdCheck {
    public static func evaluate(_ summary: Summary, against thresholds: Thresholds) -> [ThresholdOutcome] {
        var outcomes: [ThresholdOutcome] = []

        func atMost(_ name: String, _ limit: Double?, _ measured: Double?, _ unit: String = "", what: String) {
            guard let limit else { return }
            outcomes.append(outcome(name, limit: limit, measured: measured, unit: unit, what: what, passes: { $0 <= limit }, relation: "above the maximum"))
        }
        func atLeast(_ name: String, _ limit: Double?, _ measured: Double?, _ unit: String = "", what: String) {
            guard let limit else { return }
            outcomes.append(outcome(name, limit: limit, measured: measured, unit: unit, what: what, passes: { $0 >= limit }, relation: "below the minimum"))
        }

        for latency in thresholds.latency {
            let measured = summary.latency[latency.operation].flatMap { $0.count == 0 ? nil : $0 }
                .map { Double($0.microseconds(latency.percentile)) / 1000 }
            atMost(latency.key, latency.limitMilliseconds, measured, " ms",
                   what: "\(latency.percentile.rawValue) latency of '\(latency.operation)'")
        }
        let consistency = summary.consistency
        atMost("rmse_max", thresholds.rmseMax, consistency.rmse, what: "RMSE of θ̂ against θ")
        atMost("abs_bias_max", thresholds.absBiasMax, consistency.bias.map(abs), what: "|bias| of θ̂ against θ")
        atLeast("pearson_min", thresholds.pearsonMin, consistency.pearson, what: "Pearson r of θ̂ with θ")
        atLeast("mesh_agreement_min", thresholds.meshAgreementMin, consistency.meshAgreement, what: "mesh-level agreement share")
        atMost("errors_max", thresholds.errorsMax.map(Double.init), Double(summary.errorsTotal), what: "error count")
        atMost("rejected_max", thresholds.rejectedMax.map(Double.init), Double(summary.certifications.rejected), what: "rejected certifications")
        atLeast("answers_per_second_min", thresholds.answersPerSecondMin, summary.answersPerSecond, what: "answers per second")
        atLeast("certifications_per_second_min", thresholds.certificationsPerSecondMin, summary.certificationsPerSecond,
                what: "certifications per second")
        atMost("retest_delta_score_max", thresholds.retestDeltaScoreMax, consistency.retestMeanAbsoluteDeltaScore,
               what: "test–retest mean |Δscore|")
        atLeast("retest_same_level_min", thresholds.retestSameLevelMin, consistency.retestSameLevelShare,
                what: "test–retest same-level share")
        // Every bank that served a test counts (a Pix+ run measures each bank apart).
        let banks = summary.itemSecurityByBank ?? summary.itemSecurity.map { [$0] } ?? []
        atMost("exposure_max", thresholds.exposureMax, banks.compactMap(\.maxExposureRate).max(),
               what: "largest exposure rate of a challenge")
        atMost("overlap_max", thresholds.overlapMax, banks.compactMap(\.overlap.direct).max(), what: "test overlap rate")
        if let expected = thresholds.digest {
            let passed = summary.digest.lowercased() == expected.lowercased()
            outcomes.append(ThresholdOutcome(
                name: "digest", limit: expected, measured: summary.digest, passed: passed,
                failure: passed ? nil : "digest: the run's digest \(summary.digest) differs from the pinned \(expected); the per-candidate results changed"))
        }
        return outcomes
    }

    /// The sentences of the broken thresholds, in order.
    public static func failures(_ outcomes: [ThresholdOutcome]) -> [String] {
        outcomes.compactMap(\.failure)
    }

    static func outcome(_ name: String, limit: Double, measured: Double?, unit: String, what: String,
                        passes: (Double) -> Bool, relation: String) -> ThresholdOutcome {
        guard let measured else {
            return ThresholdOutcome(name: name, limit: format(limit) + unit, measured: "not measured", passed: false,
                                    failure: "\(name): the \(what) was not measured in this run, so the limit \(format(limit))\(unit) is not met")
        }
        let passed = passes(measured)
        return ThresholdOutcome(
            name: name, limit: format(limit) + unit, measured: format(measured) + unit, passed: passed,
            failure: passed ? nil : "\(name): the \(what) is \(format(measured))\(unit), \(relation) \(format(limit))\(unit)")
    }

    /// Up to 4 significant decimals, no trailing zeros.
    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

