import CertCore

/// The mesh-level confusion matrix of two runs: how many joined candidates were at level i in run A
/// and at level j in run B. A candidate without a mesh level (rejected, unfinished) is at `nil`,
/// shown as "none".
///
/// ```swift
/// let matrix = try MeshLevelMatrix([(3, 3), (3, 4), (nil, 2)])
/// matrix.count(from: 3, to: 4)   // 1
/// matrix.levels                  // [2, 3, 4, nil]
/// ```
///
/// Owned by CertLoad's comparison half.
public struct MeshLevelMatrix: Sendable, Equatable {
    /// Every level from the lowest to the highest seen in either run (no gaps, so the table reads
    /// as a scale), then `nil`.
    public var levels: [Int?]
    /// `cells[i][j]`: candidates at `levels[i]` in A and `levels[j]` in B.
    public var cells: [[Int]]

    /// Most levels a matrix spans (mesh levels are 0–7); a file with a wider range is refused
    /// (REPORT_BAD_FILE) rather than drawn as a huge table.
    public static let levelsMax = 64

    public init(_ pairs: [(a: Int?, b: Int?)]) throws(CertError) {
        let seen = pairs.flatMap { [$0.a, $0.b] }.compactMap { $0 }
        if let low = seen.min(), let high = seen.max() {
            guard high - low < Self.levelsMax else {
                throw CertError(.reportBadFile, "mesh levels range from \(low) to \(high); a comparison spans at most \(Self.levelsMax)")
            }
            levels = (low...high).map { Optional($0) } + [nil]
        } else {
            levels = [nil]
        }
        cells = Array(repeating: Array(repeating: 0, count: levels.count), count: levels.count)
        for pair in pairs {
            cells[index(pair.a)][index(pair.b)] += 1
        }
    }

    /// Candidates at `from` in A and `to` in B (0 for a level outside the matrix).
    public func count(from: Int?, to: Int?) -> Int {
        guard levels.contains(from), levels.contains(to) else { return 0 }
        return cells[index(from)][index(to)]
    }

    /// Candidates at the same level (or without one) in both runs.
    public var unchanged: Int { levels.indices.reduce(0) { $0 + cells[$1][$1] } }

    /// The largest cell (0 for an empty matrix).
    public var largestCell: Int { cells.flatMap { $0 }.max() ?? 0 }

    /// "none" for a candidate without a mesh level, else the level's number.
    public static func label(_ level: Int?) -> String { level.map(String.init) ?? "none" }

    func index(_ level: Int?) -> Int {
        guard let level, let first = levels.first ?? nil else { return levels.count - 1 }
        return level - first
    }
}
