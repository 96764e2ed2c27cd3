import CertCore
import Foundation

/// What a broken digest threshold adds when the scenario names a baseline (`thresholds.baseline`,
/// the candidates.csv the digest was pinned from): a short account of what moved against it, and the
/// `certsim compare` command that shows the rest. A digest alone only says that something changed.
///
/// ```text
/// digest: the run's digest … differs from the pinned …; the per-candidate results changed. Against the
/// baseline B: status validated → rejected 1; 3 of 100 scores moved, mean |Δscore| 0.25 (max 12);
/// 4 of 100 candidates changed; to see what moved: certsim compare B out/eap
/// ```
///
/// Owned by CertLoad's comparison half; the runner calls it after checking the thresholds.
public enum BaselineCheck {
    /// Status changes named in the sentence; the others are counted.
    public static let statusChangesListedMax = 4

    /// `outcomes` with the digest's failure sentence extended, when the digest broke; unchanged
    /// otherwise. A baseline that cannot be read or joined is said so in the sentence: the run's
    /// result does not depend on it.
    public static func explain(_ outcomes: [ThresholdOutcome], candidates: [CandidateRow], baseline: String,
                               outDirectory: String?) -> [ThresholdOutcome] {
        outcomes.map { outcome in
            guard outcome.name == "digest", !outcome.passed, let failure = outcome.failure else { return outcome }
            var explained = outcome
            explained.failure = failure + ". " + sentence(candidates: candidates, baseline: baseline, outDirectory: outDirectory)
            return explained
        }
    }

    /// What moved against the baseline, then the command to compare.
    static func sentence(candidates: [CandidateRow], baseline: String, outDirectory: String?) -> String {
        let command = outDirectory.map { "certsim compare \(baseline) \($0)" }
            ?? "run again with --out DIR, then certsim compare \(baseline) DIR"
        let comparison: RunComparison
        do {
            comparison = try RunComparison(try ComparedRun.load(path: baseline),
                                           try ComparedRun(name: "this run", candidates: candidates), top: 0)
        } catch {
            return "The baseline cannot be compared (\(error)); regenerate it with scripts/update-baselines.sh"
        }
        guard comparison.hasChanges else {
            // Equal rows give equal digests: the baseline is not the run the digest was pinned from.
            return "The run equals the baseline \(baseline) (digest \(comparison.a.digest)), so the pinned digest is not the "
                + "baseline's: pin the baseline's digest, or regenerate the baseline with scripts/update-baselines.sh"
        }
        return "Against the baseline \(baseline): \(whatMoved(comparison)); to see what moved: \(command)"
    }

    /// Status changes, moved scores and mean |Δscore|, and the candidates of one run only, in a line.
    public static func whatMoved(_ c: RunComparison) -> String {
        var parts: [String] = []
        let transitions = c.statusTransitions
        if transitions.isEmpty {
            parts.append("no status changed")
        } else {
            var listed = transitions.prefix(statusChangesListedMax).map { "\($0.from) → \($0.to) \($0.count)" }
            if transitions.count > statusChangesListedMax { listed.append("\(transitions.count - statusChangesListedMax) more kinds") }
            parts.append("status " + listed.joined(separator: ", "))
        }
        if let score = c.score {
            parts.append("\(score.moved) of \(score.count) scores moved, "
                         + String(format: "mean |Δscore| %.2f (max %.0f)", score.meanAbsolute, score.maxAbsolute))
        }
        if c.counts.onlyInA > 0 { parts.append("\(c.counts.onlyInA) only in the baseline") }
        if c.counts.onlyInB > 0 { parts.append("\(c.counts.onlyInB) only in this run") }
        parts.append("\(c.changedCandidates) of \(c.counts.inBoth) candidates changed")
        return parts.joined(separator: "; ")
    }
}
