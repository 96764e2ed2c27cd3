/// One calibrated item of the bank: what the selection ranks and the estimator scores.
/// Owned by the `ItemBank` that lists it.
public struct Challenge: Codable, Sendable, Hashable {
    public let id: String
    /// Competence id (one of the bank's `competences`).
    public let competence: String
    /// Tube (family of skills), e.g. "@recherche".
    public let tube: String
    /// Skill: the tube plus the level, e.g. "@recherche3".
    public let skill: String
    /// Skill level, 1...8.
    public let level: Int
    /// 2PL discrimination a > 0.
    public let discriminant: Double
    /// 2PL difficulty b, on the capacity scale.
    public let difficulty: Double
    /// Whether a candidate who needs accessibility may be served it.
    public let accessible: Bool
    public let locale: String

    public init(
        id: String, competence: String, tube: String, skill: String, level: Int,
        discriminant: Double, difficulty: Double, accessible: Bool, locale: String
    ) {
        self.id = id
        self.competence = competence
        self.tube = tube
        self.skill = skill
        self.level = level
        self.discriminant = discriminant
        self.difficulty = difficulty
        self.accessible = accessible
        self.locale = locale
    }
}
