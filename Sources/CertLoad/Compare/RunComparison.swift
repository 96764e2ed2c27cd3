import CertCore
import Foundation

/// What moved between two runs of the same scenario: candidates are joined on their key (the same seed
/// gives the same population), and every result the digest covers is compared.
///
/// A developer changes a certification version (bounds, thresholds) or a bank, runs the scenario again,
/// and reads here which candidates changed status, score, mesh level or competence levels, by how much,
/// and how the run's consistency figures moved.
///
/// ```swift
/// let comparison = try RunComparison(try ComparedRun.load(path: "baseline.csv"), try ComparedRun.load(path: "out/run"))
/// print(CompareText.render(comparison))
/// exit(comparison.hasChanges ? 3 : 0)
/// ```
///
/// Owned by CertLoad's comparison half.
public struct RunComparison: Sendable {
    /// Movers listed when the caller does not say.
    public static let topDefault = 10
    /// Most movers listed.
    public static let topMax = 1_000

    public var a: ComparedRun
    public var b: ComparedRun
    public var counts: Counts
    /// Keys of the candidates of one run only, sorted.
    public var onlyInA: [String]
    public var onlyInB: [String]
    /// Every (A status, B status) pair of the joined candidates with its count, unchanged pairs
    /// included; most frequent first.
    public var statusChanges: [StatusChange]
    /// For each compared field, how many joined candidates differ in it.
    public var fieldChanges: [FieldChange]
    /// Joined candidates that differ in at least one compared field.
    public var changedCandidates: Int
    public var meshLevels: MeshLevelMatrix
    /// B's score minus A's, for each joined candidate with a score in both, in key order.
    public var scoreDeltas: [Int]
    /// |Δscore| over the joined candidates with a score in both; nil when there is none.
    public var score: DeltaSummary?
    /// |Δθ̂| over the joined candidates with an estimated θ in both; nil when there is none.
    public var theta: DeltaSummary?
    /// The changed candidates that moved most: by |Δscore|, then |Δθ̂|, then key (see ``Mover``).
    public var movers: [Mover]

    /// True when a joined candidate differs in a compared field, or a candidate is in one run only.
    public var hasChanges: Bool { changedCandidates > 0 || !onlyInA.isEmpty || !onlyInB.isEmpty }

    public struct Counts: Sendable, Equatable {
        public var inA: Int
        public var inB: Int
        public var inBoth: Int
        public var onlyInA: Int { inA - inBoth }
        public var onlyInB: Int { inB - inBoth }
    }

    public struct StatusChange: Sendable, Equatable {
        /// Status strings as written in candidates.csv (`validated`, `rejected`, `unfinished`…).
        public var from: String
        public var to: String
        public var count: Int
        public var isChange: Bool { from != to }
    }

    public struct FieldChange: Sendable, Equatable {
        /// The field's name as reports show it.
        public var field: String
        public var count: Int
    }

    /// Statistics of |B − A| for one measure.
    public struct DeltaSummary: Sendable, Equatable {
        /// Joined candidates with the measure in both runs.
        public var count: Int
        /// Of those, the ones whose value differs.
        public var moved: Int
        public var meanAbsolute: Double
        public var maxAbsolute: Double

        init?(_ deltas: [Double]) {
            guard !deltas.isEmpty else { return nil }
            count = deltas.count
            moved = deltas.filter { $0 != 0 }.count
            meanAbsolute = deltas.reduce(0) { $0 + abs($1) } / Double(deltas.count)
            maxAbsolute = deltas.map(abs).max()!
        }
    }

    /// A joined candidate that changed, with both rows.
    public struct Mover: Sendable {
        public var a: CandidateRow
        public var b: CandidateRow
        public var candidateKey: String { a.candidateKey }
        /// B − A; nil unless both runs scored the candidate.
        public var scoreDelta: Int? { a.score.flatMap { sa in b.score.map { $0 - sa } } }
        /// B − A; nil unless both runs estimated θ.
        public var thetaDelta: Double? { a.estimatedTheta.flatMap { ta in b.estimatedTheta.map { $0 - ta } } }
        /// Names of the compared fields that differ.
        public var changedFields: [String] { ComparedField.all.filter { $0.differs(a, b) }.map(\.name) }

        /// Larger |Δscore| first, a missing Δscore after every number; then the same by |Δθ̂|; then key.
        static func ranksBefore(_ x: Mover, _ y: Mover) -> Bool {
            func descending(_ p: Double?, _ q: Double?) -> Bool? {
                switch (p, q) {
                case let (p?, q?) where p != q: return p > q
                case (.some, nil): return true
                case (nil, .some): return false
                default: return nil
                }
            }
            if let order = descending(x.scoreDelta.map { Double(abs($0)) }, y.scoreDelta.map { Double(abs($0)) }) { return order }
            if let order = descending(x.thetaDelta.map(abs), y.thetaDelta.map(abs)) { return order }
            return x.candidateKey < y.candidateKey
        }
    }

    /// Compares two runs; lists at most `top` movers (clamped to 0...``topMax``). Two runs without a
    /// candidate in common are refused (COMPARE_NO_COMMON_CANDIDATES): another seed or scenario gives
    /// other keys, and nothing can be joined.
    public init(_ a: ComparedRun, _ b: ComparedRun, top: Int = RunComparison.topDefault) throws(CertError) {
        let rowsB = Dictionary(uniqueKeysWithValues: b.candidates.map { ($0.candidateKey, $0) })
        let keysA = Set(a.candidates.map(\.candidateKey))
        let pairs = a.candidates.sorted { $0.candidateKey < $1.candidateKey }
            .compactMap { row in rowsB[row.candidateKey].map { (a: row, b: $0) } }
        guard !pairs.isEmpty else {
            throw CertError(.compareNoCommonCandidates,
                            "'\(a.name)' (\(a.candidates.count) candidates) and '\(b.name)' (\(b.candidates.count)) have no candidate "
                                + "in common: the same scenario and seed give the same candidate keys")
        }
        self.a = a
        self.b = b
        counts = Counts(inA: a.candidates.count, inB: b.candidates.count, inBoth: pairs.count)
        onlyInA = keysA.subtracting(rowsB.keys).sorted()
        onlyInB = Set(rowsB.keys).subtracting(keysA).sorted()

        var transitions: [String: [String: Int]] = [:]
        for pair in pairs { transitions[pair.a.status, default: [:]][pair.b.status, default: 0] += 1 }
        statusChanges = transitions.flatMap { from, targets in targets.map { StatusChange(from: from, to: $0.key, count: $0.value) } }
            .sorted { ($1.count, $0.from, $0.to) < ($0.count, $1.from, $1.to) }

        fieldChanges = ComparedField.all.map { field in
            FieldChange(field: field.name, count: pairs.filter { field.differs($0.a, $0.b) }.count)
        }
        let changed = pairs.filter { pair in ComparedField.all.contains { $0.differs(pair.a, pair.b) } }
        changedCandidates = changed.count
        meshLevels = try MeshLevelMatrix(pairs.map { ($0.a.meshLevel, $0.b.meshLevel) })

        scoreDeltas = pairs.compactMap { pair in pair.a.score.flatMap { sa in pair.b.score.map { $0 - sa } } }
        score = DeltaSummary(scoreDeltas.map(Double.init))
        theta = DeltaSummary(pairs.compactMap { pair in pair.a.estimatedTheta.flatMap { ta in pair.b.estimatedTheta.map { $0 - ta } } })

        let limit = min(max(top, 0), Self.topMax)
        movers = Array(changed.map { Mover(a: $0.a, b: $0.b) }.sorted(by: Mover.ranksBefore).prefix(limit))
    }

    /// Status changes only (A's status differs from B's).
    public var statusTransitions: [StatusChange] { statusChanges.filter(\.isChange) }
}

/// A result of a candidate that a comparison checks, by the name reports give it. A field added to
/// candidates.csv that should count as a change is one more entry of ``all``.
///
/// Owned by CertLoad's comparison half.
public struct ComparedField: Sendable {
    public var name: String
    public var differs: @Sendable (CandidateRow, CandidateRow) -> Bool

    public init(name: String, differs: @escaping @Sendable (CandidateRow, CandidateRow) -> Bool) {
        self.name = name
        self.differs = differs
    }

    /// The results a certification carries, in the order reports list them (the version id is
    /// left out: two runs under two versions differ there by design).
    public static let all: [ComparedField] = [
        ComparedField(name: "status") { $0.status != $1.status },
        ComparedField(name: "status reason") { a, b in
            // A file from before certification versions has no reasons: not a change.
            a.statusReason != b.statusReason && !(olderFile(a) || olderFile(b))
        },
        ComparedField(name: "score") { $0.score != $1.score },
        ComparedField(name: "mesh level") { $0.meshLevel != $1.meshLevel },
        ComparedField(name: "level") { a, b in a.level != b.level && !(olderFile(a) || olderFile(b)) },
        ComparedField(name: "competence levels") { $0.competenceLevels != $1.competenceLevels },
        ComparedField(name: "θ̂") { !same($0.estimatedTheta, $1.estimatedTheta) },
        ComparedField(name: "error rate") { !same($0.errorRate, $1.errorRate) },
    ]

    /// A row of a candidates.csv written before certification versions (no version column).
    static func olderFile(_ row: CandidateRow) -> Bool {
        row.version == nil && row.estimatedTheta != nil
    }

    /// Bit-for-bit, as the digest sees doubles (candidates.csv round-trips them exactly).
    static func same(_ x: Double?, _ y: Double?) -> Bool {
        x?.bitPattern == y?.bitPattern
    }
}
