import Benchmark
import CertCore
import Foundation

/// The engine's hot path on the default bank: estimate update, next-challenge selection and one
/// full answer step (record + next), at questions 1, 16 and 31 of a seeded test.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 200
    )
    let fixture = EngineFixture.shared

    // Whole tests answered in place, one state at a time (warm in cache): record + next for
    // every question 1...32, reported per answer.
    Benchmark("Engine step (record + next), whole test, per answer") { benchmark in
        let steps = benchmark.scaledIterations.count
        let length = fixture.configuration.maximumAssessmentLength
        var tests = (0..<(steps + length - 1) / length).map { _ in
            AdaptiveTest(bank: fixture.bank, configuration: fixture.configuration)
        }
        let randoms = (1...length).map(EngineFixture.random(question:))
        for index in tests.indices {
            var random = randoms[0]
            blackHole(try tests[index].nextChallenge(using: &random))
        }
        benchmark.startMeasurement()
        var done = 0
        testLoop: for index in tests.indices {
            for question in 1..<length {
                try tests[index].record(fixture.answers[question - 1])
                var random = randoms[question]
                blackHole(try tests[index].nextChallenge(using: &random))
                done += 1
                if done == steps { break testLoop }
            }
            try tests[index].record(fixture.answers[length - 1])
            done += 1
            if done == steps { break testLoop }
        }
        benchmark.stopMeasurement()
    }

    for question in EngineFixture.questions {
        // Answer to question `question`, then the pick of question `question + 1`.
        Benchmark("Engine step (record + next) q\(question)") { benchmark in
            var tests = fixture.tests(pendingQuestion: question, count: benchmark.scaledIterations.count)
            var randoms = fixture.randoms(question: question + 1, count: tests.count)
            let answer = fixture.answers[question - 1]
            benchmark.startMeasurement()
            for index in tests.indices {
                try tests[index].record(answer)
                blackHole(try tests[index].nextChallenge(using: &randoms[index]))
            }
            benchmark.stopMeasurement()
        }

        // The pick of question `question` (rules, ranking, draw) with `question − 1` answers.
        Benchmark("Engine selection q\(question)") { benchmark in
            var tests = fixture.tests(answered: question - 1, count: benchmark.scaledIterations.count)
            var randoms = fixture.randoms(question: question, count: tests.count)
            benchmark.startMeasurement()
            for index in tests.indices {
                blackHole(try tests[index].nextChallenge(using: &randoms[index]))
            }
            benchmark.stopMeasurement()
        }
    }

    // Scoring a finished 32-answer test, and an abandoned one (24 answers, candidate abort:
    // the 8 missing answers are simulated).
    Benchmark("Scoring 32 answers", configuration: .init(scalingFactor: .one, maxIterations: 20_000)) { benchmark in
        blackHole(try Scoring.score(answers: fixture.answers, abortReason: nil, validatedAlertChallengeIds: [],
                                    bank: fixture.bank, configuration: fixture.configuration))
    }
    Benchmark("Scoring 24 answers + downgrade", configuration: .init(scalingFactor: .one, maxIterations: 2_000)) { benchmark in
        blackHole(try Scoring.score(answers: Array(fixture.answers.prefix(24)), abortReason: .candidate,
                                    validatedAlertChallengeIds: [], bank: fixture.bank,
                                    configuration: fixture.configuration))
    }

    for kind in EstimatorKind.allCases {
        let configuration = {
            var configuration = AlgorithmConfiguration.default
            configuration.estimator = kind
            return configuration
        }()
        // Recording the 16th answer: the estimate update (table-driven) and the rule masks.
        Benchmark("Estimate update \(kind.rawValue) q16 (record)") { benchmark in
            var tests = fixture.tests(pendingQuestion: 16, count: benchmark.scaledIterations.count,
                                      configuration: configuration)
            let answer = fixture.answers[15]
            benchmark.startMeasurement()
            for index in tests.indices {
                try tests[index].record(answer)
            }
            benchmark.stopMeasurement()
        }

        // The public estimator on its own: one exponential per grid point for P, no tables.
        Benchmark("Estimate update \(kind.rawValue) q16 (CapacityEstimator.add)") { benchmark in
            // Each estimator is built on its own, so the measured update pays no copy-on-write.
            var estimators = (0..<benchmark.scaledIterations.count).map { _ in
                var estimator = CapacityEstimator(configuration: configuration)
                for (challenge, correct) in fixture.journal.prefix(15) { estimator.add(challenge, correct: correct) }
                return estimator
            }
            let (challenge, correct) = fixture.journal[15]
            benchmark.startMeasurement()
            for index in estimators.indices {
                estimators[index].add(challenge, correct: correct)
            }
            benchmark.stopMeasurement()
            blackHole(estimators[0].estimate)
        }
    }
}

/// A seeded 32-question test on the default bank, replayable at any question.
final class EngineFixture: Sendable {
    static let shared = EngineFixture()
    static let questions = [1, 16, 31]
    static let seed: UInt64 = 20_240_601
    /// Capacity of the simulated candidate who answers.
    static let trueCapacity = 0.4

    let bank: ItemBank
    let configuration = AlgorithmConfiguration.default
    /// Answers of the seeded test, in order.
    let answers: [Answer]
    /// Challenge served at each question, in order.
    let served: [String]
    let journal: [(challenge: Challenge, correct: Bool)]

    init() {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Scenarios/banks/crcn-synthetic-1.json").path
        do {
            bank = try ItemBank.load(path: path)
        } catch {
            fatalError("cannot load the default bank: \(error)")
        }
        var test = AdaptiveTest(bank: bank, configuration: configuration)
        var behaviour = SeededRandom(seed: Self.seed, SeededRandom.key("behaviour"))
        var answers: [Answer] = []
        var served: [String] = []
        var journal: [(challenge: Challenge, correct: Bool)] = []
        for question in 1...configuration.maximumAssessmentLength {
            var random = Self.random(question: question)
            guard let challenge = try? test.nextChallenge(using: &random) else { fatalError("selection failed") }
            let p = ResponseModel.probabilityCorrect(
                capacity: Self.trueCapacity, discriminant: challenge.discriminant, difficulty: challenge.difficulty)
            let answer = Answer(challengeId: challenge.id, result: behaviour.nextUnitInterval() < p ? .ok : .ko)
            try? test.record(answer)
            served.append(challenge.id)
            answers.append(answer)
            journal.append((challenge, answer.result == .ok))
        }
        self.answers = answers
        self.served = served
        self.journal = journal
    }

    static func random(question: Int) -> SeededRandom {
        SeededRandom(seed: seed, SeededRandom.key("pick"), UInt64(question))
    }

    func randoms(question: Int, count: Int) -> [SeededRandom] {
        Array(repeating: Self.random(question: question), count: count)
    }

    /// `count` independent tests with `answered` answers and nothing pending.
    func tests(answered: Int, count: Int) -> [AdaptiveTest] {
        (0..<count).map { _ in replay(answered: answered, pending: nil) }
    }

    /// `count` independent tests with question `pendingQuestion` served and not yet answered.
    func tests(pendingQuestion: Int, count: Int, configuration: AlgorithmConfiguration? = nil) -> [AdaptiveTest] {
        (0..<count).map { _ in
            replay(answered: pendingQuestion - 1, pending: served[pendingQuestion - 1], configuration: configuration)
        }
    }

    private func replay(answered: Int, pending: String?, configuration: AlgorithmConfiguration? = nil) -> AdaptiveTest {
        do {
            return try AdaptiveTest.replay(
                bank: bank, configuration: configuration ?? self.configuration, answers: Array(answers.prefix(answered)),
                validatedAlertChallengeIds: [], currentChallengeId: pending)
        } catch {
            fatalError("replay failed: \(error)")
        }
    }
}
