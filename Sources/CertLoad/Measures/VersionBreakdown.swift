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
