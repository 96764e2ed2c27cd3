@testable import CertCore
import Foundation
import Testing

/// The plain engine, kept as the oracle of the fast path: a from-scratch estimator (one
/// exponential per grid point for the prior, normalised posterior array) and the rule chain
/// as set filters with a full sort for the ranking. Copied from the first implementation and
/// not to be optimised.
enum Oracle {
    struct Estimator {
        let configuration: AlgorithmConfiguration
        let grid = CapacityGrid.points
        var estimate: CapacityEstimate
        var likelihood: [Double]

        init(configuration: AlgorithmConfiguration) {
            self.configuration = configuration
            estimate = CapacityEstimate(capacity: configuration.defaultCandidateCapacity, errorRate: 5)
            likelihood = Array(repeating: 1.0, count: CapacityGrid.pointCount)
        }

        mutating func add(_ challenge: Challenge, correct: Bool) {
            var largest = 0.0
            for k in 0..<grid.count {
                let p = 1.0 / (1.0 + exp(challenge.discriminant * (challenge.difficulty - grid[k])))
                likelihood[k] *= correct ? p : 1.0 - p
                largest = max(largest, likelihood[k])
            }
            if largest > 0 {
                for k in 0..<grid.count { likelihood[k] /= largest }
            }
            estimate = configuration.estimator == .flash ? flashStep() : eapStep()
        }

        func posterior(priorMean: Double, priorVariance: Double) -> [Double] {
            var posterior = [Double](repeating: 0, count: grid.count)
            var total = 0.0
            for k in 0..<grid.count {
                let deviation = grid[k] - priorMean
                posterior[k] = likelihood[k] * exp(-deviation * deviation / (2 * priorVariance))
                total += posterior[k]
            }
            for k in 0..<grid.count { posterior[k] /= total }
            return posterior
        }

        func flashStep() -> CapacityEstimate {
            let previous = estimate.capacity
            let post = posterior(priorMean: previous, priorVariance: 1.5)
            var raw = 0.0
            for k in 0..<grid.count { raw += grid[k] * post[k] }
            var capacity = raw
            if let v = configuration.variationPercent {
                let gap = (-v < previous && previous < v) ? v : abs(previous * v)
                capacity = min(max(raw, previous - gap), previous + gap)
            }
            var spread = 0.0
            for k in 0..<grid.count { spread += post[k] * (grid[k] - capacity) * (grid[k] - capacity) }
            return CapacityEstimate(capacity: capacity,
                                    errorRate: max(0, spread - (9.0 / 80.0) * (9.0 / 80.0) / 12.0).squareRoot())
        }

        func eapStep() -> CapacityEstimate {
            let post = posterior(priorMean: 0, priorVariance: 1)
            var mean = 0.0
            for k in 0..<grid.count { mean += grid[k] * post[k] }
            var variance = 0.0
            for k in 0..<grid.count { variance += post[k] * (grid[k] - mean) * (grid[k] - mean) }
            return CapacityEstimate(capacity: mean, errorRate: variance.squareRoot())
        }
    }

    static func pool(bank: ItemBank, locale: String, needsAccessibility: Bool, excludedSkills: Set<String>) -> [Int] {
        bank.challenges.indices.filter { index in
            let challenge = bank.challenges[index]
            return challenge.locale == locale && !excludedSkills.contains(challenge.skill)
                && (!needsAccessibility || challenge.accessible)
        }
    }

    /// Nil for LACK_OF_CHALLENGES.
    static func eligible(pool: [Int], answered: [Challenge], bank: ItemBank,
                         configuration: AlgorithmConfiguration) -> [Int]? {
        var eligible: [Int]
        if configuration.limitToOneQuestionPerTube {
            let tubes = Set(answered.map(\.tube))
            eligible = pool.filter { !tubes.contains(bank.challenges[$0].tube) }
        } else {
            let skills = Set(answered.map(\.skill))
            eligible = pool.filter { !skills.contains(bank.challenges[$0].skill) }
        }
        if configuration.enablePassageByAllCompetences {
            let unanswered = Set(pool.map { bank.challenges[$0].competence }).subtracting(answered.map(\.competence))
            if !unanswered.isEmpty { eligible = eligible.filter { unanswered.contains(bank.challenges[$0].competence) } }
        }
        if configuration.challengesBetweenSameCompetence > 0 {
            let recent = Set(answered.suffix(configuration.challengesBetweenSameCompetence).map(\.competence))
            let spaced = eligible.filter { !recent.contains(bank.challenges[$0].competence) }
            if !spaced.isEmpty { eligible = spaced }
        }
        return eligible.isEmpty ? nil : eligible
    }

    static func information(_ challenge: Challenge, capacity: Double) -> Double {
        let p = 1.0 / (1.0 + exp(challenge.discriminant * (challenge.difficulty - capacity)))
        return p * (1.0 - p) * challenge.discriminant * challenge.discriminant
    }

    /// Full scan and sort: information descending, bank index ascending; the first five.
    static func ranked(_ eligible: [Int], capacity: Double, bank: ItemBank) -> [Int] {
        eligible.map { (index: $0, information: information(bank.challenges[$0], capacity: capacity)) }
            .sorted { $0.information != $1.information ? $0.information > $1.information : $0.index < $1.index }
            .prefix(5).map(\.index)
    }
}

/// The fast engine (tables, one-exponential prior, masks, bounded information search) against
/// the oracle on many seeded random states: the same eligible challenges, the same top five in
/// the same order, the same pick, and estimates within 1e-12.
@Suite struct FastPathOracleTests {
    static let estimateTolerance = 1e-12
    static let defaultBank = BankGenerator.generate(challenges: 1200, seed: 1)

    /// A bank with several locales, ties (duplicated parameters), extreme discriminants and
    /// difficulties beyond the grid.
    static func mixedBank(seed: UInt64) throws -> ItemBank {
        var random = SeededRandom(seed: seed, SeededRandom.key("mixed-bank"))
        let competences = (1...6).map { Competence(id: "k\($0)", domain: "1", name: "k\($0)") }
        var challenges: [Challenge] = []
        for index in 0..<300 {
            let competence = competences[Int(random.next() % 6)].id
            let tube = "@\(competence)t\(random.next() % 4)"
            let level = 1 + Int(random.next() % 8)
            let duplicate = index > 0 && random.nextUnitInterval() < 0.1
            let a = duplicate ? challenges[index - 1].discriminant : 0.2 + 4 * random.nextUnitInterval()
            let b = duplicate ? challenges[index - 1].difficulty : -12 + 24 * random.nextUnitInterval()
            challenges.append(Challenge(
                id: "m\(index)", competence: competence, tube: tube, skill: "\(tube)\(level)", level: level,
                discriminant: a, difficulty: b, accessible: random.nextUnitInterval() < 0.8,
                locale: random.nextUnitInterval() < 0.85 ? "fr-fr" : "en"))
        }
        return try ItemBank(version: "mixed-\(seed)", competences: competences, challenges: challenges)
    }

    static func randomConfiguration(_ random: inout SeededRandom) -> AlgorithmConfiguration {
        var configuration = AlgorithmConfiguration()
        configuration.limitToOneQuestionPerTube = random.nextUnitInterval() < 0.7
        configuration.enablePassageByAllCompetences = random.nextUnitInterval() < 0.7
        configuration.challengesBetweenSameCompetence = Int(random.next() % 4)
        configuration.variationPercent = [nil, 0.3, 0.5, 1.0][Int(random.next() % 4)]
        configuration.estimator = random.nextUnitInterval() < 0.7 ? .flash : .eap
        configuration.defaultCandidateCapacity = [-3, 0, 2.5, -9, 11][Int(random.next() % 5)]
        return configuration
    }

    struct Differences { var capacity = 0.0; var errorRate = 0.0; var states = 0 }

    /// Runs a fast `AdaptiveTest` and the oracle side by side for a whole test.
    static func compareTrajectory(bank: ItemBank, configuration: AlgorithmConfiguration, locale: String,
                                  needsAccessibility: Bool, seed: UInt64, differences: inout Differences) throws {
        var test = AdaptiveTest(bank: bank, configuration: configuration, locale: locale,
                                needsAccessibility: needsAccessibility)
        var oracle = Oracle.Estimator(configuration: configuration)
        var answered: [Challenge] = []
        let pool = Oracle.pool(bank: bank, locale: locale, needsAccessibility: needsAccessibility, excludedSkills: [])
        var behaviour = SeededRandom(seed: seed, SeededRandom.key("behaviour"))
        let tables = BankTables.shared(for: bank)
        for question in 0..<configuration.maximumAssessmentLength {
            let capacity = oracle.estimate.capacity
            #expect(abs(test.estimate.capacity - capacity) <= estimateTolerance, "seed \(seed) q\(question)")
            #expect(abs(test.estimate.errorRate - oracle.estimate.errorRate) <= estimateTolerance)
            differences.capacity = max(differences.capacity, abs(test.estimate.capacity - capacity))
            differences.errorRate = max(differences.errorRate, abs(test.estimate.errorRate - oracle.estimate.errorRate))
            differences.states += 1

            let expectedEligible = Oracle.eligible(pool: pool, answered: answered, bank: bank, configuration: configuration)
            var random = SeededRandom(seed: seed, SeededRandom.key("pick"), UInt64(question))
            var oracleRandom = random
            let served: Challenge?
            do {
                served = try test.nextChallenge(using: &random)
            } catch {
                #expect(error.code == .lackOfChallenges)
                #expect(expectedEligible == nil, "seed \(seed) q\(question): fast path lacks challenges, oracle does not")
                return
            }
            let eligible = try #require(expectedEligible, "seed \(seed) q\(question): oracle lacks challenges")
            let expectedTop = Oracle.ranked(eligible, capacity: capacity, bank: bank)

            // The fast ranking at the oracle's capacity, from a state rebuilt on the same answers.
            let state = SelectionState(tables: tables, bank: bank, locale: locale, needsAccessibility: needsAccessibility,
                                       excludedSkills: [], oneQuestionPerTube: configuration.limitToOneQuestionPerTube,
                                       answered: answered.map { bank.index(ofChallenge: $0.id)! })
            let competences = try state.eligibleCompetences(answered: answered.map { bank.index(ofChallenge: $0.id)! },
                                                            tables: tables, configuration: configuration)
            let fastEligible = bank.challenges.indices.filter {
                state.isOpen($0) && (competences >> UInt64(tables.competenceIndex[$0])) & 1 == 1
            }
            #expect(fastEligible == eligible, "seed \(seed) q\(question)")
            let top = state.ranked(capacity: capacity, competences: competences, tables: tables)
            #expect((0..<top.count).map(top.index) == expectedTop, "seed \(seed) q\(question) θ \(capacity)")

            let pick = ChallengeSelection.pickIndex(count: expectedTop.count,
                                                    probabilityPercent: configuration.defaultProbabilityToPickChallenge,
                                                    using: &oracleRandom)
            let expected = bank.challenges[expectedTop[pick]]
            #expect(served?.id == expected.id, "seed \(seed) q\(question)")
            guard let served else { return }
            let correct = behaviour.nextUnitInterval() < 0.5
            try test.record(Answer(challengeId: served.id, result: correct ? .ok : .ko))
            oracle.add(expected, correct: correct)
            answered.append(expected)
        }
        #expect(test.isComplete)
    }

    @Test func wholeTestsOnTheDefaultBankMatchTheOracle() throws {
        var differences = Differences()
        for seed in UInt64(1)...40 {
            var random = SeededRandom(seed: seed, SeededRandom.key("configuration"))
            let configuration = seed <= 10 ? .default : Self.randomConfiguration(&random)
            try Self.compareTrajectory(bank: Self.defaultBank, configuration: configuration, locale: "fr-fr",
                                       needsAccessibility: seed % 3 == 0, seed: seed, differences: &differences)
        }
        #expect(differences.states >= 40 * 32)
    }

    @Test func wholeTestsOnMixedBanksMatchTheOracle() throws {
        var differences = Differences()
        for seed in UInt64(1)...40 {
            let bank = try Self.mixedBank(seed: seed % 5)
            var random = SeededRandom(seed: seed, SeededRandom.key("configuration"))
            let configuration = Self.randomConfiguration(&random)
            try Self.compareTrajectory(bank: bank, configuration: configuration, locale: seed % 4 == 0 ? "en" : "fr-fr",
                                       needsAccessibility: seed % 2 == 0, seed: seed, differences: &differences)
        }
        #expect(differences.states > 0)
    }

    /// Random capacities (inside and outside the indexed range, on cell edges) and random
    /// answered sets: the bounded search returns the full sort's top five.
    @Test func rankingAtRandomCapacitiesMatchesTheFullSort() throws {
        for (bankIndex, bank) in [Self.defaultBank, try Self.mixedBank(seed: 7)].enumerated() {
            let tables = BankTables.shared(for: bank)
            var random = SeededRandom(seed: 99, UInt64(bankIndex))
            for trial in 0..<400 {
                var configuration = Self.randomConfiguration(&random)
                configuration.maximumAssessmentLength = 32
                let pool = Oracle.pool(bank: bank, locale: "fr-fr", needsAccessibility: trial % 2 == 0, excludedSkills: [])
                let answered = (0..<Int(random.next() % 20)).map { _ in pool[Int(random.next() % UInt64(pool.count))] }
                let state = SelectionState(tables: tables, bank: bank, locale: "fr-fr", needsAccessibility: trial % 2 == 0,
                                           excludedSkills: [], oneQuestionPerTube: configuration.limitToOneQuestionPerTube,
                                           answered: answered)
                guard let eligible = Oracle.eligible(pool: pool, answered: answered.map { bank.challenges[$0] },
                                                     bank: bank, configuration: configuration) else { continue }
                let competences = try state.eligibleCompetences(answered: answered, tables: tables,
                                                                configuration: configuration)
                for _ in 0..<10 {
                    let capacity: Double
                    switch random.next() % 4 {
                    case 0: capacity = -9 + 0.1 * Double(random.next() % 181)   // cell edges
                    case 1: capacity = -11 + 22 * random.nextUnitInterval()   // beyond the index too
                    default: capacity = -4 + 8 * random.nextUnitInterval()
                    }
                    let top = state.ranked(capacity: capacity, competences: competences, tables: tables)
                    #expect((0..<top.count).map(top.index) == Oracle.ranked(eligible, capacity: capacity, bank: bank),
                            "bank \(bankIndex) trial \(trial) θ \(capacity)")
                }
            }
        }
    }

    @Test func identicalChallengesAreRankedByBankIndex() throws {
        let challenges = (0..<12).map {
            Challenge(id: "i\($0)", competence: "A", tube: "@t\($0)", skill: "@t\($0)1", level: 1, discriminant: 1.3,
                      difficulty: $0 % 2 == 0 ? 0.5 : 40, accessible: true, locale: "fr-fr")
        }
        let bank = try ItemBank(version: "ties", competences: [Competence(id: "A", domain: "1", name: "A")],
                                challenges: challenges)
        let tables = BankTables.shared(for: bank)
        let state = SelectionState(tables: tables, bank: bank, locale: "fr-fr", needsAccessibility: false,
                                   excludedSkills: [], oneQuestionPerTube: true, answered: [2])
        for capacity in [-3.0, 0.5, 0.55, 8] {
            let top = state.ranked(capacity: capacity, competences: 1, tables: tables)
            #expect((0..<top.count).map(top.index) == [0, 4, 6, 8, 10])
        }
        // Far above every difficulty all the items' information underflows to ties at zero... or
        // not: whatever it is, the full sort decides.
        let top = state.ranked(capacity: 60, competences: 1, tables: tables)
        #expect((0..<top.count).map(top.index)
                == Oracle.ranked(Array(0..<12).filter { $0 != 2 }, capacity: 60, bank: bank))
    }

    /// Estimates alone over long random answer sequences, both estimators, several caps.
    @Test func estimatesStayWithinToleranceOfTheOracle() {
        let bank = Self.defaultBank
        var worst = 0.0
        for seed in UInt64(1)...200 {
            var random = SeededRandom(seed: seed, SeededRandom.key("estimates"))
            let configuration = Self.randomConfiguration(&random)
            var fast = CapacityEstimator(configuration: configuration)
            var tabled = CapacityEstimator(configuration: configuration)
            var oracle = Oracle.Estimator(configuration: configuration)
            let tables = BankTables.shared(for: bank)
            for _ in 0..<32 {
                let index = Int(random.next() % UInt64(bank.challenges.count))
                let correct = random.nextUnitInterval() < 0.5
                fast.add(bank.challenges[index], correct: correct)
                tables.response.withFactors(challenge: index, correct: correct) { tabled.add(factors: $0) }
                oracle.add(bank.challenges[index], correct: correct)
                #expect(tabled == fast, "table factors are the computed ones, bit for bit")
                worst = max(worst, abs(fast.estimate.capacity - oracle.estimate.capacity),
                            abs(fast.estimate.errorRate - oracle.estimate.errorRate))
            }
        }
        #expect(worst <= Self.estimateTolerance, "largest difference \(worst)")
    }
}
