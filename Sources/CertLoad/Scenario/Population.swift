import Foundation

/// Who the simulated candidates are. YAML section `population`.
///
/// Owned by CertLoad's scenario half.
public struct Population: Sendable, Codable, Equatable {
    /// Distribution of true abilities θ (logits). YAML `ability`.
    public var ability: AbilityDistribution = .normal(mean: 0, standardDeviation: 1)
    /// Share of candidates who need accessible challenges only, in [0, 1]. YAML `accessibility_share`.
    public var accessibilityShare: Double = 0
    /// Candidates' locale; the pool keeps the bank's challenges of that locale. YAML `locale`.
    public var locale: String = "fr-fr"

    public init() {}
}

/// Distribution of true abilities. YAML
/// `ability: {distribution: normal, mean: 0, sd: 1}` or `{distribution: uniform, min: -3, max: 3}`.
public enum AbilityDistribution: Sendable, Codable, Equatable {
    case normal(mean: Double, standardDeviation: Double)
    case uniform(minimum: Double, maximum: Double)

    /// The θ for two independent unit-interval draws `u1`, `u2` in [0, 1) (Box–Muller for the normal;
    /// only `u1` for the uniform).
    public func theta(u1: Double, u2: Double) -> Double {
        switch self {
        case .normal(let mean, let sd):
            let radius = (-2 * log(1 - u1)).squareRoot()
            return mean + sd * radius * cos(2 * Double.pi * u2)
        case .uniform(let minimum, let maximum):
            return minimum + (maximum - minimum) * u1
        }
    }
}

