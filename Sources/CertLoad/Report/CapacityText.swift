import Foundation

/// The plain text a capacity search prints on stdout: the step table, the knee line, and what the
/// knee means for the scenario's day (peak, headroom, centres one daemon holds).
///
/// Owned by CertLoad's report half.
///
/// ```text
/// step  concurrency  certifications  answers/s  p99 next ms  p99 answer ms  errors  result
///    1            8              24     1520.4         1.02           2.30       0  pass
/// …
/// knee: step 4, concurrency 64, 5210.3 answers/s sustained within the objective (p99 next ≤ 20 ms, …)
/// ```
public enum CapacityText {
    public static let header = "step  concurrency  certifications  answers/s  p99 next ms  p99 answer ms  errors  result"

    public static func render(_ summary: Summary) -> String {
        var lines = ["capacity search: scenario \(summary.scenario)  seed \(summary.seed)  transport \(summary.transport)", header]
        let steps = summary.capacitySearch ?? []
        for (index, step) in steps.enumerated() { lines.append(row(step, number: index + 1)) }
        guard let result = summary.capacity else { return lines.joined(separator: "\n") + "\n" }
        lines.append("objective: " + objective(result.slo))
        if let kneeStep = result.kneeStep, let concurrency = result.kneeConcurrency, let rate = result.kneeAnswersPerSecond {
            lines.append(String(format: "knee: step %d, concurrency %d, %.1f answers/s sustained within the objective", kneeStep, concurrency, rate)
                + (result.brokenStep.map { "; broken at step \($0)" } ?? "; never broken up to max_concurrency (the knee is at least this)"))
        } else {
            lines.append("knee: none — the first step already broke the objective; lower start_concurrency")
        }
        lines.append(String(format: "scenario peak: %d candidates at once (%d a centre), %.1f s per answer, %.1f answers/s",
                            result.peakConcurrentCandidates, result.peakConcurrentCandidatesPerCentre, result.secondsPerAnswer,
                            result.peakAnswersPerSecond))
        if let equivalent = result.equivalentCandidates, let headroom = result.headroom, let centres = result.centres {
            lines.append(String(format: "headroom: ×%.2f the scenario's peak; one daemon holds %d candidates at once, %d centres like the scenario's",
                                headroom, equivalent, centres))
        }
        lines.append(result.found ? "result: knee found" : "result: FAIL (no knee)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One step as a table row.
    static func row(_ step: CapacityStep, number: Int) -> String {
        func ms(_ value: UInt64?) -> String { value.map { String(format: "%.2f", Double($0) / 1000) } ?? "–" }
        var text = pad(String(number), 4) + "  " + pad(SVGChart.format(step.load), 11) + "  "
            + pad(step.candidates.map(String.init) ?? "–", 14) + "  " + pad(String(format: "%.1f", step.answersPerSecond), 9) + "  "
            + pad(ms(step.p99NextMicroseconds), 11) + "  " + pad(ms(step.p99AnswerMicroseconds), 13) + "  "
            + pad(String(step.errors), 6) + "  " + (step.passed ? "pass" : "FAIL")
        if let failures = step.failures, !failures.isEmpty { text += " (" + failures.joined(separator: "; ") + ")" }
        if (step.attempts ?? 1) > 1 { text += step.passed ? " (passed on its rerun)" : " (confirmed by a rerun)" }
        return text
    }

    /// The line printed on stderr when a step ends.
    public static func stepLine(_ step: CapacityStep, number: Int) -> String {
        var text = String(format: "capacity step %d: %.1f answers/s", number, step.answersPerSecond)
        func ms(_ value: UInt64?) -> String { value.map { String(format: "%.2f ms", Double($0) / 1000) } ?? "–" }
        text += ", p99 next \(ms(step.p99NextMicroseconds)), p99 answer \(ms(step.p99AnswerMicroseconds)), \(step.errors) errors: "
        text += step.passed ? "pass" : "FAIL (" + (step.failures ?? []).joined(separator: "; ") + ")"
        return text
    }

    /// The objective in words, e.g. `p99 next ≤ 20 ms, p99 answer ≤ 20 ms, errors ≤ 0`.
    public static func objective(_ slo: CapacitySLO) -> String {
        var parts: [String] = []
        if let limit = slo.p99NextMilliseconds { parts.append("p99 next ≤ \(ThresholdCheck.format(limit)) ms") }
        if let limit = slo.p99AnswerMilliseconds { parts.append("p99 answer ≤ \(ThresholdCheck.format(limit)) ms") }
        if let limit = slo.p99StartMilliseconds { parts.append("p99 start ≤ \(ThresholdCheck.format(limit)) ms") }
        parts.append("errors ≤ \(slo.errorsMax)")
        return parts.joined(separator: ", ")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
