import Foundation

/// Whether a certification is delivered (DESIGN §3.5).
public enum CertificationStatus: String, Codable, Sendable, CaseIterable {
    case validated, rejected, cancelled
}

/// Why a certification is not validated (DESIGN §3.5).
public enum StatusReason: String, Codable, Sendable, CaseIterable {
    /// Fewer counted answers than the version's minimum, with an abort reason.
    case notEnoughAnswers
    /// The final capacity is below the first interval (Pix+ Édu: not eligible).
    case belowFirstInterval
    /// A version with a Pix score gave 0.
    case zeroScore
}

/// The scored outcome of one test under one certification version: what the store keeps, the
/// runner compares and `certsim score` prints. Only a validated certification carries a score,
/// a mesh level, its label and competence levels; every status keeps capacity and error rate.
public struct CertificationResult: Codable, Sendable, Equatable {
    /// Final θ̂ (after the downgrade simulation when there was one).
    public var capacity: Double
    public var errorRate: Double
    /// Nil unless validated under a version with a Pix score.
    public var pixScore: Int?
    /// Index of the capacity interval; nil unless validated.
    public var meshLevel: Int?
    /// The interval's label (`LEVEL_INDEPENDENT_3`, `LEVEL_CONFIRMED`, …); nil unless validated.
    public var level: String?
    /// Level of each competence of the bank; nil unless validated under a version with
    /// competence scoring.
    public var competenceLevels: [String: Int]?
    public var status: CertificationStatus
    public var statusReason: StatusReason?
    /// Counted answers (validated-alert answers left out).
    public var answersCount: Int
    /// The estimate after each counted real answer.
    public var history: [CapacityEstimate]
    /// The id of the certification version that scored it.
    public var version: String

    public init(capacity: Double, errorRate: Double, pixScore: Int?, meshLevel: Int?, level: String?,
                competenceLevels: [String: Int]?, status: CertificationStatus, statusReason: StatusReason?,
                answersCount: Int, history: [CapacityEstimate], version: String) {
        self.capacity = capacity
        self.errorRate = errorRate
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.level = level
        self.competenceLevels = competenceLevels
        self.status = status
        self.statusReason = statusReason
        self.answersCount = answersCount
        self.history = history
        self.version = version
    }

    private enum CodingKeys: String, CodingKey {
        case capacity, errorRate, pixScore, meshLevel, level, competenceLevels, status, statusReason, answersCount
        case history, version
    }

    /// Nulls are written, not left out: a reader sees every field of the format.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(errorRate, forKey: .errorRate)
        try container.encode(pixScore, forKey: .pixScore)
        try container.encode(meshLevel, forKey: .meshLevel)
        try container.encode(level, forKey: .level)
        try container.encode(competenceLevels, forKey: .competenceLevels)
        try container.encode(status, forKey: .status)
        try container.encode(statusReason, forKey: .statusReason)
        try container.encode(answersCount, forKey: .answersCount)
        try container.encode(history, forKey: .history)
        try container.encode(version, forKey: .version)
    }

    /// One-line, sorted-keys JSON.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Finite doubles, ints and strings always encode.
        return (try? encoder.encode(self)) ?? Data()
    }
}
