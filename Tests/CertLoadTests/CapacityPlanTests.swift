import Foundation
import Testing
@testable import CertLoad

/// The capacity search's arithmetic, against hand-worked values.
@Suite struct CapacityPlanTests {
    // MARK: schedule

    @Test func doublingStopsAtTheMaximum() {
        // 8, 16, 32, 64; 128 overshoots 100, so 100 closes the schedule.
        #expect(CapacityPlan.concurrencies(start: 8, growth: 2, max: 100) == [8, 16, 32, 64, 100])
        // An exact hit is not repeated.
        #expect(CapacityPlan.concurrencies(start: 8, growth: 2, max: 64) == [8, 16, 32, 64])
    }

    @Test func aFractionalFactorRoundsToTheNearest() {
        // 10 × 1.5 = 15; 22.5 → 23; 34.5 → 35; 52.5 overshoots 40 → 40.
        #expect(CapacityPlan.concurrencies(start: 10, growth: 1.5, max: 40) == [10, 15, 23, 35, 40])
    }

    @Test func aSmallFactorStillMovesByOne() {
        // 2 × 1.1 = 2.2 → 2, raised to 3; 3.3 → 3, raised to 4; 4.4 → 4, raised to 5 = max.
        #expect(CapacityPlan.concurrencies(start: 2, growth: 1.1, max: 5) == [2, 3, 4, 5])
    }

    @Test func degenerateRanges() {
        #expect(CapacityPlan.concurrencies(start: 64, growth: 2, max: 64) == [64])
        #expect(CapacityPlan.concurrencies(start: 5, growth: 2, max: 4) == [])
        #expect(CapacityPlan.concurrencies(start: 0, growth: 2, max: 4) == [])
    }

    // MARK: step size

    @Test func aStepHasAtLeastThreeCertificationsPerSlot() {
        let settings = CapacitySettings()
        #expect(CapacityPlan.stepCandidates(concurrency: 16, settings: settings, previousCertificationsPerSecond: nil) == 48)
        #expect(CapacityPlan.stepCandidates(concurrency: 16, settings: settings, previousCertificationsPerSecond: 99) == 48)
    }

    @Test func aFixedStepSizeIsRaisedToTheMinimum() {
        var settings = CapacitySettings()
        settings.stepCandidates = 100
        #expect(CapacityPlan.stepCandidates(concurrency: 16, settings: settings, previousCertificationsPerSecond: nil) == 100)
        #expect(CapacityPlan.stepCandidates(concurrency: 64, settings: settings, previousCertificationsPerSecond: nil) == 192)
    }

    @Test func aTimedStepIsSizedFromThePreviousRate() {
        var settings = CapacitySettings()
        settings.stepSeconds = 5
        // 5 s × 30.2 certifications/s = 151.
        #expect(CapacityPlan.stepCandidates(concurrency: 16, settings: settings, previousCertificationsPerSecond: 30.2) == 151)
        // The minimum wins at 100 slots: 300.
        #expect(CapacityPlan.stepCandidates(concurrency: 100, settings: settings, previousCertificationsPerSecond: 30.2) == 300)
        // The first step has no previous rate: 100 certifications, or the minimum when larger (3 × 40 = 120).
        #expect(CapacityPlan.stepCandidates(concurrency: 16, settings: settings, previousCertificationsPerSecond: nil) == 100)
        #expect(CapacityPlan.stepCandidates(concurrency: 40, settings: settings, previousCertificationsPerSecond: nil) == 120)
    }

    // MARK: verdict

    @Test func aStepAtTheLimitPassesAndAboveFails() {
        let slo = CapacitySLO(p99NextMilliseconds: 20, p99AnswerMilliseconds: 20, errorsMax: 0)
        #expect(CapacityPlan.verdict(p99NextMicroseconds: 19_999, p99AnswerMicroseconds: 20_000, p99StartMicroseconds: nil,
                                     errors: 0, slo: slo) == [])
        let broken = CapacityPlan.verdict(p99NextMicroseconds: 5_000, p99AnswerMicroseconds: 31_250, p99StartMicroseconds: nil,
                                          errors: 2, slo: slo)
        #expect(broken == ["p99 answer 31.25 ms > 20 ms", "2 errors > 0"])
    }

    @Test func anUnmeasuredLimitIsBrokenAndAnAbsentOneIsNotChecked() {
        let slo = CapacitySLO(p99NextMilliseconds: 20)
        #expect(CapacityPlan.verdict(p99NextMicroseconds: nil, p99AnswerMicroseconds: nil, p99StartMicroseconds: nil,
                                     errors: 0, slo: slo) == ["p99 next not measured (limit 20 ms)"])
        #expect(CapacityPlan.verdict(p99NextMicroseconds: nil, p99AnswerMicroseconds: 9_999_999, p99StartMicroseconds: nil,
                                     errors: 3, slo: CapacitySLO(errorsMax: 3)) == [])
    }

    // MARK: knee

    static func step(_ load: Double, _ rate: Double, _ passed: Bool) -> CapacityStep {
        CapacityStep(load: load, loadUnit: CapacityStep.concurrentCandidatesUnit, answersPerSecond: rate,
                     p99NextMicroseconds: nil, errors: 0, passed: passed)
    }

    @Test func theFirstStepFailing() {
        let knee = CapacityPlan.knee([Self.step(8, 100, false)])
        #expect(knee == CapacityPlan.Knee(stepIndex: nil, brokenStepIndex: 0, answersPerSecond: nil, load: nil))
    }

    @Test func noStepFailingUpToTheMaximum() {
        let knee = CapacityPlan.knee([Self.step(8, 100, true), Self.step(16, 190, true), Self.step(32, 350, true)])
        #expect(knee == CapacityPlan.Knee(stepIndex: 2, brokenStepIndex: nil, answersPerSecond: 350, load: 32))
    }

    @Test func aFailureInTheMiddleEndsThePrefix() {
        // The pass after the failure is noise and does not count.
        let knee = CapacityPlan.knee([Self.step(8, 100, true), Self.step(16, 190, true), Self.step(32, 200, false),
                                      Self.step(64, 400, true)])
        #expect(knee == CapacityPlan.Knee(stepIndex: 1, brokenStepIndex: 2, answersPerSecond: 190, load: 16))
    }

    @Test func aNoisyDipKeepsTheBestRateAndTheLastPassingLoad() {
        let knee = CapacityPlan.knee([Self.step(8, 100, true), Self.step(16, 190, true), Self.step(32, 185, true),
                                      Self.step(64, 170, false)])
        #expect(knee == CapacityPlan.Knee(stepIndex: 2, brokenStepIndex: 3, answersPerSecond: 190, load: 32))
    }

    @Test func noStepsNoKnee() {
        #expect(CapacityPlan.knee([]) == CapacityPlan.Knee(stepIndex: nil, brokenStepIndex: nil, answersPerSecond: nil, load: nil))
    }

    // MARK: the scenario's peak

    @Test func anAcademyDayPeaksAtOneWave() throws {
        var day = DayShape()
        day.centres = 120
        day.waves = 4
        day.waveSpacingMinutes = 120
        day.sessionDurationMinutes = 105
        day.candidatesPerSession = CountRange(20, 30)
        var think = ThinkTime()
        think.medianSeconds = 45
        think.sigma = 0
        let peak = CapacityPlan.peak(day: day, thinkTime: think)
        // 105 / 120 → 1 wave at once; 120 rooms × 30; 45 s per answer without spread: 3600 / 45 = 80/s.
        #expect(peak.overlappingWaves == 1)
        #expect(peak.concurrentCandidates == 3600)
        #expect(peak.concurrentCandidatesPerCentre == 30)
        #expect(peak.secondsPerAnswer == 45)
        #expect(abs(peak.answersPerSecond - 80) < 1e-12)
    }

    @Test func overlappingWavesAddUp() {
        var day = DayShape()
        day.centres = 10
        day.sessionsPerCentre = 2
        day.waves = 4
        day.waveSpacingMinutes = 60
        day.sessionDurationMinutes = 105
        day.candidatesPerSession = CountRange(fixed: 25)
        // ⌈105 / 60⌉ = 2 waves: 2 × 20 sessions × 25 = 1000; a centre: 2 × 2 × 25 = 100.
        var peak = CapacityPlan.peak(day: day, thinkTime: ThinkTime())
        #expect(peak.overlappingWaves == 2 && peak.concurrentCandidates == 1000 && peak.concurrentCandidatesPerCentre == 100)
        // No spacing: every wave at once (3 here).
        day.waves = 3
        day.waveSpacingMinutes = 0
        peak = CapacityPlan.peak(day: day, thinkTime: ThinkTime())
        #expect(peak.overlappingWaves == 3 && peak.concurrentCandidates == 1500)
        // One wave can only overlap itself.
        day.waves = 1
        day.waveSpacingMinutes = 30
        #expect(CapacityPlan.peak(day: day, thinkTime: ThinkTime()).overlappingWaves == 1)
    }

    @Test func aYearShapeWithAnExplicitTotal() {
        var day = DayShape()
        day.centres = 200
        day.candidatesPerSession = CountRange(20, 30)
        day.candidates = 150_000
        day.waveSpacingMinutes = 120
        day.sessionDurationMinutes = 105
        // One wave at once: 200 × 30 = 6000 (below the total).
        #expect(CapacityPlan.peak(day: day, thinkTime: ThinkTime()).concurrentCandidates == 6000)
        day.candidates = 100
        #expect(CapacityPlan.peak(day: day, thinkTime: ThinkTime()).concurrentCandidates == 100)
    }

    @Test func thinkTimeMeanWithoutClampIsTheLogNormalMean() {
        // median · e^(σ²/2) = 45 · e^0.245.
        let mean = CapacityPlan.clampedLogNormalMean(median: 45, sigma: 0.7, minimum: 0, maximum: .infinity)
        #expect(abs(mean - 45 * exp(0.245)) < 1e-9)
        #expect(CapacityPlan.clampedLogNormalMean(median: 45, sigma: 0, minimum: 50, maximum: 60) == 50)
    }

    @Test func thinkTimeMeanWithClampMatchesANumericalIntegral() {
        for (median, sigma, low, high) in [(45.0, 0.7, 5.0, 480.0), (40, 0.6, 5, 300), (30, 1.5, 10, 60)] {
            // Midpoint rule over z in [-12, 12]: Σ clamp(median·e^(σz)) φ(z) dz.
            let steps = 400_000
            let width = 24.0 / Double(steps)
            var sum = 0.0
            for i in 0..<steps {
                let z = -12 + (Double(i) + 0.5) * width
                let x = min(high, max(low, median * exp(sigma * z)))
                sum += x * exp(-z * z / 2) / (2 * Double.pi).squareRoot() * width
            }
            let closed = CapacityPlan.clampedLogNormalMean(median: median, sigma: sigma, minimum: low, maximum: high)
            #expect(abs(closed - sum) < 1e-6, "median \(median) σ \(sigma): \(closed) vs \(sum)")
        }
    }

    @Test func sizingFromTheKnee() {
        let peak = CapacityPlan.Peak(overlappingWaves: 1, concurrentCandidates: 3600, concurrentCandidatesPerCentre: 30,
                                     secondsPerAnswer: 50, answersPerSecond: 72)
        let sizing = CapacityPlan.sizing(kneeAnswersPerSecond: 1000, peak: peak)
        // 1000 answers/s × 50 s = 50,000 candidates at once; 1000 / 72 = 13.89; ⌊50,000 / 30⌋ = 1666.
        #expect(sizing.equivalentCandidates == 50_000)
        #expect(abs(sizing.headroom - 1000.0 / 72.0) < 1e-12)
        #expect(sizing.centres == 1666)
    }
}
