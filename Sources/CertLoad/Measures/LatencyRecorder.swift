import CertCore
import Histogram

/// Per-operation latency histograms (HDR, 3 significant digits, microseconds), mergeable across tasks.
///
/// Latency is measured from the **intended** send time — when the simulated schedule says the request
/// should leave — not from when the client got round to sending it, so a stall that delays later
/// requests shows up in their latency instead of hiding (no coordinated omission). Each task keeps its
/// own recorder and the runner merges them at the end (or per reporting interval).
///
/// ```swift
/// var recorder = LatencyRecorder()
/// recorder.record(LatencyOperation.next, intendedNanoseconds: due, completedNanoseconds: now)
/// let next = recorder.percentiles(for: LatencyOperation.next)   // p50…max in µs
/// ```
///
/// Owned by CertLoad's measures half.
public struct LatencyRecorder: Sendable {
    /// Operation name → histogram of latencies in microseconds.
    public private(set) var histograms: [String: Histogram<UInt64>] = [:]

    public init() {}

    /// Records one latency in microseconds.
    public mutating func record(_ operation: String, latencyMicroseconds: UInt64) {
        _ = histograms[operation, default: Self.makeHistogram()].record(latencyMicroseconds)
    }

    /// Records one latency from the intended send time to completion, both in nanoseconds of the same
    /// monotonic clock. A completion before the intended time (clock skew, early send) counts as 0.
    public mutating func record(_ operation: String, intendedNanoseconds: UInt64, completedNanoseconds: UInt64) {
        let elapsed = completedNanoseconds > intendedNanoseconds ? completedNanoseconds - intendedNanoseconds : 0
        record(operation, latencyMicroseconds: elapsed / 1_000)
    }

    /// Adds every latency of `other` into this recorder.
    public mutating func merge(_ other: LatencyRecorder) {
        for (operation, histogram) in other.histograms {
            if histograms[operation] == nil {
                histograms[operation] = histogram
            } else {
                histograms[operation]!.add(histogram)
            }
        }
    }

    /// Operations recorded, sorted by name.
    public var operations: [String] { histograms.keys.sorted() }

    /// Percentiles of one operation; nil when it was never recorded.
    public func percentiles(for operation: String) -> LatencyPercentiles? {
        histograms[operation].map(LatencyPercentiles.init(histogram:))
    }

    /// Percentiles of every operation.
    public func allPercentiles() -> [String: LatencyPercentiles] {
        histograms.mapValues(LatencyPercentiles.init(histogram:))
    }

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    }
}

/// Summary statistics of one operation's latency, in microseconds. Values come from an HDR histogram
/// with 3 significant digits, so each is within 0.1 % of the exact order statistic (`max` is exact).
///
/// Owned by CertLoad's measures half.
public struct LatencyPercentiles: Sendable, Codable, Equatable {
    public var count: UInt64
    public var meanMicroseconds: Double
    public var p50Microseconds: UInt64
    public var p90Microseconds: UInt64
    public var p99Microseconds: UInt64
    public var p999Microseconds: UInt64
    public var maxMicroseconds: UInt64

    public init(count: UInt64, meanMicroseconds: Double, p50Microseconds: UInt64, p90Microseconds: UInt64,
                p99Microseconds: UInt64, p999Microseconds: UInt64, maxMicroseconds: UInt64) {
        self.count = count
        self.meanMicroseconds = meanMicroseconds
        self.p50Microseconds = p50Microseconds
        self.p90Microseconds = p90Microseconds
        self.p99Microseconds = p99Microseconds
        self.p999Microseconds = p999Microseconds
        self.maxMicroseconds = maxMicroseconds
    }

    public init(histogram: Histogram<UInt64>) {
        let empty = histogram.totalCount == 0
        self.init(
            count: histogram.totalCount,
            meanMicroseconds: empty ? 0 : histogram.mean,
            p50Microseconds: histogram.valueAtPercentile(50),
            p90Microseconds: histogram.valueAtPercentile(90),
            p99Microseconds: histogram.valueAtPercentile(99),
            p999Microseconds: histogram.valueAtPercentile(99.9),
            maxMicroseconds: empty ? 0 : histogram.maxRecorded)
    }

    /// The statistic a threshold names.
    public func microseconds(_ percentile: LatencyPercentile) -> UInt64 {
        switch percentile {
        case .p50: return p50Microseconds
        case .p90: return p90Microseconds
        case .p99: return p99Microseconds
        case .p999: return p999Microseconds
        case .max: return maxMicroseconds
        }
    }
}

/// Errors by stable code (e.g. `CANDIDATE_NOT_AUTHORIZED`, `TRANSPORT_TIMEOUT`), mergeable across
/// tasks. Keyed by the wire code, as summary.json stores it.
///
/// Owned by CertLoad's measures half.
public struct ErrorCounts: Sendable, Codable, Equatable {
    public private(set) var byCode: [String: Int] = [:]

    public init(byCode: [String: Int] = [:]) { self.byCode = byCode }

    public mutating func record(_ code: ErrorCode, count: Int = 1) { record(code.rawValue, count: count) }

    /// Counts a code read back from a summary (or any wire code).
    public mutating func record(_ code: String, count: Int = 1) { byCode[code, default: 0] += count }

    public mutating func merge(_ other: ErrorCounts) {
        for (code, count) in other.byCode { byCode[code, default: 0] += count }
    }

    public var total: Int { byCode.values.reduce(0, +) }
}
