import CertCore
/// Collects what a run measures while it runs: per-operation latency histograms (from the
/// intended send time), errors and retries by code, the two timelines (simulated minutes, real
/// seconds), candidates in progress and their peak. Candidates buffer their samples
/// (`CandidateSamples`) and hand them over in batches, so the actor is not a per-request hop.
///
/// Owned by the runner.
actor RunRecorder {
    private(set) var latency = LatencyRecorder()
    private(set) var errors = ErrorCounts()
    private(set) var retries = ErrorCounts()
    private(set) var simulatedTimeline = Timeline(clock: .simulated, bucketSeconds: 60)
    private(set) var realTimeline = Timeline(clock: .real, bucketSeconds: 1)
    private(set) var answers = 0
    private(set) var candidatesDone = 0
    private(set) var activeCandidates = 0
    private(set) var peakActiveCandidates = 0
    private(set) var simulatedEndSeconds = 0.0
    let beganUptimeNanoseconds: UInt64

    init(beganUptimeNanoseconds: UInt64) {
        self.beganUptimeNanoseconds = beganUptimeNanoseconds
    }

    func ingest(_ samples: CandidateSamples) {
        for sample in samples.latencies {
            latency.record(sample.operation, latencyMicroseconds: sample.latencyMicroseconds)
            let realSeconds = realSeconds(atUptime: sample.completedUptimeNanoseconds)
            if sample.isAnswer {
                answers += 1
                simulatedTimeline.recordAnswer(atSeconds: sample.simulatedSeconds, latencyMicroseconds: sample.latencyMicroseconds)
                realTimeline.recordAnswer(atSeconds: realSeconds, latencyMicroseconds: sample.latencyMicroseconds)
            } else {
                simulatedTimeline.recordLatency(atSeconds: sample.simulatedSeconds, latencyMicroseconds: sample.latencyMicroseconds)
                realTimeline.recordLatency(atSeconds: realSeconds, latencyMicroseconds: sample.latencyMicroseconds)
            }
            if sample.completedCertification {
                simulatedTimeline.recordCertificationCompleted(atSeconds: sample.simulatedSeconds)
                realTimeline.recordCertificationCompleted(atSeconds: realSeconds)
            }
        }
        errors.merge(samples.errors)
        retries.merge(samples.retries)
    }

    /// A candidate's test started (`delta` +1) or ended (−1) at real time `uptimeNanoseconds`.
    /// (The simulated timeline's counts are computed from the candidates' simulated intervals
    /// after the run, so they do not depend on how fast it ran.)
    func candidateActive(_ delta: Int, uptimeNanoseconds: UInt64) {
        activeCandidates += delta
        peakActiveCandidates = max(peakActiveCandidates, activeCandidates)
        realTimeline.recordActiveCandidates(activeCandidates, atSeconds: realSeconds(atUptime: uptimeNanoseconds))
    }

    func candidateDone(simulatedEndSeconds end: Double) {
        candidatesDone += 1
        simulatedEndSeconds = max(simulatedEndSeconds, end)
    }

    func recordError(_ code: ErrorCode) { errors.record(code) }

    /// What the progress line shows.
    func progress() -> (done: Int, answers: Int, p99Microseconds: UInt64?) {
        let p99 = [LatencyOperation.next, LatencyOperation.answer]
            .compactMap { latency.percentiles(for: $0)?.p99Microseconds }.max()
        return (candidatesDone, answers, p99)
    }

    private func realSeconds(atUptime uptime: UInt64) -> Double {
        uptime > beganUptimeNanoseconds ? Double(uptime - beganUptimeNanoseconds) / 1e9 : 0
    }
}

/// One timed request of a candidate.
struct LatencySample: Sendable {
    var operation: String
    var latencyMicroseconds: UInt64
    var completedUptimeNanoseconds: UInt64
    /// The candidate's simulated time when the request was due.
    var simulatedSeconds: Double
    var isAnswer: Bool
    var completedCertification: Bool
}

/// A candidate's samples not yet handed to the `RunRecorder`.
struct CandidateSamples: Sendable {
    /// Samples kept before a hand-over.
    static let batchMax = 16

    var latencies: [LatencySample] = []
    var errors = ErrorCounts()
    var retries = ErrorCounts()

    var isFull: Bool { latencies.count >= Self.batchMax }
    var isEmpty: Bool { latencies.isEmpty && errors.total == 0 && retries.total == 0 }
}
