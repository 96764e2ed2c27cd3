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
    /// A mixed day's groups; empty: one group, this population, on the scenario's version.
    public var groups: [PopulationGroup] = []

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


/// One group of a mixed certification day (DESIGN §3.8, §5): pupils on the core certification,
/// teachers on core + Pix+ Édu, lawyers on Pix+ Droit… Each session of the day belongs to one
/// group, drawn by the groups' shares (a room holds one kind of candidate); its candidates run
/// the group's version (and complementary one), settings, abilities and behaviour. YAML
/// `population: {groups: [{name, share, version, complementary, algorithm, ability,
/// complementary_ability, accessibility_share, locale, behaviour}, …]}`.
public struct PopulationGroup: Sendable, Codable, Equatable {
    public var name: String
    /// Share of the day's sessions, in (0, 1]; the shares of a scenario's groups add up to 1.
    public var share: Double
    /// Certification version file of the group's sessions (relative to the scenario file); nil:
    /// the scenario's `version`.
    public var version: String?
    /// Version file of the complementary certification every candidate of the group is also
    /// enrolled in (a second test, or CléA which runs none); nil: none.
    public var complementary: String?
    /// Algorithm overrides on top of the scenario's, for the group's version.
    public var algorithm: [String: AlgorithmValue] = [:]
    public var ability: AbilityDistribution
    /// True abilities on the complementary test's scale; nil: the same θ as the first test.
    public var complementaryAbility: AbilityDistribution?
    public var accessibilityShare: Double
    public var locale: String
    public var behaviour: Behaviour

    public init(name: String, share: Double, population: Population, behaviour: Behaviour) {
        self.name = name
        self.share = share
        self.ability = population.ability
        self.accessibilityShare = population.accessibilityShare
        self.locale = population.locale
        self.behaviour = behaviour
    }

    /// Largest number of groups.
    public static let countMax = 16
}
