import Foundation

/// Generates a synthetic calibrated bank on a competence framework (CRCN by default),
/// deterministically from a seed:
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

    /// A bank of exactly `challenges` items (at least one per competence of `framework`) spread
    /// evenly over the skills. The same seed and framework always give the same bank, byte for
    /// byte.
    ///
    /// A CRCN bank is written as it always was (same random stream, ids `c0001`…, no
    /// `competenceFramework`, no `comment`), because the shipped bank and the regression digests
    /// depend on it. Another framework's bank declares its `competenceFramework`, carries a
    /// `comment` (saying so when the framework is made up), draws from its own stream and
    /// prefixes its ids and tubes with its own letter, so that two banks of a daemon never share
    /// a challenge id.
    public static func generate(challenges: Int, seed: UInt64,
                                framework: CompetenceFramework = .crcn) -> ItemBank {
        let competences = framework.competences
        precondition(challenges >= competences.count, "a bank needs at least one challenge per competence")
        let isCRCN = framework.id == CompetenceFramework.crcn.id
        var random = isCRCN
            ? SeededRandom(seed: seed, SeededRandom.key("bank-generator"))
            : SeededRandom(seed: seed, SeededRandom.key("bank-generator"), SeededRandom.key(framework.id))
        let prefix = itemPrefix(framework: framework.id)
        struct Skill { let competence: String; let tube: String; let level: Int }

        // Skills, ordered so that the first ones cover every competence and every level.
        var skillsByCompetence: [[Skill]] = []
        for competence in competences {
            let tubeCount = tubesPerCompetence.lowerBound
                + Int(random.next() % UInt64(tubesPerCompetence.count))
            var skills: [Skill] = []
            for tubeIndex in 0..<tubeCount {
                let tube = "@\(prefix)\(competence.id.replacingOccurrences(of: ".", with: ""))\(String(UnicodeScalar(UInt8(97 + tubeIndex))))"
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
        let competenceRank = Dictionary(uniqueKeysWithValues: competences.enumerated().map { ($1.id, $0) })
        let sorted = items.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element.skill, rhs.element.skill)
            if l.competence != r.competence { return competenceRank[l.competence]! < competenceRank[r.competence]! }
            if l.tube != r.tube { return l.tube < r.tube }
            if l.level != r.level { return l.level < r.level }
            return lhs.offset < rhs.offset
        }.map(\.element)
        let width = max(4, String(challenges).count)
        let list = sorted.enumerated().map { index, item in
            Challenge(id: prefix + String(repeating: "0", count: max(0, width - String(index + 1).count)) + String(index + 1),
                      competence: item.skill.competence, tube: item.skill.tube,
                      skill: item.skill.tube + String(item.skill.level), level: item.skill.level,
                      discriminant: item.discriminant, difficulty: item.difficulty, accessible: item.accessible,
                      locale: locale)
        }
        do {
            let version = "\(framework.id)-synthetic-seed\(seed)-n\(challenges)"
            guard !isCRCN else { return try ItemBank(version: version, competences: competences, challenges: list) }
            var comment = "Synthetic bank made by `certsim bank generate --framework \(framework.id) --seed \(seed) --challenges \(challenges)`."
            if let note = framework.comment { comment += " " + note }
            return try ItemBank(version: version, competenceFramework: framework.id, comment: comment,
                                competences: competences, challenges: list)
        } catch {
            preconditionFailure("generated bank is invalid: \(error)")
        }
    }

    /// The letter that starts a generated bank's challenge ids and tube names: `c` for CRCN (as
    /// the shipped bank has it), `e` CRCN-Édu, `d` Droit, `s` Pro Santé, `x` any other framework.
    public static func itemPrefix(framework id: String) -> String {
        ["crcn": "c", "crcn-edu": "e", "droit": "d", "pro-sante": "s"][id] ?? "x"
    }

    /// Four decimals, as calibration files carry.
    private static func rounded(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000
    }
}
