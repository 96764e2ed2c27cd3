import Foundation

/// What a run reports, written as summary.json (pretty, sorted keys) and read back by
/// `certsim report`. Times are real (wall) seconds unless the name says simulated; latencies are
/// microseconds from the intended send time.
///
/// Owned by CertLoad's report half; filled by the runner.
public struct Summary: Sendable, Codable, Equatable {
    /// Version of this file's layout.
    public var formatVersion: Int = Summary.currentFormatVersion
    public var scenario: String
    public var seed: UInt64
    public var transport: String
    public var estimator: String
    public var timeScale: Double
    public var concurrency: Int
    public var wallSeconds: Double
    public var simulatedSeconds: Double
    public var cpuSeconds: Double
    public var peakRSSBytes: Int
    /// Size of the result store at the end, when the run had one.
    public var storeBytes: Int?
    public var certifications: Certifications
    public var answers: Int
    public var answersPerSecond: Double
    public var certificationsPerSecond: Double
    public var peakConcurrentCandidates: Int
    /// Operation name → latency percentiles.
    public var latency: [String: LatencyPercentiles]
    /// Error code → count.
    public var errors: [String: Int]
    public var consistency: Consistency
    public var digest: String
    /// Every threshold of the scenario with its outcome (filled by ``ThresholdCheck``).
    public var thresholds: [ThresholdOutcome]
    /// Steps of a capacity search (knee finding), when the run made one.
    public var capacitySearch: [CapacityStep]?

    public static let currentFormatVersion = 1

    /// Certifications by fate.
    public struct Certifications: Sendable, Codable, Equatable {
        /// Tests started (first question served).
        public var started: Int
        /// Tests scored (validated or rejected).
        public var completed: Int
        public var validated: Int
        public var rejected: Int

        public init(started: Int, completed: Int, validated: Int, rejected: Int) {
            self.started = started
            self.completed = completed
            self.validated = validated
            self.rejected = rejected
        }
    }

    public init(scenario: String, seed: UInt64, transport: String, estimator: String, timeScale: Double, concurrency: Int,
                wallSeconds: Double, simulatedSeconds: Double, cpuSeconds: Double, peakRSSBytes: Int, storeBytes: Int? = nil,
                certifications: Certifications, answers: Int, answersPerSecond: Double, certificationsPerSecond: Double,
                peakConcurrentCandidates: Int, latency: [String: LatencyPercentiles], errors: [String: Int],
                consistency: Consistency, digest: String, thresholds: [ThresholdOutcome] = [],
                capacitySearch: [CapacityStep]? = nil) {
        self.scenario = scenario
        self.seed = seed
        self.transport = transport
        self.estimator = estimator
        self.timeScale = timeScale
        self.concurrency = concurrency
        self.wallSeconds = wallSeconds
        self.simulatedSeconds = simulatedSeconds
        self.cpuSeconds = cpuSeconds
        self.peakRSSBytes = peakRSSBytes
        self.storeBytes = storeBytes
        self.certifications = certifications
        self.answers = answers
        self.answersPerSecond = answersPerSecond
        self.certificationsPerSecond = certificationsPerSecond
        self.peakConcurrentCandidates = peakConcurrentCandidates
        self.latency = latency
        self.errors = errors
        self.consistency = consistency
        self.digest = digest
        self.thresholds = thresholds
        self.capacitySearch = capacitySearch
    }

    /// True when every threshold passed (and vacuously when there are none).
    public var passed: Bool { thresholds.allSatisfy(\.passed) }

    /// CPU seconds per 1,000 answers (DESIGN §7), nil without answers.
    public var cpuSecondsPerThousandAnswers: Double? {
        answers == 0 ? nil : cpuSeconds * 1000 / Double(answers)
    }

    /// Store bytes per scored certification, when known.
    public var storeBytesPerCertification: Double? {
        guard let storeBytes, certifications.completed > 0 else { return nil }
        return Double(storeBytes) / Double(certifications.completed)
    }

    public var errorsTotal: Int { errors.values.reduce(0, +) }

    /// summary.json bytes: pretty-printed, sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> Summary {
        try JSONDecoder().decode(Summary.self, from: data)
    }
}

/// One step of a capacity search: a load level and what the daemon held at it.
///
/// Owned by CertLoad's report half.
public struct CapacityStep: Sendable, Codable, Equatable {
    /// Load offered, in `loadUnit` (e.g. 400 "concurrent candidates" or 25 "arrivals per second").
    public var load: Double
    public var loadUnit: String
    public var answersPerSecond: Double
    public var p99NextMicroseconds: UInt64?
    public var errors: Int
    /// Whether the step stayed within the thresholds.
    public var passed: Bool

    public init(load: Double, loadUnit: String, answersPerSecond: Double, p99NextMicroseconds: UInt64?, errors: Int, passed: Bool) {
        self.load = load
        self.loadUnit = loadUnit
        self.answersPerSecond = answersPerSecond
        self.p99NextMicroseconds = p99NextMicroseconds
        self.errors = errors
        self.passed = passed
    }
}
