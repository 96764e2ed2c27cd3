import Foundation

/// Whether a certification is delivered.
public enum CertificationStatus: String, Codable, Sendable {
    case validated, rejected
}

/// The scored outcome of one test: what the store keeps, the runner compares and
/// `certsim score` prints.
public struct CertificationResult: Codable, Sendable, Equatable {
    /// Final θ̂ (after the downgrade simulation when there was one).
    public var capacity: Double
    public var errorRate: Double
    public var pixScore: Int
    public var meshLevel: Int
    /// Level 0–7 of each competence of the bank's framework.
    public var competenceLevels: [String: Int]
    public var status: CertificationStatus
    /// Counted answers (validated-alert answers left out).
    public var answersCount: Int
    /// The estimate after each counted real answer.
    public var history: [CapacityEstimate]

    public init(capacity: Double, errorRate: Double, pixScore: Int, meshLevel: Int, competenceLevels: [String: Int],
                status: CertificationStatus, answersCount: Int, history: [CapacityEstimate]) {
        self.capacity = capacity
        self.errorRate = errorRate
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.competenceLevels = competenceLevels
        self.status = status
        self.answersCount = answersCount
        self.history = history
    }

    /// One-line, sorted-keys JSON.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Finite doubles, ints and strings always encode.
        return (try? encoder.encode(self)) ?? Data()
    }
}
