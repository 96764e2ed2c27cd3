import Foundation

/// The next-challenge rules of DESIGN §3.4 as pure functions over bank indices, shared by the
/// live `AdaptiveTest` and the downgrade simulation of `Scoring`.
public enum ChallengeSelection {
    /// How many of the most informative challenges the pick chooses among.
    public static let rankedChallengesMax = 5

    /// Bank indices of the downgrade simulation's pool (DESIGN §3.5): every challenge of the bank
    /// whatever its locale or accessibility, minus skills with a validated live alert.
    public static func pool(bank: ItemBank, excludedSkills: Set<String>) -> [Int] {
        bank.challenges.indices.filter { !excludedSkills.contains(bank.challenges[$0].skill) }
    }

    /// Bank indices of the pool: the locale's challenges, minus skills with a validated live
    /// alert, accessible ones only if needed. In bank order.
    public static func pool(
        bank: ItemBank, locale: String, needsAccessibility: Bool, excludedSkills: Set<String>
    ) -> [Int] {
        bank.challenges.indices.filter { index in
            let challenge = bank.challenges[index]
            return challenge.locale == locale
                && !excludedSkills.contains(challenge.skill)
                && (!needsAccessibility || challenge.accessible)
        }
    }

    /// The rule chain: one question per tube (or per skill), passage by all competences over
    /// the whole pool, then challenges between same competence unless that empties the list.
    /// `answered` are the counted answers' challenges, in order. Throws LACK_OF_CHALLENGES.
    public static func eligible(
        pool: [Int], answered: [Challenge], bank: ItemBank, configuration: AlgorithmConfiguration
    ) throws(SelectionError) -> [Int] {
        var eligible: [Int]
        if configuration.limitToOneQuestionPerTube {
            let answeredTubes = Set(answered.map(\.tube))
            eligible = pool.filter { !answeredTubes.contains(bank.challenges[$0].tube) }
        } else {
            let answeredSkills = Set(answered.map(\.skill))
            eligible = pool.filter { !answeredSkills.contains(bank.challenges[$0].skill) }
        }
        if configuration.enablePassageByAllCompetences {
            let answeredCompetences = Set(answered.map(\.competence))
            let unansweredInPool = Set(pool.map { bank.challenges[$0].competence }).subtracting(answeredCompetences)
            if !unansweredInPool.isEmpty {
                eligible = eligible.filter { unansweredInPool.contains(bank.challenges[$0].competence) }
            }
        }
        if configuration.challengesBetweenSameCompetence > 0 {
            let recent = Set(answered.suffix(configuration.challengesBetweenSameCompetence).map(\.competence))
            let spaced = eligible.filter { !recent.contains(bank.challenges[$0].competence) }
            if !spaced.isEmpty { eligible = spaced }
        }
        guard !eligible.isEmpty else {
            throw SelectionError(.lackOfChallenges, "no challenge left to serve after \(answered.count) answers")
        }
        return eligible
    }

    /// The `rankedChallengesMax` most informative of `eligible` at `capacity`, best first;
    /// ties keep bank order.
    public static func ranked(_ eligible: [Int], capacity: Double, bank: ItemBank) -> [Int] {
        let scored = eligible.map { (index: $0, information: bank.challenges[$0].information(capacity: capacity)) }
        let sorted = scored.sorted { lhs, rhs in
            lhs.information != rhs.information ? lhs.information > rhs.information : lhs.index < rhs.index
        }
        return sorted.prefix(rankedChallengesMax).map(\.index)
    }

    /// Index k in 0..<count with probability p(1 − p)^k, the last one taking the remainder.
    /// Draws one uniform unless the outcome is certain (count 1 or p = 100 %).
    public static func pickIndex(count: Int, probabilityPercent: Double, using random: inout SeededRandom) -> Int {
        precondition(count >= 1, "cannot pick from an empty list")
        let p = probabilityPercent / 100
        if count == 1 || p >= 1 { return 0 }
        let u = random.nextUnitInterval()
        var cumulative = 0.0
        var remaining = 1.0
        for k in 0..<(count - 1) {
            cumulative += p * remaining
            remaining *= 1 - p
            if u < cumulative { return k }
        }
        return count - 1
    }
}
