@testable import CertCore
import Foundation
import Testing

/// Independent checks of DESIGN §3.2–3.3: closed forms, a hand-worked 3-point grid, and a
/// naive from-scratch implementation compared answer by answer.
@Suite struct EstimatorTests {
    // MARK: Naive reference (recomputes everything from scratch at every step).

    struct Item { let a: Double; let b: Double; let correct: Bool }

    static func naiveP(_ theta: Double, _ item: Item) -> Double {
        1 / (1 + exp(item.a * (item.b - theta)))
    }

    static func naiveFlash(grid: [Double], items: [Item], start: Double, variation: Double?,
                           correction: Double) -> [(Double, Double)] {
        var previous = start
        var out: [(Double, Double)] = []
        for j in 1...max(1, items.count) where !items.isEmpty {
            let answered = Array(items.prefix(j))
            let likelihood = grid.map { theta in
                answered.reduce(1.0) { $0 * ($1.correct ? naiveP(theta, $1) : 1 - naiveP(theta, $1)) }
            }
            let density = grid.map { exp(-pow($0 - previous, 2) / (2 * 1.5)) / sqrt(2 * Double.pi * 1.5) }
            let priorTotal = density.reduce(0, +)
            let prior = density.map { $0 / priorTotal }
            let joint = zip(likelihood, prior).map { $0 * $1 }
            let total = joint.reduce(0, +)
            let posterior = joint.map { $0 / total }
            let raw = zip(grid, posterior).map { $0 * $1 }.reduce(0, +)
            var theta = raw
            if let v = variation {
                let gap = abs(previous) < v ? v : abs(previous * v)
                theta = min(max(raw, previous - gap), previous + gap)
            }
            let spread = zip(grid, posterior).map { $1 * pow($0 - theta, 2) }.reduce(0, +)
            out.append((theta, sqrt(spread - correction)))
            previous = theta
        }
        return out
    }

    static func naiveEAP(grid: [Double], items: [Item]) -> (Double, Double) {
        let likelihood = grid.map { theta in
            items.reduce(1.0) { $0 * ($1.correct ? naiveP(theta, $1) : 1 - naiveP(theta, $1)) }
        }
        let joint = zip(grid, likelihood).map { exp(-$0 * $0 / 2) * $1 }
        let total = joint.reduce(0, +)
        let mean = zip(grid, joint).map { $0 * $1 }.reduce(0, +) / total
        let variance = zip(grid, joint).map { pow($0 - mean, 2) * $1 }.reduce(0, +) / total
        return (mean, sqrt(variance))
    }

    static func challenge(_ item: Item, id: String = "x") -> Challenge {
        Challenge(id: id, competence: "1.1", tube: "@t", skill: "@t1", level: 1, discriminant: item.a,
                  difficulty: item.b, accessible: true, locale: "fr-fr")
    }

    static func configuration(variation: Double?, estimator: EstimatorKind = .flash) -> AlgorithmConfiguration {
        var configuration = AlgorithmConfiguration()
        configuration.variationPercent = variation
        configuration.estimator = estimator
        return configuration
    }

    // MARK: Response model closed forms.

    @Test func probabilityIsOneHalfAtTheDifficultyAndSymmetric() {
        for (a, b) in [(0.5, -2.0), (1.2, 0.0), (3.0, 1.7)] {
            #expect(ResponseModel.probabilityCorrect(capacity: b, discriminant: a, difficulty: b) == 0.5)
            for d in [0.1, 0.7, 2.5] {
                let up = ResponseModel.probabilityCorrect(capacity: b + d, discriminant: a, difficulty: b)
                let down = ResponseModel.probabilityCorrect(capacity: b - d, discriminant: a, difficulty: b)
                #expect(abs(up + down - 1) < 1e-15)
                // No 1.7 constant: logit(P) = a(θ − b).
                #expect(abs(log(up / (1 - up)) - a * d) < 1e-12)
            }
        }
    }

    @Test func informationPeaksAtTheDifficultyWithValueASquaredOverFour() {
        for (a, b) in [(0.4, -3.0), (1.2, 0.5), (2.8, 2.0)] {
            let peak = ResponseModel.information(capacity: b, discriminant: a, difficulty: b)
            #expect(abs(peak - a * a / 4) < 1e-15)
            for d in stride(from: 0.01, through: 4, by: 0.13) {
                #expect(ResponseModel.information(capacity: b + d, discriminant: a, difficulty: b) < peak)
                #expect(ResponseModel.information(capacity: b - d, discriminant: a, difficulty: b) < peak)
            }
        }
    }

    @Test func gridIsEightyOnePointsFromMinusNineToNine() {
        #expect(CapacityGrid.points.count == 81)
        #expect(CapacityGrid.points.first == -9)
        #expect(abs(CapacityGrid.points.last! - 9) < 1e-12)
        #expect(abs(CapacityGrid.points[41] - CapacityGrid.points[40] - 0.225) < 1e-12)
    }

    @Test(arguments: EstimatorKind.allCases)
    func noAnswerGivesDefaultCapacityAndErrorRateFive(kind: EstimatorKind) {
        let estimator = CapacityEstimator(configuration: Self.configuration(variation: 0.5, estimator: kind))
        #expect(estimator.estimate == CapacityEstimate(capacity: -3, errorRate: 5))
    }

    // MARK: Hand-worked 3-point grid.

    @Test func oneCorrectAnswerOnThreePointGridMatchesHandComputation() {
        // Grid {−1, 0, 1}, start 0, item a = 1, b = 0, correct. Prior ∝ exp(−θ²/3);
        // posterior ∝ (σ(−1)e^{−1/3}, 1/2, σ(1)e^{−1/3}).
        let sigma = { (x: Double) in 1 / (1 + exp(-x)) }
        let weights = [sigma(-1) * exp(-1.0 / 3), 0.5, sigma(1) * exp(-1.0 / 3)]
        let total = weights.reduce(0, +)
        let mean = (weights[2] - weights[0]) / total
        let spread = (weights[0] * pow(-1 - mean, 2) + weights[1] * mean * mean + weights[2] * pow(1 - mean, 2)) / total

        var estimator = CapacityEstimator(configuration: Self.configuration(variation: nil), initialCapacity: 0,
                                          grid: [-1, 0, 1], gridCorrection: 0)
        estimator.add(Self.challenge(Item(a: 1, b: 0, correct: true)), correct: true)
        #expect(abs(estimator.estimate.capacity - mean) < 1e-15)
        #expect(abs(estimator.estimate.errorRate - sqrt(spread)) < 1e-15)

        let naive = Self.naiveFlash(grid: [-1, 0, 1], items: [Item(a: 1, b: 0, correct: true)], start: 0,
                                    variation: nil, correction: 0)
        #expect(abs(naive[0].0 - mean) < 1e-15)
    }

    @Test func twoAnswersOnThreePointGridWithCappingMatchNaive() {
        let items = [Item(a: 1, b: 0, correct: true), Item(a: 2, b: 1, correct: false)]
        for variation in [nil, 0.05, 0.5] as [Double?] {
            var estimator = CapacityEstimator(configuration: Self.configuration(variation: variation), initialCapacity: 0,
                                              grid: [-1, 0, 1], gridCorrection: 0.001)
            let naive = Self.naiveFlash(grid: [-1, 0, 1], items: items, start: 0, variation: variation, correction: 0.001)
            for (step, item) in items.enumerated() {
                estimator.add(Self.challenge(item), correct: item.correct)
                #expect(abs(estimator.estimate.capacity - naive[step].0) < 1e-14)
                #expect(abs(estimator.estimate.errorRate - naive[step].1) < 1e-14)
            }
        }
        // With v = 0.05 and a start inside (−v, v), the first move is capped at exactly +0.05,
        // and the error rate is measured around the capped value.
        var capped = CapacityEstimator(configuration: Self.configuration(variation: 0.05), initialCapacity: 0,
                                       grid: [-1, 0, 1], gridCorrection: 0)
        capped.add(Self.challenge(items[0]), correct: true)
        #expect(capped.estimate.capacity == 0.05)
    }

    @Test func gapIsProportionalOutsideTheBand() {
        // Start −3, v = 0.5: gap |−3·0.5| = 1.5, so one correct answer on a hard item (b = 4) would move the raw estimate far up; it moves
        // at most to −1.5.
        var estimator = CapacityEstimator(configuration: Self.configuration(variation: 0.5))
        estimator.add(Self.challenge(Item(a: 3, b: 4, correct: true)), correct: true)
        #expect(estimator.estimate.capacity == -1.5)
    }

    // MARK: Full grid against the naive implementation.

    static func randomItems(seed: UInt64, count: Int) -> [Item] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            Item(a: 0.3 + 2.5 * random.nextUnitInterval(), b: -4 + 8 * random.nextUnitInterval(),
                 correct: random.nextUnitInterval() < 0.6)
        }
    }

    @Test(arguments: [nil, 0.3, 0.5, 1.0] as [Double?])
    func flashMatchesNaiveOnTheFullGrid(variation: Double?) {
        for seed in UInt64(1)...5 {
            let items = Self.randomItems(seed: seed, count: 32)
            let naive = Self.naiveFlash(grid: CapacityGrid.points, items: items, start: -3, variation: variation,
                                        correction: pow(9.0 / 80, 2) / 12)
            var estimator = CapacityEstimator(configuration: Self.configuration(variation: variation))
            for (step, item) in items.enumerated() {
                estimator.add(Self.challenge(item), correct: item.correct)
                #expect(abs(estimator.estimate.capacity - naive[step].0) < 1e-10)
                #expect(abs(estimator.estimate.errorRate - naive[step].1) < 1e-10)
            }
        }
    }

    @Test func eapMatchesNaiveAndIgnoresCapping() {
        for seed in UInt64(10)...14 {
            let items = Self.randomItems(seed: seed, count: 32)
            var estimator = CapacityEstimator(configuration: Self.configuration(variation: 0.01, estimator: .eap))
            for (step, item) in items.enumerated() {
                estimator.add(Self.challenge(item), correct: item.correct)
                let naive = Self.naiveEAP(grid: CapacityGrid.points, items: Array(items.prefix(step + 1)))
                #expect(abs(estimator.estimate.capacity - naive.0) < 1e-10)
                #expect(abs(estimator.estimate.errorRate - naive.1) < 1e-10)
            }
        }
    }

    @Test func historySkipsNothingAndRejectsUnknownChallenges() throws {
        let bank = try Fixtures.scoreBank()
        let answers = [Answer(challengeId: "f0003", result: .ok), Answer(challengeId: "f0030", result: .skipped)]
        let history = try CapacityEstimation.history(of: answers, in: bank, configuration: .default)
        #expect(history.count == 2)
        #expect(throws: ScoringError(.unknownChallenge, "challenge \"nope\" is not in the bank")) {
            try CapacityEstimation.history(of: [Answer(challengeId: "nope", result: .ok)], in: bank, configuration: .default)
        }
    }

    @Test func everyNonOkResultCountsAsWrong() {
        let item = Item(a: 1.3, b: 0.2, correct: false)
        var reference = CapacityEstimator(configuration: .default)
        reference.add(Self.challenge(item), correct: false)
        for result in AnswerResult.allCases {
            var estimator = CapacityEstimator(configuration: .default)
            estimator.add(Self.challenge(item), correct: result.isCorrect)
            #expect((estimator == reference) == (result != .ok))
        }
    }
}
