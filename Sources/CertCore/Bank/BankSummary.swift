/// What `certsim bank check` prints about a bank: counts per competence and level, and the
/// ranges of the item parameters.
public struct BankSummary: Sendable, Equatable {
    public let version: String
    public let challengeCount: Int
    public let accessibleCount: Int
    /// Challenges per competence id, then per level 1–8 (index 0 is level 1).
    public let countsByCompetence: [(competence: String, byLevel: [Int])]
    public let discriminantRange: ClosedRange<Double>
    public let difficultyRange: ClosedRange<Double>
    /// Mean difficulty per level 1–8 (nil where a level has no challenge).
    public let meanDifficultyByLevel: [Double?]

    public init(bank: ItemBank) {
        version = bank.version
        challengeCount = bank.challenges.count
        accessibleCount = bank.challenges.filter(\.accessible).count
        let levels = ItemBank.levelRange
        var counts: [String: [Int]] = [:]
        var difficultySums = [Double](repeating: 0, count: levels.count)
        var levelCounts = [Int](repeating: 0, count: levels.count)
        for challenge in bank.challenges {
            let slot = challenge.level - levels.lowerBound
            counts[challenge.competence, default: [Int](repeating: 0, count: levels.count)][slot] += 1
            difficultySums[slot] += challenge.difficulty
            levelCounts[slot] += 1
        }
        countsByCompetence = bank.competences.map { ($0.id, counts[$0.id] ?? [Int](repeating: 0, count: levels.count)) }
        let discriminants = bank.challenges.map(\.discriminant)
        let difficulties = bank.challenges.map(\.difficulty)
        discriminantRange = (discriminants.min() ?? 0)...(discriminants.max() ?? 0)
        difficultyRange = (difficulties.min() ?? 0)...(difficulties.max() ?? 0)
        meanDifficultyByLevel = zip(difficultySums, levelCounts).map { $1 == 0 ? nil : $0 / Double($1) }
    }

    public static func == (lhs: BankSummary, rhs: BankSummary) -> Bool {
        lhs.version == rhs.version && lhs.challengeCount == rhs.challengeCount
            && lhs.accessibleCount == rhs.accessibleCount
            && lhs.countsByCompetence.map(\.competence) == rhs.countsByCompetence.map(\.competence)
            && lhs.countsByCompetence.map(\.byLevel) == rhs.countsByCompetence.map(\.byLevel)
            && lhs.discriminantRange == rhs.discriminantRange && lhs.difficultyRange == rhs.difficultyRange
            && lhs.meanDifficultyByLevel == rhs.meanDifficultyByLevel
    }

    /// Plain-text table, one line per competence.
    public var text: String {
        func format(_ value: Double) -> String {
            let scaled = (value * 1000).rounded() / 1000
            return String(scaled)
        }
        var lines = ["bank \(version): \(challengeCount) challenges, \(accessibleCount) accessible, \(countsByCompetence.count) competences"]
        lines.append("competence  " + ItemBank.levelRange.map { "L\($0)".padding(5) }.joined() + "total")
        for row in countsByCompetence {
            lines.append(row.competence.padding(12) + row.byLevel.map { String($0).padding(5) }.joined()
                         + String(row.byLevel.reduce(0, +)))
        }
        lines.append("discriminant a: \(format(discriminantRange.lowerBound)) ... \(format(discriminantRange.upperBound))")
        lines.append("difficulty b:   \(format(difficultyRange.lowerBound)) ... \(format(difficultyRange.upperBound))")
        lines.append("mean b by level: " + meanDifficultyByLevel.enumerated()
            .map { "L\($0 + 1)=\($1.map(format) ?? "-")" }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
