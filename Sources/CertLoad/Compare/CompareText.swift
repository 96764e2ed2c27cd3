import Foundation

/// The plain text `certsim compare` prints on stdout: the runs, the counts, the status changes, the
/// mesh-level confusion matrix, the Δscore and Δθ̂ figures, the biggest movers and the consistency
/// figures side by side, then one result line.
///
/// ```text
/// A  out/before  (scenario regression-eap, N candidates, digest …)
/// B  out/after  (scenario regression-eap, N candidates, digest …)
/// candidates: N in both, 0 only in A, 0 only in B
/// changed: K of N (status …, score …, mesh level …, competence levels …, θ̂ …, error rate …)
///
/// status, A → B
///   A status   B status   candidates
///   validated  validated         …
/// …
/// result: K candidates changed
/// ```
///
/// Owned by CertLoad's comparison half.
public enum CompareText {
    /// Keys listed for the candidates of one run only; the rest are counted.
    public static let keysListedMax = 10

    public static func render(_ c: RunComparison) -> String {
        var lines: [String] = []
        for (letter, run) in [("A", c.a), ("B", c.b)] {
            let scenario = run.scenario.map { "scenario \($0), " } ?? ""
            lines.append("\(letter)  \(run.name)  (\(scenario)\(run.candidates.count) candidates, digest \(run.digest))")
        }
        lines.append("candidates: \(c.counts.inBoth) in both, \(c.counts.onlyInA) only in A, \(c.counts.onlyInB) only in B")
        if !c.onlyInA.isEmpty { lines.append("  only in A: " + listed(c.onlyInA)) }
        if !c.onlyInB.isEmpty { lines.append("  only in B: " + listed(c.onlyInB)) }
        let fields = c.fieldChanges.filter { $0.count > 0 }.map { "\($0.field) \($0.count)" }
        lines.append("changed: \(c.changedCandidates) of \(c.counts.inBoth)"
                     + (fields.isEmpty ? "" : " (" + fields.joined(separator: ", ") + ")"))

        lines.append("")
        lines.append("status, A → B")
        lines += table(CompareTables.statuses(c))
        lines.append("")
        lines.append("mesh level, rows A, columns B")
        lines += table(CompareTables.meshLevels(c))
        lines.append("")
        lines += table(CompareTables.deltas(c), indent: "")
        lines.append("")
        if c.movers.isEmpty {
            lines.append("movers: none")
        } else {
            lines.append("top \(c.movers.count) movers, by |Δscore| then |Δθ̂|")
            lines += table(CompareTables.movers(c))
        }
        lines.append("")
        lines += table(CompareTables.consistency(c), indent: "")
        if !c.a.consistencyFromSummary || !c.b.consistencyFromSummary {
            let recomputed = [("A", c.a), ("B", c.b)].filter { !$0.1.consistencyFromSummary }.map(\.0).joined(separator: " and ")
            lines.append("(\(recomputed): recomputed from candidates.csv, no summary.json)")
        }
        lines.append("digests " + (c.a.digest == c.b.digest ? "equal" : "differ"))
        lines.append(resultLine(c))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `result: no change`, or what changed in one line.
    public static func resultLine(_ c: RunComparison) -> String {
        guard c.hasChanges else { return "result: no change" }
        var parts = ["\(c.changedCandidates) candidate\(c.changedCandidates == 1 ? "" : "s") changed"]
        if c.counts.onlyInA > 0 { parts.append("\(c.counts.onlyInA) only in A") }
        if c.counts.onlyInB > 0 { parts.append("\(c.counts.onlyInB) only in B") }
        return "result: " + parts.joined(separator: ", ")
    }

    static func listed(_ keys: [String]) -> String {
        let shown = keys.prefix(keysListedMax).joined(separator: ", ")
        return keys.count > keysListedMax ? shown + " … (\(keys.count - keysListedMax) more)" : shown
    }

    /// Columns padded to their widest cell; the first `leftColumns` aligned left, the rest right.
    static func table(_ table: CompareTables.Table, indent: String = "  ") -> [String] {
        let all = [table.header] + table.rows
        let widths = table.header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column < table.leftColumns ? text + padding : padding + text
            }
            return indent + cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
