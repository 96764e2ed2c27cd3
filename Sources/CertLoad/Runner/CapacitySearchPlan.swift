import Foundation

/// The pure arithmetic of a capacity search, separate from the runs so it can be checked by hand:
/// the step schedule, the size of a step, a step's verdict against the objective, the choice of the
/// knee, and the scenario's own peak (what the knee is compared with).
///
/// Owned by CertLoad's capacity-search half.
///
/// ```swift
/// CapacityPlan.concurrencies(start: 8, growth: 2, max: 100)      // [8, 16, 32, 64, 100]
/// let knee = CapacityPlan.knee(steps)                            // last step of the passing prefix
/// ```
public enum CapacityPlan {
    /// The step concurrencies: `start`, then each previous one × `growth` rounded to the nearest
    /// whole number (at least one more than the previous), while at most `max`; `max` itself closes
    /// the schedule when the factor overshoots it. Empty when `start > max` or `start < 1`.
    public static func concurrencies(start: Int, growth: Double, max: Int) -> [Int] {
        guard start >= 1, start <= max, growth > 1, growth.isFinite else { return start >= 1 && start <= max ? [start] : [] }
        var values = [start]
        while let last = values.last, last < max {
            let grown = (Double(last) * growth).rounded()
            let next = grown >= Double(max) ? max : Swift.max(last + 1, Int(grown))
            values.append(next)
        }
        return values
    }

    /// Certifications a step at `concurrency` plays: at least `candidatesPerSlotMin × concurrency`;
    /// with `stepCandidates` at least that; with `stepSeconds`, enough to last that long at the
    /// previous step's certifications a second (the first step, with no previous rate, plays
    /// ``CapacitySettings/timedFirstStepCandidates`` or the minimum, whichever is larger).
    public static func stepCandidates(concurrency: Int, settings: CapacitySettings,
                                      previousCertificationsPerSecond: Double?) -> Int {
        let minimum = settings.candidatesPerSlotMin * concurrency
        if let fixed = settings.stepCandidates { return Swift.max(minimum, fixed) }
        if let seconds = settings.stepSeconds {
            guard let rate = previousCertificationsPerSecond, rate.isFinite, rate > 0 else {
                return Swift.max(minimum, CapacitySettings.timedFirstStepCandidates)
            }
            let sized = (seconds * rate).rounded(.up)
            return sized >= Double(DayShape.countMax) ? DayShape.countMax : Swift.max(minimum, Int(sized))
        }
        return minimum
    }

    /// The sentences of the limits a step broke (empty: it kept the objective). A latency limit whose
    /// operation was never timed is broken: a limit nobody measured is not met.
    public static func verdict(p99NextMicroseconds: UInt64?, p99AnswerMicroseconds: UInt64?,
                               p99StartMicroseconds: UInt64?, errors: Int, slo: CapacitySLO) -> [String] {
        var failures: [String] = []
        func check(_ name: String, _ measured: UInt64?, _ limitMilliseconds: Double?) {
            guard let limitMilliseconds else { return }
            let limit = ThresholdCheck.format(limitMilliseconds)
            guard let measured else {
                failures.append("p99 \(name) not measured (limit \(limit) ms)")
                return
            }
            let milliseconds = Double(measured) / 1000
            if milliseconds > limitMilliseconds {
                failures.append("p99 \(name) \(String(format: "%.2f", milliseconds)) ms > \(limit) ms")
            }
        }
        check(LatencyOperation.next, p99NextMicroseconds, slo.p99NextMilliseconds)
        check(LatencyOperation.answer, p99AnswerMicroseconds, slo.p99AnswerMilliseconds)
        check(LatencyOperation.start, p99StartMicroseconds, slo.p99StartMilliseconds)
        if errors > slo.errorsMax { failures.append("\(errors) errors > \(slo.errorsMax)") }
        return failures
    }

    /// Which step is the knee, and why the search stopped.
    public struct Knee: Sendable, Equatable {
        /// 0-based index of the knee step: the last step of the passing prefix; nil when the first
        /// step already broke the objective.
        public var stepIndex: Int?
        /// 0-based index of the first step that broke the objective; nil when none did.
        public var brokenStepIndex: Int?
        /// Highest answers a second over the passing prefix (noise can make a later passing step a
        /// little slower than an earlier one); nil without a passing step.
        public var answersPerSecond: Double?
        /// Highest load of the passing prefix (the knee step's, loads rising); nil without one.
        public var load: Double?
    }

    /// The knee of a search: the steps up to the first broken one form the passing prefix; the knee
    /// is its last step. Steps after the first broken one never count, even if they passed (a pass
    /// after a failure is noise, not capacity).
    public static func knee(_ steps: [CapacityStep]) -> Knee {
        let broken = steps.firstIndex { !$0.passed }
        let prefix = steps[..<(broken ?? steps.count)]
        guard !prefix.isEmpty else { return Knee(stepIndex: nil, brokenStepIndex: broken, answersPerSecond: nil, load: nil) }
        return Knee(stepIndex: prefix.count - 1, brokenStepIndex: broken,
                    answersPerSecond: prefix.map(\.answersPerSecond).max(), load: prefix.map(\.load).max())
    }

    /// The scenario's own peak, from its day shape and its candidates' think time.
    public struct Peak: Sendable, Equatable {
        /// Waves in progress at once at the peak: ⌈session length / wave spacing⌉, at most the waves of the day.
        public var overlappingWaves: Int
        /// Candidates answering at once at the peak: overlapping waves × sessions a wave × the largest
        /// session (at most the day's total).
        public var concurrentCandidates: Int
        /// The same for one centre: overlapping waves × sessions a centre × the largest session.
        public var concurrentCandidatesPerCentre: Int
        /// Mean think time of one question (the clamped log-normal's mean): a candidate's seconds per answer.
        public var secondsPerAnswer: Double
        /// Answers a second at the peak: concurrent candidates / seconds per answer.
        public var answersPerSecond: Double
    }

    public static func peak(day: DayShape, thinkTime: ThinkTime) -> Peak {
        let largestSession = day.candidatesPerSession.maximum
        let waves: Int
        if let total = day.candidates {
            // Waves are derived from the total: at least this many are needed at the largest size.
            let perWave = Swift.max(1, day.sessionsPerWave * largestSession)
            waves = Swift.max(1, (total + perWave - 1) / perWave)
        } else {
            waves = day.waves
        }
        let spacingMinutes = day.waveSpacingMinutes
        let overlapping = spacingMinutes <= 0
            ? waves
            : Swift.min(waves, Swift.max(1, Int((day.sessionDurationMinutes / spacingMinutes).rounded(.up))))
        var concurrent = overlapping * day.sessionsPerWave * largestSession
        if let total = day.candidates { concurrent = Swift.min(concurrent, total) }
        let perCentre = overlapping * day.sessionsPerCentre * largestSession
        let secondsPerAnswer = clampedLogNormalMean(median: thinkTime.medianSeconds, sigma: thinkTime.sigma,
                                                    minimum: thinkTime.minimumSeconds, maximum: thinkTime.maximumSeconds)
        return Peak(overlappingWaves: overlapping, concurrentCandidates: concurrent, concurrentCandidatesPerCentre: perCentre,
                    secondsPerAnswer: secondsPerAnswer,
                    answersPerSecond: secondsPerAnswer > 0 ? Double(concurrent) / secondsPerAnswer : .infinity)
    }

    /// Mean of `min(maximum, max(minimum, median · e^(σZ)))` for a standard normal Z, in closed form:
    /// a·Φ(α) + b·(1 − Φ(β)) + median·e^(σ²/2)·(Φ(β − σ) − Φ(α − σ)), with α = ln(a/median)/σ and
    /// β = ln(b/median)/σ.
    public static func clampedLogNormalMean(median: Double, sigma: Double, minimum: Double, maximum: Double) -> Double {
        guard median > 0, sigma > 0 else { return Swift.min(maximum, Swift.max(minimum, median)) }
        func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        let alpha = minimum > 0 ? log(minimum / median) / sigma : -Double.infinity
        let beta = maximum.isFinite ? log(maximum / median) / sigma : Double.infinity
        let below = minimum > 0 ? minimum * phi(alpha) : 0
        let above = maximum.isFinite ? maximum * (1 - phi(beta)) : 0
        let inside = median * exp(sigma * sigma / 2) * (phi(beta - sigma) - phi(alpha - sigma))
        return below + above + inside
    }

    /// What the knee means for a day like the scenario's.
    public struct Sizing: Sendable, Equatable {
        /// Candidates of the scenario's behaviour the knee's answer rate serves at once (Little's law:
        /// answers a second × seconds per answer).
        public var equivalentCandidates: Int
        /// Knee answers a second / the scenario's peak answers a second.
        public var headroom: Double
        /// Centres like the scenario's one daemon holds at their peak: ⌊equivalent candidates /
        /// peak candidates a centre⌋.
        public var centres: Int
    }

    public static func sizing(kneeAnswersPerSecond: Double, peak: Peak) -> Sizing {
        let equivalent = kneeAnswersPerSecond * peak.secondsPerAnswer
        let equivalentCandidates = equivalent.isFinite ? Int(equivalent.rounded(.down)) : Int.max
        let headroom = peak.answersPerSecond > 0 ? kneeAnswersPerSecond / peak.answersPerSecond : .infinity
        let centres = peak.concurrentCandidatesPerCentre > 0 ? equivalentCandidates / peak.concurrentCandidatesPerCentre : 0
        return Sizing(equivalentCandidates: equivalentCandidates, headroom: headroom, centres: centres)
    }
}
