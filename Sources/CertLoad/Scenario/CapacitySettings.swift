/// How a capacity search raises the load and when it stops. YAML section `capacity` (read with
/// `mode: capacity`, or by `certsim run --find-capacity`).
///
/// The search plays steps of increasing concurrency — `start_concurrency`, then × `growth` at each
/// step, up to `max_concurrency` — each step a bounded run as fast as possible (time scale 0, at most
/// that many candidates in flight, no think time), until a step breaks the service-level objective
/// (``CapacitySLO``). The knee is the last step that kept it.
///
/// ```yaml
/// mode: capacity
/// capacity:
///   start_concurrency: 8
///   growth: 2
///   max_concurrency: 512
///   step_candidates: 200          # or step_seconds: 5 (never both)
///   slo: {p99_next_ms: 20, p99_answer_ms: 20, errors_max: 0}
/// ```
///
/// Owned by CertLoad's capacity-search half (the scenario parser reads it).
public struct CapacitySettings: Sendable, Codable, Equatable {
    /// Concurrency of the first step. YAML `start_concurrency`.
    public var startConcurrency: Int = CapacitySettings.startConcurrencyDefault
    /// Factor between the concurrencies of two successive steps (> 1). YAML `growth`.
    public var growth: Double = CapacitySettings.growthDefault
    /// Highest concurrency tried; the last step is exactly this when the factor overshoots it.
    /// YAML `max_concurrency`.
    public var maxConcurrency: Int = CapacitySettings.maxConcurrencyDefault
    /// Certifications a step plays, at least; nil = sized by `stepSeconds` or by the minimum alone.
    /// YAML `step_candidates`.
    public var stepCandidates: Int? = nil
    /// Wall seconds a step should last, sized from the previous step's certifications a second; nil
    /// = not sized by time. YAML `step_seconds`.
    public var stepSeconds: Double? = nil
    /// Every step plays at least this many certifications per concurrent slot, so each slot is
    /// refilled several times and the step reaches a steady state. YAML `candidates_per_slot_min`.
    public var candidatesPerSlotMin: Int = CapacitySettings.candidatesPerSlotMinDefault
    /// Runs a broken step once more before stopping, and counts it broken only when the rerun breaks
    /// too: one stall of a shared machine (a disk flush, another process) does not end the search.
    /// YAML `confirm_failures`.
    public var confirmFailures: Bool = true
    /// The limits a step must keep; nil = taken from the scenario's thresholds (``CapacitySLO/derived(from:)``).
    /// YAML `slo`.
    public var slo: CapacitySLO? = nil

    public static let startConcurrencyDefault = 8
    public static let growthDefault = 2.0
    public static let maxConcurrencyDefault = 1024
    public static let candidatesPerSlotMinDefault = 3
    /// Certifications of the first step of a search sized by `step_seconds` (no previous rate yet),
    /// unless the per-slot minimum is larger.
    public static let timedFirstStepCandidates = 100
    /// Accepted `growth` values.
    public static let growthRange = 1.05...10.0
    /// Most steps a search may plan (a guard against a tiny growth over a wide range).
    public static let stepsMax = 64

    public init() {}
}

/// The service-level objective every capacity step must keep: latency percentiles a candidate
/// feels, and errors. YAML `capacity.slo: {p99_next_ms, p99_answer_ms, p99_start_ms, errors_max}`.
///
/// Owned by CertLoad's capacity-search half.
public struct CapacitySLO: Sendable, Codable, Equatable {
    /// Largest p99 of `next` in milliseconds; nil = not checked. YAML `p99_next_ms`.
    public var p99NextMilliseconds: Double? = nil
    /// Largest p99 of `answer` in milliseconds; nil = not checked. YAML `p99_answer_ms`.
    public var p99AnswerMilliseconds: Double? = nil
    /// Largest p99 of `start` in milliseconds; nil = not checked. YAML `p99_start_ms`.
    public var p99StartMilliseconds: Double? = nil
    /// Most errors in a step (all codes). YAML `errors_max`.
    public var errorsMax: Int = CapacitySLO.errorsMaxDefault

    public static let errorsMaxDefault = 0

    public init(p99NextMilliseconds: Double? = nil, p99AnswerMilliseconds: Double? = nil,
                p99StartMilliseconds: Double? = nil, errorsMax: Int = CapacitySLO.errorsMaxDefault) {
        self.p99NextMilliseconds = p99NextMilliseconds
        self.p99AnswerMilliseconds = p99AnswerMilliseconds
        self.p99StartMilliseconds = p99StartMilliseconds
        self.errorsMax = errorsMax
    }

    /// The objective a scenario implies when its `capacity` block sets none: its own p99 limits of
    /// `next`, `answer` and `start`, and its `errors_max` (0 when unset).
    public static func derived(from thresholds: Thresholds) -> CapacitySLO {
        func p99(_ operation: String) -> Double? {
            thresholds.latency.first { $0.operation == operation && $0.percentile == .p99 }?.limitMilliseconds
        }
        return CapacitySLO(p99NextMilliseconds: p99(LatencyOperation.next), p99AnswerMilliseconds: p99(LatencyOperation.answer),
                           p99StartMilliseconds: p99(LatencyOperation.start), errorsMax: thresholds.errorsMax ?? errorsMaxDefault)
    }
}
