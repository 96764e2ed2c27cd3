/// A snapshot of the ``ResultWriter``'s counters, for the daemon's `/metrics` and the
/// runner's report. Taken with ``ResultWriter/stats()``; a plain value.
public struct WriterStats: Sendable, Equatable, Codable {
    /// Transactions committed.
    public var commits: Int = 0
    /// Write operations (answers and other rows) committed.
    public var rowsCommitted: Int = 0
    /// Operations refused one by one inside a batch (duplicate answer, unknown reference,
    /// verification code taken...). The rest of their batch still commits.
    public var rowsRefused: Int = 0
    /// Operations lost to a failed commit (each failed with `STORE_UNHEALTHY`, or was already
    /// acknowledged in relaxed mode).
    public var rowsFailed: Int = 0
    /// Operations queued and not yet handed to a commit.
    public var pendingRows: Int = 0
    /// Operations in the last committed batch.
    public var lastBatchRows: Int = 0
    /// Mean operations per committed batch since the writer opened.
    public var meanBatchRows: Double = 0
    /// Duration of the last commit (the whole transaction, fsync included), microseconds.
    public var lastCommitMicroseconds: Int = 0
    /// Median commit duration over the last ``ResultWriter/Configuration/commitLatencySamplesMax`` commits.
    public var p50CommitMicroseconds: Int = 0
    /// 99th percentile commit duration over the same window.
    public var p99CommitMicroseconds: Int = 0
    /// Longest commit since the writer opened.
    public var maxCommitMicroseconds: Int = 0
    /// Mean commit duration since the writer opened.
    public var meanCommitMicroseconds: Double = 0
    /// False once a commit failed; see ``ResultWriter/isHealthy``.
    public var isHealthy: Bool = true

    public init() {}
}

/// The last `capacity` commit durations, in a ring, with nearest-rank percentiles.
struct CommitLatencyWindow {
    private var samples: [Int] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 1, "commitLatencySamplesMax must be at least 1")
        self.capacity = capacity
        samples.reserveCapacity(capacity)
    }

    var count: Int { samples.count }

    mutating func record(_ microseconds: Int) {
        if samples.count < capacity {
            samples.append(microseconds)
        } else {
            samples[next] = microseconds
        }
        next = (next + 1) % capacity
    }

    /// Nearest-rank percentile (`fraction` in (0, 1]): the smallest sample such that at least
    /// `fraction` of the samples are less than or equal to it. 0 when empty.
    func percentile(_ fraction: Double) -> Int {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
