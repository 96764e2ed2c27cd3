import Foundation

/// Generates a synthetic calibrated bank on the CRCN framework, deterministically from a seed:
/// several tubes per competence, skills at levels 1–8, difficulty rising with the level,
/// discriminants lognormal around 1.2 as a real calibration spreads them, and a share of
/// non-accessible items. Used by `certsim bank generate` to produce `Scenarios/banks/`.
public enum BankGenerator {
    /// Tubes per competence are drawn in this range.
    public static let tubesPerCompetence = 3...5
    /// Median discriminant and spread (sd of its logarithm).
    public static let discriminantMedian = 1.2
    public static let discriminantLogSpread = 0.35
    /// Discriminants are kept in this range (no calibration reports values outside it).
    public static let discriminantRange = 0.3...3.5
    /// Mean difficulty of level 1, and its increase per level.
    public static let levelOneDifficulty = -3.6
    public static let difficultyPerLevel = 1.0
    /// Spread (sd) of a challenge's difficulty around its level's mean.
    public static let difficultySpread = 0.3
    /// Share of challenges a candidate needing accessibility can be served.
    public static let accessibleShare = 0.85
    public static let locale = "fr-fr"

    /// A bank of exactly `challenges` items (at least one per competence) spread evenly over
    /// the skills. The same seed always gives the same bank, byte for byte.
    public static func generate(challenges: Int, seed: UInt64) -> ItemBank {
        precondition(challenges >= Framework.crcn.count, "a bank needs at least one challenge per competence")
        var random = SeededRandom(seed: seed, SeededRandom.key("bank-generator"))
        struct Skill { let competence: String; let tube: String; let level: Int }

        // Skills, ordered so that the first ones cover every competence and every level.
        var skillsByCompetence: [[Skill]] = []
        for competence in Framework.crcn {
            let tubeCount = tubesPerCompetence.lowerBound
                + Int(random.next() % UInt64(tubesPerCompetence.count))
            var skills: [Skill] = []
            for tubeIndex in 0..<tubeCount {
                let tube = "@c\(competence.id.replacingOccurrences(of: ".", with: ""))\(String(UnicodeScalar(UInt8(97 + tubeIndex))))"
                // The first tube spans every level; the others a random contiguous range.
                let low = tubeIndex == 0 ? 1 : 1 + Int(random.next() % 3)
                let high = tubeIndex == 0 ? 8 : 6 + Int(random.next() % 3)
                for level in low...high { skills.append(Skill(competence: competence.id, tube: tube, level: level)) }
            }
            skillsByCompetence.append(skills)
        }
        var order: [Skill] = []
        let longest = skillsByCompetence.map(\.count).max() ?? 0
        for position in 0..<longest {
            for skills in skillsByCompetence where position < skills.count { order.append(skills[position]) }
        }

        var countBySkill = [Int](repeating: challenges / order.count, count: order.count)
        for index in 0..<(challenges % order.count) { countBySkill[index] += 1 }

        var items: [(skill: Skill, discriminant: Double, difficulty: Double, accessible: Bool)] = []
        for (skillIndex, skill) in order.enumerated() {
            for _ in 0..<countBySkill[skillIndex] {
                let logA = log(discriminantMedian) + discriminantLogSpread * random.nextStandardNormal()
                let discriminant = min(max(exp(logA), discriminantRange.lowerBound), discriminantRange.upperBound)
                let difficulty = levelOneDifficulty + difficultyPerLevel * Double(skill.level - 1)
                    + difficultySpread * random.nextStandardNormal()
                let accessible = random.nextUnitInterval() < accessibleShare
                items.append((skill, rounded(discriminant), rounded(difficulty), accessible))
            }
        }
        // File order: by competence, tube, level — the way a reader browses a bank.
        let competenceRank = Dictionary(uniqueKeysWithValues: Framework.crcn.enumerated().map { ($1.id, $0) })
        let sorted = items.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element.skill, rhs.element.skill)
            if l.competence != r.competence { return competenceRank[l.competence]! < competenceRank[r.competence]! }
            if l.tube != r.tube { return l.tube < r.tube }
            if l.level != r.level { return l.level < r.level }
            return lhs.offset < rhs.offset
        }.map(\.element)
        let width = max(4, String(challenges).count)
        let list = sorted.enumerated().map { index, item in
            Challenge(id: "c" + String(repeating: "0", count: max(0, width - String(index + 1).count)) + String(index + 1),
                      competence: item.skill.competence, tube: item.skill.tube,
                      skill: item.skill.tube + String(item.skill.level), level: item.skill.level,
                      discriminant: item.discriminant, difficulty: item.difficulty, accessible: item.accessible,
                      locale: locale)
        }
        do {
            return try ItemBank(version: "crcn-synthetic-seed\(seed)-n\(challenges)", competences: Framework.crcn,
                                challenges: list)
        } catch {
            preconditionFailure("generated bank is invalid: \(error)")
        }
    }

    /// Four decimals, as calibration files carry.
    private static func rounded(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000
    }
}
