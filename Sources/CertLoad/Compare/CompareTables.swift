import Foundation

/// The tables of a ``RunComparison``, as header and rows of text: `certsim compare` prints them and
/// compare.html draws them, so the two always say the same.
///
/// Owned by CertLoad's comparison half.
public enum CompareTables {
    public struct Table: Sendable, Equatable {
        public var header: [String]
        public var rows: [[String]]
        /// Columns aligned left (the others are numbers, aligned right).
        public var leftColumns: Int = 1
    }

    /// Candidates in each run, joined, in one run only, and changed.
    public static func counts(_ c: RunComparison) -> Table {
        Table(header: ["candidates", "count"], rows: [
            ["in A", String(c.counts.inA)], ["in B", String(c.counts.inB)], ["in both", String(c.counts.inBoth)],
            ["only in A", String(c.counts.onlyInA)], ["only in B", String(c.counts.onlyInB)],
            ["changed (of those in both)", String(c.changedCandidates)],
        ])
    }

    /// How many joined candidates differ in each compared field.
    public static func fieldChanges(_ c: RunComparison) -> Table {
        Table(header: ["changed field", "candidates"], rows: c.fieldChanges.map { [$0.field, String($0.count)] })
    }

    /// A's status → B's status, with counts; unchanged pairs included.
    public static func statuses(_ c: RunComparison) -> Table {
        Table(header: ["A status", "B status", "candidates"],
              rows: c.statusChanges.map { [$0.from, $0.to, String($0.count)] }, leftColumns: 2)
    }

    /// Rows: A's mesh level; columns: B's.
    public static func meshLevels(_ c: RunComparison) -> Table {
        let levels = c.meshLevels.levels
        return Table(header: ["A \\ B"] + levels.map(MeshLevelMatrix.label),
                     rows: levels.indices.map { i in [MeshLevelMatrix.label(levels[i])] + c.meshLevels.cells[i].map(String.init) })
    }

    /// |Δscore| and |Δθ̂| over the candidates with the measure in both runs.
    public static func deltas(_ c: RunComparison) -> Table {
        func row(_ name: String, _ delta: RunComparison.DeltaSummary?, digits: Int) -> [String] {
            guard let delta else { return [name, "0", "–", "–", "–"] }
            return [name, String(delta.count), String(delta.moved), String(format: "%.\(digits)f", delta.meanAbsolute),
                    String(format: "%.\(digits)f", delta.maxAbsolute)]
        }
        return Table(header: ["B − A", "in both", "moved", "mean |Δ|", "max |Δ|"],
                     rows: [row("score", c.score, digits: 2), row("θ̂", c.theta, digits: 4)])
    }

    /// The biggest movers, both runs' results side by side.
    public static func movers(_ c: RunComparison) -> Table {
        func int(_ value: Int?) -> String { value.map(String.init) ?? "–" }
        func theta(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }
        return Table(
            header: ["candidate", "true θ", "A status", "A score", "A level", "A θ̂", "B status", "B score", "B level", "B θ̂",
                     "Δscore", "Δθ̂"],
            rows: c.movers.map { m in
                [m.candidateKey, theta(m.a.trueTheta), m.a.status, int(m.a.score), MeshLevelMatrix.label(m.a.meshLevel),
                 theta(m.a.estimatedTheta), m.b.status, int(m.b.score), MeshLevelMatrix.label(m.b.meshLevel),
                 theta(m.b.estimatedTheta), m.scoreDelta.map { String(format: "%+d", $0) } ?? "–",
                 m.thetaDelta.map { String(format: "%+.3f", $0) } ?? "–"]
            })
    }

    /// The consistency figures of both runs and their difference, then the digests.
    public static func consistency(_ c: RunComparison) -> Table {
        let x = c.a.consistency, y = c.b.consistency
        func fixed(_ value: Double?, _ digits: Int) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        func row(_ name: String, _ p: Double?, _ q: Double?, digits: Int = 3) -> [String] {
            let difference = p.flatMap { p in q.map { $0 - p } }
            return [name, fixed(p, digits), fixed(q, digits), difference.map { String(format: "%+.\(digits)f", $0) } ?? "–"]
        }
        return Table(header: ["consistency", "A", "B", "B − A"], rows: [
            ["certifications measured", String(x.count), String(y.count), String(format: "%+d", y.count - x.count)],
            row("bias (mean θ̂ − θ)", x.bias, y.bias),
            row("RMSE", x.rmse, y.rmse),
            row("Pearson r (θ̂, θ)", x.pearson, y.pearson),
            row("mean reported error rate", x.meanReportedErrorRate, y.meanReportedErrorRate),
            row("observed error (sd of θ̂ − θ)", x.observedError, y.observedError),
            row("mesh-level agreement", x.meshAgreement, y.meshAgreement),
            ["retest pairs", String(x.retestPairs), String(y.retestPairs), String(format: "%+d", y.retestPairs - x.retestPairs)],
            row("retest mean |Δscore|", x.retestMeanAbsoluteDeltaScore, y.retestMeanAbsoluteDeltaScore, digits: 2),
            row("retest same-level share", x.retestSameLevelShare, y.retestSameLevelShare),
        ])
    }

    /// Where each run was read from, its scenario, its candidates and the source of its consistency
    /// figures (the digests are too long for a table's cell).
    public static func runs(_ c: RunComparison) -> Table {
        func source(_ run: ComparedRun) -> String {
            run.consistencyFromSummary ? "summary.json" : "recomputed from candidates.csv"
        }
        return Table(header: ["run", "read from", "scenario", "candidates", "consistency"], rows: [
            ["A", c.a.name, c.a.scenario ?? "–", String(c.a.candidates.count), source(c.a)],
            ["B", c.b.name, c.b.scenario ?? "–", String(c.b.candidates.count), source(c.b)],
        ], leftColumns: 5)
    }
}
