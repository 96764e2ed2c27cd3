import Testing
@testable import CertLoad
import CertTestSupport

@Suite struct TimelineTests {
    @Test func bucketsCountAnswersAndKeepThePeak() {
        var timeline = Timeline(clock: .simulated, bucketSeconds: 60)
        for i in 0..<100 { timeline.recordAnswer(atSeconds: 10, latencyMicroseconds: UInt64(i + 1)) }
        timeline.recordActiveCandidates(5, atSeconds: 0)
        timeline.recordActiveCandidates(9, atSeconds: 59)
        timeline.recordActiveCandidates(7, atSeconds: 30)
        timeline.recordCertificationCompleted(atSeconds: 130)
        let rows = timeline.rows
        #expect(rows.count == 3)
        #expect(rows[0].answers == 100 && rows[0].activeCandidates == 9 && rows[0].p99Microseconds == 99)
        #expect(rows[0].p50Microseconds == 50 && rows[0].maxMicroseconds == 100)
        #expect(rows[0].answersPerSecond == 100.0 / 60)
        #expect(rows[1].answers == 0 && rows[1].p99Microseconds == nil)
        #expect(rows[2].certificationsCompleted == 1 && rows[2].startSeconds == 120)
    }

    @Test func aSpanOfActiveCandidatesFillsTheBucketsItCrosses() {
        var timeline = Timeline(clock: .simulated, bucketSeconds: 60)
        // 40 tests running from 0:30 to 4:10, then 10 until 5:00: minutes 1–3 have no event.
        timeline.recordActiveCandidates(40, fromSeconds: 30, toSeconds: 250)
        timeline.recordActiveCandidates(10, fromSeconds: 250, toSeconds: 300)
        #expect(timeline.rows.map(\.activeCandidates) == [40, 40, 40, 40, 40, 10])
    }

    @Test func coarsensInsteadOfGrowingPastTheLimit() {
        var timeline = Timeline(clock: .real, bucketSeconds: 1, bucketsMax: 4)
        for second in 0..<10 { timeline.recordAnswer(atSeconds: Double(second) + 0.5, latencyMicroseconds: 10) }
        #expect(timeline.bucketSeconds == 4)
        let rows = timeline.rows
        #expect(rows.count == 3)
        #expect(rows.map(\.answers) == [4, 4, 2])
        #expect(rows.map(\.answers).reduce(0, +) == 10)
    }

    @Test func mergeAddsBuckets() {
        var a = Timeline(clock: .real, bucketSeconds: 1), b = Timeline(clock: .real, bucketSeconds: 1)
        a.recordAnswer(atSeconds: 0.2, latencyMicroseconds: 5)
        b.recordAnswer(atSeconds: 0.7, latencyMicroseconds: 7)
        b.recordAnswer(atSeconds: 2.1, latencyMicroseconds: 7)
        a.merge(b)
        #expect(a.rows.map(\.answers) == [2, 0, 1])
        #expect(a.rows[0].maxMicroseconds == 7)
    }
}

@Suite struct DayShapeTests {
    @Test func planOpensEverySessionOfEveryWave() {
        var day = DayShape()
        day.centres = 3; day.sessionsPerCentre = 2; day.waves = 2; day.waveSpacingMinutes = 120
        day.candidatesPerSession = CountRange(20, 30)
        var random = SplitMix64(seed: 1)
        let plan = day.plan(using: &random)
        #expect(plan.count == 12)
        #expect(plan.map(\.index) == Array(0..<12))
        #expect(plan.filter { $0.wave == 1 }.allSatisfy { $0.opensAtSeconds == 7200 })
        #expect(plan.allSatisfy { (20...30).contains($0.candidates) })
        var again = SplitMix64(seed: 1)
        #expect(day.plan(using: &again) == plan)
    }

    @Test func explicitTotalDerivesTheWaves() {
        var day = DayShape()
        day.centres = 2; day.candidatesPerSession = CountRange(fixed: 30); day.candidates = 100
        var random = SplitMix64(seed: 1)
        let plan = day.plan(using: &random)
        #expect(plan.map(\.candidates) == [30, 30, 30, 10])
        #expect(plan.map(\.wave) == [0, 0, 1, 1])
        #expect(day.plannedCandidatesMax == 100)
    }
}
