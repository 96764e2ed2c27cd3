import Foundation

/// The short plain-text summary a run prints on stdout: throughput, latency, consistency, errors,
/// thresholds (each broken one named with its sentence).
///
/// Owned by CertLoad's report half.
public enum SummaryText {
    public static func render(_ summary: Summary) -> String {
        var lines: [String] = []
        func number(_ value: Double?, _ digits: Int = 3) -> String {
            guard let value else { return "–" }
            return String(format: "%.\(digits)f", value)
        }
        lines.append("scenario \(summary.scenario)  seed \(summary.seed)  transport \(summary.transport)  estimator \(summary.estimator)")
        lines.append(String(format: "wall %.2f s  cpu %.2f s  peak RSS %.1f MiB  simulated %.0f s",
                            summary.wallSeconds, summary.cpuSeconds, Double(summary.peakRSSBytes) / 1_048_576, summary.simulatedSeconds))
        if let perAnswer = summary.cpuMicrosecondsPerAnswer {
            var line = String(format: "cpu per answer %.1f µs", perAnswer)
            if let engine = summary.engine, let ratio = summary.cpuPerAnswerOverEngineStep {
                line += String(format: "  engine step %.0f ns (measured at the start, %d steps)  ratio %.0f×",
                               engine.stepNanoseconds, engine.steps, ratio)
            }
            lines.append(line)
        }
        let c = summary.certifications
        lines.append("certifications started \(c.started)  completed \(c.completed)  validated \(c.validated)  rejected \(c.rejected)")
        lines.append(String(format: "answers %d  %.1f answers/s  %.2f certifications/s  peak concurrent %d",
                            summary.answers, summary.answersPerSecond, summary.certificationsPerSecond, summary.peakConcurrentCandidates))
        for operation in summary.latency.keys.sorted() {
            let p = summary.latency[operation]!
            let name = operation.padding(toLength: max(8, operation.count), withPad: " ", startingAt: 0)
            lines.append("  " + name + String(format: " n=%-8llu p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms",
                                p.count,
                                Double(p.p50Microseconds) / 1000, Double(p.p90Microseconds) / 1000, Double(p.p99Microseconds) / 1000,
                                Double(p.p999Microseconds) / 1000, Double(p.maxMicroseconds) / 1000))
        }
        let k = summary.consistency
        lines.append("consistency n=\(k.count)  bias \(number(k.bias))  RMSE \(number(k.rmse))  r \(number(k.pearson))  "
                     + "reported error \(number(k.meanReportedErrorRate))  observed error \(number(k.observedError))  "
                     + "mesh agreement \(number(k.meshAgreement))")
        if k.retestPairs > 0 {
            lines.append("retest pairs \(k.retestPairs)  mean |Δscore| \(number(k.retestMeanAbsoluteDeltaScore, 1))  "
                         + "same level \(number(k.retestSameLevelShare))")
        }
        for version in summary.byVersion ?? [] {
            lines.append("  \(version.version) (\(version.framework)): \(version.certifications) certifications  "
                         + String(format: "%.2f/s", version.certificationsPerSecond)
                         + (version.framework == "CLEA"
                            ? "  acquired \(version.validated) not acquired \(version.rejected) cancelled \(version.cancelled)"
                            : "  validated \(version.validated) rejected \(version.rejected) cancelled \(version.cancelled)")
                         + "  bias \(number(version.bias))  RMSE \(number(version.rmse))  level agreement \(number(version.levelAgreement))")
        }
        for security in summary.itemSecurityByBank ?? summary.itemSecurity.map({ [$0] }) ?? [] {
            let maxRate = security.maxExposureRate.map { number($0) + (security.maxExposureChallengeId.map { " (\($0))" } ?? "") } ?? "–"
            let bank = summary.itemSecurityByBank == nil ? "" : " [\(security.bank ?? "?")]"
            lines.append("item security\(bank) n=\(security.certifications)  bank \(security.bankChallenges)  "
                         + "mean length \(number(security.meanTestLength, 2))  max exposure \(maxRate)  "
                         + "never given \(number(security.neverGivenShare))  "
                         + "above \(ThresholdCheck.format(security.exposureThreshold)) \(number(security.aboveThresholdShare))")
            let overlap = security.overlap
            lines.append("test overlap\(bank) \(number(overlap.direct)) (\(overlap.pairs) pairs\(overlap.sampled ? " sampled" : ""))  "
                         + "Barrada \(number(overlap.barrada))")
        }
        if let deciles = k.deciles, !deciles.isEmpty {
            lines.append("by decile of θ (bias/RMSE): " + deciles.map { "\($0.decile): \(number($0.bias, 2))/\(number($0.rmse, 2))" }
                .joined(separator: "  "))
        }
        let errors = summary.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.append("errors \(summary.errorsTotal)" + (errors.isEmpty ? "" : "  " + errors.joined(separator: " ")))
        lines.append("digest \(summary.digest)")
        for outcome in summary.thresholds {
            lines.append("threshold \(outcome.name): \(outcome.passed ? "pass" : "FAIL") (limit \(outcome.limit), measured \(outcome.measured))")
        }
        for failure in ThresholdCheck.failures(summary.thresholds) { lines.append("broken: \(failure)") }
        lines.append(summary.passed ? "result: pass" : "result: FAIL")
        return lines.joined(separator: "\n") + "\n"
    }
}
