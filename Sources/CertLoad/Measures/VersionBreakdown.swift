import CertCore
import Foundation

/// Throughput and consistency of one certification version on a mixed day (DESIGN §3.8, §7).
/// A certification without a Pix score (Pix+) is measured in levels: the share certified at the
/// level of its true θ, and the confusion matrix of (level of the true θ → certified level).
///
/// Owned by CertLoad's measures; computed from the run's rows.
public struct VersionBreakdown: Sendable, Codable, Equatable {
    public var version: String
    public var framework: String
    /// Tests with a result (validated, rejected or cancelled).
    public var certifications: Int
    public var validated: Int
    public var rejected: Int
    public var cancelled: Int
    public var rejectionRate: Double?
    public var cancellationRate: Double?
    public var certificationsPerSecond: Double
    /// θ̂ − θ over validated tests.
    public var bias: Double?
    public var rmse: Double?
    /// Share of validated or rejected tests certified at the level of their true θ (rejected
    /// counts as "below the first level").
    public var levelAgreement: Double?
    /// The level labels, "none" first (below the first interval, or rejected), then the
    /// version's intervals in order.
    public var levels: [String]
    /// `confusion[t][c]`: tests whose true θ is at level `levels[t]` and certified at `levels[c]`.
    public var confusion: [[Int]]

    /// One breakdown per version that has rows, in the order `versions` lists them.
    public static func make(rows: [CandidateRow], versions: [CertificationVersion], wallSeconds: Double)
        -> [VersionBreakdown]
    {
        let wall = max(wallSeconds, 1e-9)
        return versions.compactMap { version -> VersionBreakdown? in
            let mine = rows.filter { $0.version == version.id }
            guard !mine.isEmpty else { return nil }
            let validated = mine.filter { $0.status == "validated" }
            let rejected = mine.filter { $0.status == "rejected" }.count
            let cancelled = mine.filter { $0.status == "cancelled" }.count
            let errors = validated.compactMap { row in row.estimatedTheta.map { $0 - row.trueTheta } }
            let bias = errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
            let rmse = errors.isEmpty ? nil : (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot()
            let labels = ["none"] + version.intervals.map(\.label)
            var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
            var agreeing = 0
            var judged = 0
            for row in mine where row.status == "validated" || row.status == "rejected" {
                let trueIndex = row.meshLevelFromTrueTheta + 1
                let certifiedIndex = row.status == "validated" ? (row.meshLevel ?? -1) + 1 : 0
                guard confusion.indices.contains(trueIndex), confusion.indices.contains(certifiedIndex) else { continue }
                confusion[trueIndex][certifiedIndex] += 1
                judged += 1
                if trueIndex == certifiedIndex { agreeing += 1 }
            }
            let total = validated.count + rejected + cancelled
            return VersionBreakdown(
                version: version.id, framework: version.framework.rawValue, certifications: total,
                validated: validated.count, rejected: rejected, cancelled: cancelled,
                rejectionRate: total > 0 ? Double(rejected) / Double(total) : nil,
                cancellationRate: total > 0 ? Double(cancelled) / Double(total) : nil,
                certificationsPerSecond: Double(total) / wall, bias: bias, rmse: rmse,
                levelAgreement: judged > 0 ? Double(agreeing) / Double(judged) : nil, levels: labels,
                confusion: confusion)
        }
    }
}

extension VersionBreakdown {
    /// CléA on a mixed day (DESIGN §3.8): no test of its own, so its "certifications" are the
    /// core results of the candidates enrolled in it; `validated` counts those who acquired it
    /// (validated with at least `minimumEarnedPix`), `rejected` the others with a result. Level
    /// agreement compares acquisition with what the true θ's Pix score would give; the levels are
    /// "none" (not acquired) and "CLEA" (acquired). θ̂ errors are the core version's.
    public static func clea(_ clea: CleaVersion, core: CertificationVersion, rows: [CandidateRow], wallSeconds: Double)
        -> VersionBreakdown?
    {
        let mine = rows.filter { $0.version == core.id && CertificationStatus(rawValue: $0.status) != nil }
        guard !mine.isEmpty else { return nil }
        func acquired(_ row: CandidateRow) -> Bool { row.status == "validated" && (row.score ?? -1) >= clea.minimumEarnedPix }
        var confusion = [[0, 0], [0, 0]]
        for row in mine where row.status != "cancelled" {
            let trueAcquired = (Scoring.grade(capacity: row.trueTheta, version: core).pixScore ?? -1) >= clea.minimumEarnedPix
            confusion[trueAcquired ? 1 : 0][acquired(row) ? 1 : 0] += 1
        }
        let judged = confusion.flatMap { $0 }.reduce(0, +)
        let acquiredCount = mine.filter(acquired).count
        let cancelled = mine.filter { $0.status == "cancelled" }.count
        let rejected = mine.count - acquiredCount - cancelled
        return VersionBreakdown(
            version: clea.id, framework: CertificationFramework.clea.rawValue, certifications: mine.count,
            validated: acquiredCount, rejected: rejected, cancelled: cancelled,
            rejectionRate: Double(rejected) / Double(mine.count), cancellationRate: Double(cancelled) / Double(mine.count),
            certificationsPerSecond: Double(mine.count) / max(wallSeconds, 1e-9), bias: nil, rmse: nil,
            levelAgreement: judged > 0 ? Double(confusion[0][0] + confusion[1][1]) / Double(judged) : nil,
            levels: ["none", "CLEA"], confusion: confusion)
    }
}
