@testable import CertCore
import Foundation
import Testing

/// DESIGN §3.4 on small hand-built banks and on the default generated bank.
@Suite struct SelectionTests {
    /// `competences` × `tubes` tubes × levels 1...3, one challenge per skill, in that order.
    static func smallBank(competences: [String] = ["A", "B", "C"], tubes: Int = 2,
                          accessible: (String) -> Bool = { _ in true }, locale: (String) -> String = { _ in "fr-fr" })
        throws -> ItemBank {
        var challenges: [Challenge] = []
        for competence in competences {
            for tube in 1...tubes {
                for level in 1...3 {
                    let id = "\(competence)\(tube)-\(level)"
                    challenges.append(Challenge(id: id, competence: competence, tube: "@\(competence)\(tube)",
                                                skill: "@\(competence)\(tube)\(level)", level: level,
                                                discriminant: 1 + 0.1 * Double(tube), difficulty: Double(level) - 2,
                                                accessible: accessible(id), locale: locale(id)))
                }
            }
        }
        return try ItemBank(version: "small", competences: competences.map { Competence(id: $0, domain: "1", name: $0) },
                            challenges: challenges)
    }

    static func configuration(_ edit: (inout AlgorithmConfiguration) -> Void = { _ in }) -> AlgorithmConfiguration {
        var configuration = AlgorithmConfiguration()
        edit(&configuration)
        return configuration
    }

    /// Serves and answers `count` questions; results from a seeded stream.
    static func run(_ test: inout AdaptiveTest, count: Int, seed: UInt64) throws -> [Challenge] {
        var served: [Challenge] = []
        var behaviour = SeededRandom(seed: seed, SeededRandom.key("behaviour"))
        for question in 0..<count {
            var random = SeededRandom(seed: seed, SeededRandom.key("pick"), UInt64(question))
            guard let challenge = try test.nextChallenge(using: &random) else { break }
            served.append(challenge)
            let result: AnswerResult = behaviour.nextUnitInterval() < 0.5 ? .ok : .ko
            try test.record(Answer(challengeId: challenge.id, result: result))
        }
        return served
    }

    @Test func oneQuestionPerTubeThenLackOfChallenges() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(), configuration: Self.configuration())
        let served = try Self.run(&test, count: 6, seed: 1)
        #expect(Set(served.map(\.tube)).count == 6)
        var random = SeededRandom(seed: 1)
        #expect(throws: SelectionError.self) { try test.nextChallenge(using: &random) }
        do {
            _ = try test.nextChallenge(using: &random)
        } catch {
            #expect(error.code == .lackOfChallenges)
        }
    }

    @Test func withoutTheTubeRuleEachSkillOnce() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(),
                                configuration: Self.configuration { $0.limitToOneQuestionPerTube = false })
        let served = try Self.run(&test, count: 18, seed: 2)
        #expect(served.count == 18)
        #expect(Set(served.map(\.skill)).count == 18)
    }

    @Test func passageByAllCompetencesThenSpacing() throws {
        for seed in UInt64(1)...20 {
            var test = AdaptiveTest(bank: try Self.smallBank(), configuration: Self.configuration())
            let competences = try Self.run(&test, count: 6, seed: seed).map(\.competence)
            #expect(Set(competences.prefix(3)).count == 3)
            for index in 2..<competences.count {
                #expect(competences[index] != competences[index - 1] && competences[index] != competences[index - 2])
            }
        }
    }

    @Test func spacingIsDroppedWhenItWouldEmptyTheList() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(competences: ["A"], tubes: 3), configuration: Self.configuration())
        #expect(try Self.run(&test, count: 3, seed: 3).count == 3)
    }

    @Test func onlyAccessibleChallengesForCandidatesWhoNeedIt() throws {
        let bank = try Self.smallBank(accessible: { $0.hasSuffix("-2") })
        var test = AdaptiveTest(bank: bank, configuration: Self.configuration(), needsAccessibility: true)
        let served = try Self.run(&test, count: 6, seed: 4)
        #expect(served.allSatisfy { $0.accessible })
    }

    @Test func onlyTheCandidatesLocale() throws {
        let bank = try Self.smallBank(locale: { $0.hasPrefix("B") ? "en" : "fr-fr" })
        var test = AdaptiveTest(bank: bank, configuration: Self.configuration(), locale: "en")
        let served = try Self.run(&test, count: 2, seed: 5)
        #expect(served.allSatisfy { $0.locale == "en" })
    }

    @Test func pendingChallengeIsServedAgainAndMustBeTheOneAnswered() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(), configuration: Self.configuration())
        var random = SeededRandom(seed: 6)
        #expect(throws: SelectionError.self) { try test.record(Answer(challengeId: "A1-1", result: .ok)) }
        let first = try #require(try test.nextChallenge(using: &random))
        var other = SeededRandom(seed: 999)
        #expect(try test.nextChallenge(using: &other) == first)
        let wrong = test.bank.challenges.first { $0.id != first.id }!.id
        do {
            try test.record(Answer(challengeId: wrong, result: .ok))
            Issue.record("answering another challenge must be refused")
        } catch {
            #expect(error.code == .notCurrentChallenge)
        }
        try test.record(Answer(challengeId: first.id, result: .ok))
        #expect(test.currentChallengeId == nil)
        #expect(test.answers == [Answer(challengeId: first.id, result: .ok)])
    }

    @Test func theTestEndsAtTheMaximumLength() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(), configuration: Self.configuration { $0.maximumAssessmentLength = 4 })
        #expect(try Self.run(&test, count: 10, seed: 7).count == 4)
        #expect(test.isComplete)
        var random = SeededRandom(seed: 7)
        #expect(try test.nextChallenge(using: &random) == nil)
        do {
            try test.record(Answer(challengeId: "A1-1", result: .ok))
            Issue.record("a fifth answer must be refused")
        } catch {
            #expect(error.code == .tooManyAnswers)
        }
    }

    @Test func validatedAlertDropsThePendingChallengeAndItsSkill() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(),
                                configuration: Self.configuration { $0.limitToOneQuestionPerTube = false })
        var random = SeededRandom(seed: 8)
        let first = try #require(try test.nextChallenge(using: &random))
        try test.validateLiveAlert(challengeId: first.id)
        #expect(test.currentChallengeId == nil)
        #expect(test.validatedAlertChallengeIds == [first.id])
        let served = try Self.run(&test, count: 17, seed: 8)
        #expect(served.count == 17)
        #expect(!served.contains { $0.skill == first.skill })
        do {
            try test.validateLiveAlert(challengeId: "nope")
            Issue.record("unknown challenge must be refused")
        } catch {
            #expect(error.code == .unknownChallenge)
        }
    }

    @Test func alertOnAnAnsweredChallengeStopsItCounting() throws {
        var test = AdaptiveTest(bank: try Self.smallBank(), configuration: Self.configuration())
        let served = try Self.run(&test, count: 3, seed: 9)
        try test.validateLiveAlert(challengeId: served[1].id)
        #expect(test.countedAnswerCount == 2)
        let kept = test.answers.filter { $0.challengeId != served[1].id }
        let expected = try CapacityEstimation.history(of: kept, in: test.bank, configuration: test.configuration).last
        #expect(test.estimate == expected)
    }

    @Test func replayRebuildsTheSameState() throws {
        let bank = try Self.smallBank()
        var live = AdaptiveTest(bank: bank, configuration: Self.configuration())
        _ = try Self.run(&live, count: 4, seed: 10)
        var random = SeededRandom(seed: 10, 99)
        let pending = try #require(try live.nextChallenge(using: &random))
        let rebuilt = try AdaptiveTest.replay(bank: bank, configuration: live.configuration, answers: live.answers,
                                              validatedAlertChallengeIds: [], currentChallengeId: pending.id)
        #expect(rebuilt.answers == live.answers)
        #expect(rebuilt.estimate == live.estimate)
        #expect(rebuilt.currentChallengeId == pending.id)
    }

    // MARK: Ranking and picking.

    @Test func rankingKeepsTheFiveMostInformativeWithBankOrderTies() throws {
        // Ten identical items: every information ties, so the first five in bank order win.
        let challenges = (0..<10).map {
            Challenge(id: "i\($0)", competence: "A", tube: "@t\($0)", skill: "@t\($0)1", level: 1, discriminant: 1,
                      difficulty: 0, accessible: true, locale: "fr-fr")
        }
        let bank = try ItemBank(version: "ties", competences: [Competence(id: "A", domain: "1", name: "A")],
                                challenges: challenges)
        #expect(ChallengeSelection.ranked(Array((0..<10).reversed()), capacity: 0.3, bank: bank) == [0, 1, 2, 3, 4])
    }

    @Test func probabilityHundredAlwaysServesTheMostInformative() throws {
        let bank = try Self.smallBank()
        for seed in UInt64(1)...10 {
            var test = AdaptiveTest(bank: bank, configuration: Self.configuration { $0.defaultProbabilityToPickChallenge = 100 })
            var random = SeededRandom(seed: seed)
            let served = try #require(try test.nextChallenge(using: &random))
            // At θ = −3 the most informative first challenge, computed directly: max of
            // a²·P(1−P) over the bank (ties to the earliest).
            let theta = -3.0
            let info = bank.challenges.map { c -> Double in
                let p = 1 / (1 + exp(c.discriminant * (c.difficulty - theta)))
                return c.discriminant * c.discriminant * p * (1 - p)
            }
            let best = info.indices.max { info[$0] < info[$1] || (info[$0] == info[$1] && $0 > $1) }!
            #expect(served.id == bank.challenges[best].id)
        }
    }

    @Test(arguments: [5, 3])
    func pickDistributionMatchesGeometricWithRemainder(count: Int) {
        var random = SeededRandom(seed: 2024, SeededRandom.key("pick-distribution"))
        let draws = 200_000
        var counts = [Int](repeating: 0, count: count)
        for _ in 0..<draws {
            counts[ChallengeSelection.pickIndex(count: count, probabilityPercent: 51, using: &random)] += 1
        }
        for k in 0..<count {
            let expected = k < count - 1 ? 0.51 * pow(0.49, Double(k)) : pow(0.49, Double(count - 1))
            #expect(abs(Double(counts[k]) / Double(draws) - expected) < 0.005, "k = \(k)")
        }
    }

    // MARK: The default bank.

    static let defaultBank = BankGenerator.generate(challenges: 1200, seed: 1)

    @Test func passageByAllCompetencesCoversTheSixteenInTheFirstSixteenQuestions() throws {
        for seed in UInt64(1)...25 {
            var test = AdaptiveTest(bank: Self.defaultBank, configuration: .default)
            let served = try Self.run(&test, count: 16, seed: seed)
            #expect(Set(served.map(\.competence)) == Set(Framework.crcn.map(\.id)), "seed \(seed)")
        }
    }

    @Test func aSeedReplaysTheWholeSequence() throws {
        var first = AdaptiveTest(bank: Self.defaultBank, configuration: .default)
        var second = AdaptiveTest(bank: Self.defaultBank, configuration: .default)
        var other = AdaptiveTest(bank: Self.defaultBank, configuration: .default)
        let a = try Self.run(&first, count: 32, seed: 77).map(\.id)
        let b = try Self.run(&second, count: 32, seed: 77).map(\.id)
        let c = try Self.run(&other, count: 32, seed: 78).map(\.id)
        #expect(a.count == 32)
        #expect(a == b)
        #expect(a != c)
        #expect(first.estimate == second.estimate)
    }
}
