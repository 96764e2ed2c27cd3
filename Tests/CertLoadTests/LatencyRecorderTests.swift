import Testing
@testable import CertLoad

@Suite struct LatencyRecorderTests {
    @Test func percentilesOfOneToHundredAreNearestRank() throws {
        var recorder = LatencyRecorder()
        for value in 1...100 { recorder.record("next", latencyMicroseconds: UInt64(value)) }
        let p = try #require(recorder.percentiles(for: "next"))
        // Nearest rank on 1…100: the k-th percentile is the ceil(k)-th value. Below 2,000 µs an HDR
        // histogram with 3 significant digits has unit resolution, so these are exact.
        #expect(p.count == 100)
        #expect(p.p50Microseconds == 50)
        #expect(p.p90Microseconds == 90)
        #expect(p.p99Microseconds == 99)
        #expect(p.p999Microseconds == 100)
        #expect(p.maxMicroseconds == 100)
        #expect(p.meanMicroseconds == 50.5)
    }

    @Test func largeValuesAreWithinHDRPrecision() throws {
        var recorder = LatencyRecorder()
        for k in 1...1000 { recorder.record("answer", latencyMicroseconds: UInt64(k) * 1_000) }   // 1 ms … 1 s
        let p = try #require(recorder.percentiles(for: "answer"))
        func within(_ measured: UInt64, _ exact: Double) -> Bool { abs(Double(measured) - exact) <= exact * 0.001 }
        #expect(within(p.p50Microseconds, 500_000))
        #expect(within(p.p90Microseconds, 900_000))
        #expect(within(p.p99Microseconds, 990_000))
        #expect(within(p.p999Microseconds, 999_000))
        #expect(p.maxMicroseconds == 1_000_000)
    }

    @Test func latencyCountsFromTheIntendedSendTime() throws {
        var recorder = LatencyRecorder()
        // Intended at t = 1 ms, sent late, completed at t = 3.5 ms: 2,500 µs, not the send-to-reply time.
        recorder.record("next", intendedNanoseconds: 1_000_000, completedNanoseconds: 3_500_000)
        // Completion before the intended time counts as zero.
        recorder.record("start", intendedNanoseconds: 5_000, completedNanoseconds: 1_000)
        #expect(recorder.percentiles(for: "next")?.maxMicroseconds == 2_500)
        #expect(recorder.percentiles(for: "start")?.maxMicroseconds == 0)
        #expect(recorder.percentiles(for: "verify") == nil)
    }

    @Test func mergingEqualsRecordingInOne() {
        var a = LatencyRecorder(), b = LatencyRecorder(), all = LatencyRecorder()
        for value in 1...50 { a.record("next", latencyMicroseconds: UInt64(value)); all.record("next", latencyMicroseconds: UInt64(value)) }
        for value in 51...100 { b.record("next", latencyMicroseconds: UInt64(value)); all.record("next", latencyMicroseconds: UInt64(value)) }
        b.record("answer", latencyMicroseconds: 7); all.record("answer", latencyMicroseconds: 7)
        a.merge(b)
        #expect(a.allPercentiles() == all.allPercentiles())
        #expect(a.operations == ["answer", "next"])
        #expect(a.percentiles(for: "next")?.p50Microseconds == 50)
    }

    @Test func errorCountsMerge() {
        var a = ErrorCounts(), b = ErrorCounts()
        a.record("HTTP_503"); a.record("TIMEOUT", count: 2); b.record("HTTP_503")
        a.merge(b)
        #expect(a.byCode == ["HTTP_503": 2, "TIMEOUT": 2])
        #expect(a.total == 4)
    }
}
