/// A capacity estimate θ̂ with its error rate (standard error), after some answers.
public struct CapacityEstimate: Codable, Sendable, Equatable {
    public var capacity: Double
    public var errorRate: Double

    public init(capacity: Double, errorRate: Double) {
        self.capacity = capacity
        self.errorRate = errorRate
    }
}
