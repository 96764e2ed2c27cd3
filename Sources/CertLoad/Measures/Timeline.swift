import Histogram

/// A run over time, in fixed-width buckets: active candidates, answers, certifications completed and
/// latency percentiles per bucket. The runner keeps two: one per simulated minute and one per real
/// second.
///
/// Bounded: at most `bucketsMax` buckets; when a record falls past them, adjacent buckets are merged in
/// pairs and the width doubles, as often as needed (a year-scale run ends with coarse buckets, never
/// with unbounded memory).
///
/// ```swift
/// var perMinute = Timeline(clock: .simulated, bucketSeconds: 60)
/// perMinute.recordAnswer(atSeconds: t, latencyMicroseconds: 850)
/// perMinute.recordActiveCandidates(412, atSeconds: t)
/// ```
///
/// Owned by CertLoad's measures half.
public struct Timeline: Sendable {
    /// Which clock a timeline's seconds are on.
    public enum Clock: String, Sendable, Codable, CaseIterable { case simulated, real }

    public let clock: Clock
    /// Current bucket width (doubles when the timeline coarsens).
    public private(set) var bucketSeconds: Double
    public let bucketsMax: Int
    private var buckets: [Bucket] = []

    public static let bucketsMaxDefault = 1_440

    struct Bucket: Sendable {
        var activeCandidatesMax = 0
        var answers = 0
        var certificationsCompleted = 0
        var latency = Histogram<UInt32>(numberOfSignificantValueDigits: .two)

        mutating func merge(_ other: Bucket) {
            activeCandidatesMax = max(activeCandidatesMax, other.activeCandidatesMax)
            answers += other.answers
            certificationsCompleted += other.certificationsCompleted
            latency.add(other.latency)
        }
    }

    public init(clock: Clock, bucketSeconds: Double, bucketsMax: Int = Timeline.bucketsMaxDefault) {
        precondition(bucketSeconds > 0 && bucketsMax >= 2, "a timeline needs a positive width and at least two buckets")
        self.clock = clock
        self.bucketSeconds = bucketSeconds
        self.bucketsMax = bucketsMax
    }

    private mutating func index(atSeconds seconds: Double) -> Int {
        var index = Int((max(0, seconds) / bucketSeconds).rounded(.down))
        while index >= bucketsMax {
            coarsen()
            index = Int((max(0, seconds) / bucketSeconds).rounded(.down))
        }
        if index >= buckets.count { buckets.append(contentsOf: repeatElement(Bucket(), count: index + 1 - buckets.count)) }
        return index
    }

    private mutating func coarsen() {
        var merged: [Bucket] = []
        merged.reserveCapacity((buckets.count + 1) / 2)
        var i = 0
        while i < buckets.count {
            var bucket = buckets[i]
            if i + 1 < buckets.count { bucket.merge(buckets[i + 1]) }
            merged.append(bucket)
            i += 2
        }
        buckets = merged
        bucketSeconds *= 2
    }

    /// One answer acknowledged at `seconds`, with its latency (from the intended send time).
    public mutating func recordAnswer(atSeconds seconds: Double, latencyMicroseconds: UInt64) {
        let i = index(atSeconds: seconds)
        buckets[i].answers += 1
        _ = buckets[i].latency.record(latencyMicroseconds)
    }

    /// Any other timed request at `seconds` (counts in the latency percentiles, not in answers).
    public mutating func recordLatency(atSeconds seconds: Double, latencyMicroseconds: UInt64) {
        let i = index(atSeconds: seconds)
        _ = buckets[i].latency.record(latencyMicroseconds)
    }

    /// A sample of the number of candidates with a test in progress; the bucket keeps the largest.
    public mutating func recordActiveCandidates(_ count: Int, atSeconds seconds: Double) {
        let i = index(atSeconds: seconds)
        buckets[i].activeCandidatesMax = max(buckets[i].activeCandidatesMax, count)
    }

    /// `count` tests in progress throughout [from, to]: every bucket the span touches keeps at
    /// least `count`, so a bucket in which no test started or ended still shows the tests running
    /// through it (not zero).
    public mutating func recordActiveCandidates(_ count: Int, fromSeconds from: Double, toSeconds to: Double) {
        // The end's index first: reaching it may coarsen the buckets, which moves the start's.
        let last = index(atSeconds: max(from, to))
        let first = index(atSeconds: from)
        for i in first...last {
            buckets[i].activeCandidatesMax = max(buckets[i].activeCandidatesMax, count)
        }
    }

    /// A certification completed (scored) at `seconds`.
    public mutating func recordCertificationCompleted(atSeconds seconds: Double) {
        buckets[index(atSeconds: seconds)].certificationsCompleted += 1
    }

    /// Adds another timeline on the same clock (e.g. from another task). Widths are brought to the
    /// coarser of the two.
    public mutating func merge(_ other: Timeline) {
        precondition(clock == other.clock, "cannot merge timelines on different clocks")
        var other = other
        while bucketSeconds < other.bucketSeconds { coarsen() }
        while other.bucketSeconds < bucketSeconds { other.coarsen() }
        for (offset, bucket) in other.buckets.enumerated() {
            let i = index(atSeconds: (Double(offset) + 0.5) * other.bucketSeconds)
            buckets[i].merge(bucket)
        }
    }

    /// The buckets as report rows, in time order.
    public var rows: [TimelineRow] {
        buckets.enumerated().map { offset, bucket in
            let hasLatency = bucket.latency.totalCount > 0
            return TimelineRow(
                clock: clock, startSeconds: Double(offset) * bucketSeconds, widthSeconds: bucketSeconds,
                activeCandidates: bucket.activeCandidatesMax, answers: bucket.answers,
                certificationsCompleted: bucket.certificationsCompleted,
                p50Microseconds: hasLatency ? bucket.latency.valueAtPercentile(50) : nil,
                p90Microseconds: hasLatency ? bucket.latency.valueAtPercentile(90) : nil,
                p99Microseconds: hasLatency ? bucket.latency.valueAtPercentile(99) : nil,
                maxMicroseconds: hasLatency ? bucket.latency.maxRecorded : nil)
        }
    }
}

/// One bucket of a ``Timeline``, as written to timeline.csv. Latency fields are nil for a bucket
/// without requests.
///
/// Owned by CertLoad's measures half.
public struct TimelineRow: Sendable, Codable, Equatable {
    public var clock: Timeline.Clock
    public var startSeconds: Double
    public var widthSeconds: Double
    /// Largest number of tests in progress seen in the bucket.
    public var activeCandidates: Int
    public var answers: Int
    public var certificationsCompleted: Int
    public var p50Microseconds: UInt64?
    public var p90Microseconds: UInt64?
    public var p99Microseconds: UInt64?
    public var maxMicroseconds: UInt64?

    public init(clock: Timeline.Clock, startSeconds: Double, widthSeconds: Double, activeCandidates: Int, answers: Int,
                certificationsCompleted: Int, p50Microseconds: UInt64?, p90Microseconds: UInt64?,
                p99Microseconds: UInt64?, maxMicroseconds: UInt64?) {
        self.clock = clock
        self.startSeconds = startSeconds
        self.widthSeconds = widthSeconds
        self.activeCandidates = activeCandidates
        self.answers = answers
        self.certificationsCompleted = certificationsCompleted
        self.p50Microseconds = p50Microseconds
        self.p90Microseconds = p90Microseconds
        self.p99Microseconds = p99Microseconds
        self.maxMicroseconds = maxMicroseconds
    }

    /// Answers per second over the bucket.
    public var answersPerSecond: Double { Double(answers) / widthSeconds }
}
