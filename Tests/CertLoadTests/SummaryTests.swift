import Foundation
import Testing
@testable import CertLoad

func sampleSummary() -> Summary {
    let consistency = Consistency(samples: ConsistencyTests.samples, retest: [
        RetestPair(firstScore: 500, secondScore: 520, firstMeshLevel: 3, secondMeshLevel: 4),
    ])
    return Summary(
        scenario: "sample", seed: UInt64.max - 1, transport: "inproc", estimator: "flash", timeScale: 0, concurrency: 8,
        wallSeconds: 12.5, simulatedSeconds: 6300, cpuSeconds: 20.25, peakRSSBytes: 123_456_789, storeBytes: nil,
        certifications: .init(started: 4, completed: 4, validated: 3, rejected: 1), answers: 128,
        answersPerSecond: 10.24, certificationsPerSecond: 0.32, peakConcurrentCandidates: 4,
        latency: [
            "next": LatencyPercentiles(count: 100, meanMicroseconds: 900.5, p50Microseconds: 800, p90Microseconds: 2000,
                                       p99Microseconds: 25_000, p999Microseconds: 30_000, maxMicroseconds: 31_000),
            "answer": LatencyPercentiles(count: 100, meanMicroseconds: 500, p50Microseconds: 400, p90Microseconds: 900,
                                         p99Microseconds: 1_500, p999Microseconds: 2_000, maxMicroseconds: 2_100),
        ],
        errors: ["HTTP_503": 2], consistency: consistency, digest: String(repeating: "0f", count: 32),
        capacitySearch: [CapacityStep(load: 100, loadUnit: "concurrent candidates", answersPerSecond: 50,
                                      p99NextMicroseconds: 4_000, errors: 0, passed: true)])
}

@Suite struct SummaryTests {
    @Test func jsonRoundTrips() throws {
        let summary = sampleSummary()
        let data = try summary.jsonData()
        #expect(try Summary.decode(data) == summary)
        let text = String(decoding: data, as: UTF8.self)
        // Sorted keys, pretty-printed, nil optionals left out rather than NaN.
        let answers = try #require(text.range(of: "\"answers\""))
        let certifications = try #require(text.range(of: "\"certifications\""))
        #expect(answers.lowerBound < certifications.lowerBound)
        #expect(text.contains("\n  "))
        #expect(!text.contains("NaN"))
        #expect(text.contains("\"seed\" : 18446744073709551614"))
        // Derived figures are written for readers: 20.25 CPU s × 1000 / 128 answers, 2 errors, no thresholds.
        #expect(text.contains("\"cpuSecondsPerThousandAnswers\" : 158.203125"))
        #expect(text.contains("\"errorsTotal\" : 2"))
        #expect(text.contains("\"passed\" : true"))
    }

    @Test func theEngineStepAndTheRatioToItAreReported() throws {
        var summary = sampleSummary()
        #expect(summary.cpuPerAnswerOverEngineStep == nil, "no engine measured: no ratio")
        summary.engine = EngineSpeed(stepNanoseconds: 500, steps: 3_072, stepNanosecondsByQuestion: [:],
                                     bankChallenges: 1_200, estimator: "flash")
        // 20.25 CPU s / 128 answers = 158,203.125 µs per answer; ÷ 0.5 µs per step.
        #expect(summary.cpuMicrosecondsPerAnswer == 158_203.125)
        #expect(summary.cpuPerAnswerOverEngineStep == 316_406.25)
        let data = try summary.jsonData()
        #expect(try Summary.decode(data) == summary)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"cpuPerAnswerOverEngineStep\" : 316406.25"))
        #expect(text.contains("\"stepNanoseconds\" : 500"))
        let rendered = SummaryText.render(summary)
        #expect(rendered.contains("cpu per answer 158203.1 µs  engine step 500 ns (measured at the start, 3072 steps)  ratio 316406×"))
    }

    @Test func thresholdsPassAndFailWithSentences() throws {
        var thresholds = Thresholds()
        thresholds.latency = [LatencyThreshold(operation: "next", percentile: .p99, limitMilliseconds: 20),
                              LatencyThreshold(operation: "answer", percentile: .p99, limitMilliseconds: 20),
                              LatencyThreshold(operation: "verify", percentile: .p99, limitMilliseconds: 20)]
        thresholds.rmseMax = 0.7
        thresholds.errorsMax = 0
        thresholds.pearsonMin = 0.99
        thresholds.retestDeltaScoreMax = 30
        thresholds.digest = String(repeating: "0f", count: 32)
        var summary = sampleSummary()
        summary.thresholds = ThresholdCheck.evaluate(summary, against: thresholds)
        let byName = Dictionary(uniqueKeysWithValues: summary.thresholds.map { ($0.name, $0) })
        #expect(summary.thresholds.map(\.name) == ["p99_next_ms", "p99_answer_ms", "p99_verify_ms", "rmse_max", "pearson_min",
                                                   "errors_max", "retest_delta_score_max", "digest"])
        #expect(byName["p99_next_ms"]?.passed == false)
        #expect(byName["p99_next_ms"]?.measured == "25 ms")
        #expect(byName["p99_next_ms"]?.failure == "p99_next_ms: the p99 latency of 'next' is 25 ms, above the maximum 20 ms")
        #expect(byName["p99_answer_ms"]?.passed == true && byName["p99_answer_ms"]?.failure == nil)
        #expect(byName["p99_verify_ms"]?.passed == false && byName["p99_verify_ms"]?.measured == "not measured")
        #expect(byName["rmse_max"]?.passed == true)          // 0.6614 ≤ 0.7
        #expect(byName["pearson_min"]?.passed == false)      // 0.9458 < 0.99
        #expect(byName["errors_max"]?.failure?.contains("is 2, above the maximum 0") == true)
        #expect(byName["retest_delta_score_max"]?.passed == true)
        #expect(byName["digest"]?.passed == true)
        #expect(!summary.passed)
        #expect(ThresholdCheck.failures(summary.thresholds).count == 4)
        let text = SummaryText.render(summary)
        #expect(text.contains("broken: p99_next_ms"))
        #expect(text.contains("result: FAIL"))
    }

    @Test func digestMismatchFails() {
        var thresholds = Thresholds()
        thresholds.digest = String(repeating: "a", count: 64)
        let outcomes = ThresholdCheck.evaluate(sampleSummary(), against: thresholds)
        #expect(outcomes.count == 1 && !outcomes[0].passed)
        #expect(outcomes[0].failure?.contains("differs from the pinned") == true)
    }

    @Test func noThresholdsPass() {
        var summary = sampleSummary()
        summary.thresholds = ThresholdCheck.evaluate(summary, against: Thresholds())
        #expect(summary.thresholds.isEmpty && summary.passed)
    }
}
