import CertCore
import Foundation
import Testing
@testable import CertLoad

@Suite struct SimulationTests {
    static func identity(_ person: Int, sitting: Int = 0) -> CandidateIdentity {
        CandidateIdentity(personIndex: person, sitting: sitting, sessionId: "c001-s01-w1",
                          candidateId: "c001-s01-w1-k\(person)")
    }

    static func candidate(_ person: Int, sitting: Int = 0, seed: UInt64 = 11, scenario: Scenario = RunnerFixtures.smallDay())
        -> SimulatedCandidate
    {
        SimulatedCandidate(identity: identity(person, sitting: sitting), scenario: scenario, maximumAssessmentLength: 32,
                           draws: RunnerDraws(seed: seed))
    }

    @Test func aCandidateIsTheSameForTheSameSeed() {
        for person in 0..<50 {
            let a = Self.candidate(person)
            let b = Self.candidate(person)
            #expect(a == b)
            for question in 1...32 {
                #expect(a.thinkTimeSeconds(questionNumber: question, attempt: 0) == b.thinkTimeSeconds(questionNumber: question, attempt: 0))
                #expect(a.raisesLiveAlert(questionNumber: question, challengeId: "x\(question)")
                        == b.raisesLiveAlert(questionNumber: question, challengeId: "x\(question)"))
            }
        }
    }

    @Test func anotherSeedGivesOtherPeople() {
        let abilities = (0..<50).map { Self.candidate($0, seed: 11).trueAbility }
        let others = (0..<50).map { Self.candidate($0, seed: 12).trueAbility }
        #expect(zip(abilities, others).filter { $0 != $1 }.count == 50)
    }

    @Test func abilitiesFollowThePopulation() {
        var scenario = RunnerFixtures.smallDay()
        scenario.population.ability = .normal(mean: 0.5, standardDeviation: 1.5)
        let n = 4_000
        let thetas = (0..<n).map { Self.candidate($0, scenario: scenario).trueAbility }
        let mean = thetas.reduce(0, +) / Double(n)
        let sd = (thetas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        // Standard error of the mean is 1.5/√4000 ≈ 0.024; of the sd ≈ 0.017.
        #expect(abs(mean - 0.5) < 0.1)
        #expect(abs(sd - 1.5) < 0.07)
    }

    @Test func aRetestSitsTheSamePersonWithFreshBehaviour() {
        var scenario = RunnerFixtures.smallDay()
        scenario.population.accessibilityShare = 0.5
        for person in 0..<40 {
            let first = Self.candidate(person, sitting: 0, scenario: scenario)
            let second = Self.candidate(person, sitting: 1, scenario: scenario)
            #expect(first.trueAbility == second.trueAbility)
            #expect(first.needsAccessibility == second.needsAccessibility)
            #expect(first.thinkTimeSeconds(questionNumber: 1, attempt: 0) != second.thinkTimeSeconds(questionNumber: 1, attempt: 0))
        }
    }

    @Test func answersAreRightWithTheModelsProbability() {
        // One item, a = 1.3, b = 0.4; the person's θ is whatever was drawn; count right answers
        // over many question numbers (independent draws) and compare with 1/(1 + e^{a(b − θ)}).
        let challenge = Challenge(id: "q1", competence: "1.1", tube: "@t", skill: "@t1", level: 1,
                                  discriminant: 1.3, difficulty: 0.4, accessible: true, locale: "fr-fr")
        let bank = try! ItemBank(version: "t", competences: [Competence(id: "1.1", domain: "1", name: "x")], challenges: [challenge])
        let items = TrueItemParameters(bank: bank, noise: CalibrationNoise(), draws: RunnerDraws(seed: 1))
        let person = Self.candidate(3)
        let expected = 1 / (1 + exp(1.3 * (0.4 - person.trueAbility)))
        let n = 20_000
        let right = (1...n).filter { person.answer(questionNumber: $0, challengeId: "q1", items: items) == .ok }.count
        let share = Double(right) / Double(n)
        let sigma = (expected * (1 - expected) / Double(n)).squareRoot()
        #expect(abs(share - expected) < 5 * sigma + 1e-9)
        #expect(person.answer(questionNumber: 1, challengeId: "unknown", items: items) == .ko)
    }

    @Test func calibrationNoiseHasTheStatedSpread() {
        let bank = BankGenerator.generate(challenges: 1_200, seed: 5)
        let draws = RunnerDraws(seed: 9)
        let exact = TrueItemParameters(bank: bank, noise: CalibrationNoise(), draws: draws)
        for (index, challenge) in bank.challenges.enumerated() {
            #expect(exact.parameters(atIndex: index) == (challenge.discriminant, challenge.difficulty))
        }
        let noisy = TrueItemParameters(
            bank: bank, noise: CalibrationNoise(discriminantStandardDeviation: 0, difficultyStandardDeviation: 0.3), draws: draws)
        let gaps = bank.challenges.indices.map { noisy.parameters(atIndex: $0).difficulty - bank.challenges[$0].difficulty }
        let sd = (gaps.map { $0 * $0 }.reduce(0, +) / Double(gaps.count)).squareRoot()
        #expect(abs(sd - 0.3) < 0.03)  // standard error ≈ 0.3/√2400 ≈ 0.006
        let again = TrueItemParameters(
            bank: bank, noise: CalibrationNoise(discriminantStandardDeviation: 0, difficultyStandardDeviation: 0.3), draws: draws)
        #expect(again.parameters(atIndex: 17) == noisy.parameters(atIndex: 17))
    }

    @Test func partWayEventsHappenAtTheStatedShareAndInsideTheTest() {
        var scenario = RunnerFixtures.smallDay()
        scenario.behaviour.abandonShare = 0.2
        let n = 5_000
        let candidates = (0..<n).map { Self.candidate($0, scenario: scenario) }
        let abandons = candidates.compactMap(\.abandonAfterAnswers)
        #expect(abs(Double(abandons.count) / Double(n) - 0.2) < 0.03)  // σ ≈ 0.0057
        #expect(abandons.allSatisfy { (1...31).contains($0) })
        #expect(candidates.allSatisfy { (30.0...600.0).contains($0.incidentOfflineSeconds) })
        #expect(candidates.allSatisfy { (0.0...scenario.day.arrivalSpreadSeconds).contains($0.arrivalOffsetSeconds) })
    }

    @Test func proctorDecisionsDependOnTheOrdinalNotOnTime() {
        var policy = Proctors()
        policy.validateRatio = 0.3
        policy.alertReactionDelaySeconds = SecondsRange(10, 60)
        let proctor = SimulatedProctor(policy: policy, draws: RunnerDraws(seed: 4))
        let same = SimulatedProctor(policy: policy, draws: RunnerDraws(seed: 4))
        var validated = 0
        let n = 4_000
        for person in 0..<n {
            let decision = proctor.liveAlertDecision(for: Self.identity(person), ordinal: 0)
            #expect(decision == same.liveAlertDecision(for: Self.identity(person), ordinal: 0))
            #expect((10.0...60.0).contains(decision.delaySeconds))
            if decision.validate { validated += 1 }
            let delay = proctor.authoriseDelaySeconds(for: Self.identity(person), ordinal: 1)
            #expect((5.0...60.0).contains(delay))
        }
        #expect(abs(Double(validated) / Double(n) - 0.3) < 0.04)  // σ ≈ 0.0072
        let other = SimulatedProctor(policy: policy, draws: RunnerDraws(seed: 5))
        let differs = (0..<50).filter {
            proctor.authoriseDelaySeconds(for: Self.identity($0), ordinal: 0) != other.authoriseDelaySeconds(for: Self.identity($0), ordinal: 0)
        }
        #expect(differs.count == 50)
    }

    @Test func theDayPlanNamesSessionsAndCandidatesStably() {
        var scenario = RunnerFixtures.smallDay(centres: 12, rooms: 3, candidates: 4)
        scenario.day.waves = 2
        scenario.day.waveSpacingMinutes = 120
        scenario.retest = true
        let plan = DayPlan(scenario: scenario, draws: RunnerDraws(seed: 1))
        #expect(plan.sessions.count == 12 * 3 * 2 * 2)
        #expect(plan.persons == 12 * 3 * 2 * 4)
        #expect(plan.candidatesCount == 2 * plan.persons)
        let ids = plan.sessions.map(\.sessionId)
        #expect(Set(ids).count == ids.count)
        #expect(ids.contains("c012-s03-w2"))
        #expect(ids.contains("c012-s03-w2-r2"))
        let last = plan.sessions.first { $0.sessionId == "c012-s03-w2" }!
        #expect(last.opensAtSeconds == 7_200)
        #expect(last.candidates.map(\.candidateId).last == "c012-s03-w2-k04")
        let retest = plan.sessions.first { $0.sessionId == "c012-s03-w2-r2" }!
        #expect(retest.candidates.map(\.personIndex) == last.candidates.map(\.personIndex))
        #expect(retest.candidates.allSatisfy { $0.sitting == 1 })
        // The retest day opens after the first day: last opening (7,200 s) + 105 minutes.
        #expect(retest.opensAtSeconds == 7_200 + 7_200 + 105 * 60)
    }

    @Test func theClockStandsStillAsFastAsPossible() {
        let clock = VirtualClock(timeScale: 0)
        clock.begin()
        #expect(clock.nowSeconds() == VirtualClock.dayStartSeconds)
        let scaled = VirtualClock(timeScale: 1_000)
        #expect(scaled.nowSeconds() == VirtualClock.dayStartSeconds)  // before begin: the day has not started
        scaled.begin()
        let began = scaled.beganUptimeNanoseconds!
        #expect(scaled.dueUptimeNanoseconds(atDayOffsetSeconds: 60) == began + 60_000_000)
        #expect(scaled.nowSeconds() >= VirtualClock.dayStartSeconds)
    }

    /// The fixed-arity draws (the answer path's) are the variadic ones: the generator of the
    /// key list (namespace, purpose, keys…).
    @Test func fixedArityDrawsEqualTheKeyListDraws() {
        let draws = RunnerDraws(seed: 4_242)
        let namespace = RunnerDraws.namespace
        func listed(_ purpose: DrawPurpose, _ keys: [UInt64]) -> SeededRandom {
            SeededRandom(seed: 4_242, keys: [namespace, purpose.rawValue] + keys)
        }
        for purpose in [DrawPurpose.answer, .thinkTime, .liveAlert, .arrival] {
            var r1 = listed(purpose, [3])
            #expect(draws.unit(purpose, 3) == r1.nextUnitInterval())
            var r2 = listed(purpose, [3, 1])
            #expect(draws.unit(purpose, 3, 1) == r2.nextUnitInterval())
            var r3 = listed(purpose, [3, 1, 4])
            #expect(draws.unit(purpose, 3, 1, 4) == r3.nextUnitInterval())
            var r4 = listed(purpose, [3, 1, 4, 1])
            #expect(draws.unit(purpose, 3, 1, 4, 1) == r4.nextUnitInterval())
            var r5 = listed(purpose, [3, 1, 4, 1, 5])
            #expect(draws.unit(purpose, 3, 1, 4, 1, 5) == r5.nextUnitInterval())
            var n4 = listed(purpose, [2, 7, 1, 8])
            #expect(draws.standardNormal(purpose, 2, 7, 1, 8) == n4.nextStandardNormal())
        }
    }

    @Test func drawsOfDifferentPurposesAreIndependentStreams() {
        let draws = RunnerDraws(seed: 99)
        var seen = Set<Double>()
        for purpose in DrawPurpose.allCases { seen.insert(draws.unit(purpose, 1, 0)) }
        #expect(seen.count == DrawPurpose.allCases.count)
        #expect(Set(DrawPurpose.allCases.map(\.rawValue)).count == DrawPurpose.allCases.count)
    }
}
