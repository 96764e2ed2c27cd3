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
        let length = fixture.length
        var tests = try fixture.tests(answered: 0, count: (benchmark.scaledIterations.count + length - 1) / length)
        benchmark.startMeasurement()
        blackHole(try fixture.wholeTests(&tests))
        benchmark.stopMeasurement()
    }

    for question in EngineFixture.questions {
        // Answer to question `question`, then the pick of question `question + 1`.
        Benchmark("Engine step (record + next) q\(question)") { benchmark in
            var tests = try fixture.tests(pendingQuestion: question, count: benchmark.scaledIterations.count)
            var randoms = fixture.randoms(question: question + 1, count: tests.count)
            benchmark.startMeasurement()
            blackHole(try fixture.step(&tests, randoms: &randoms, question: question))
            benchmark.stopMeasurement()
        }

        // The pick of question `question` (rules, ranking, draw) with `question − 1` answers.
        Benchmark("Engine selection q\(question)") { benchmark in
            var tests = try fixture.tests(answered: question - 1, count: benchmark.scaledIterations.count)
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
                                    bank: fixture.bank, version: BuiltInVersions.coreV3,
                                    configuration: fixture.configuration))
    }
    Benchmark("Scoring 24 answers + downgrade", configuration: .init(scalingFactor: .one, maxIterations: 2_000)) { benchmark in
        blackHole(try Scoring.score(answers: Array(fixture.answers.prefix(24)), abortReason: .candidate,
                                    validatedAlertChallengeIds: [], bank: fixture.bank,
                                    version: BuiltInVersions.coreV3, configuration: fixture.configuration))
    }

    for kind in EstimatorKind.allCases {
        let configuration = {
            var configuration = AlgorithmConfiguration.default
            configuration.estimator = kind
            return configuration
        }()
        // Recording the 16th answer: the estimate update (table-driven) and the rule masks.
        Benchmark("Estimate update \(kind.rawValue) q16 (record)") { benchmark in
            var tests = try fixture.tests(pendingQuestion: 16, count: benchmark.scaledIterations.count,
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

/// The engine step loop of `certsim bench engine` (CertCore's `EngineStepLoop`) on the default bank.
enum EngineFixture {
    static let shared: EngineStepLoop = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Scenarios/banks/crcn-synthetic-1.json").path
        do {
            return try EngineStepLoop(bank: try ItemBank.load(path: path), configuration: .default)
        } catch {
            fatalError("cannot load the default bank's seeded test: \(error)")
        }
    }()
    static let questions = EngineStepLoop.questions

    static func random(question: Int) -> SeededRandom { EngineStepLoop.random(question: question) }
}
