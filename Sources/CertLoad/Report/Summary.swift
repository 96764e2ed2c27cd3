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
    /// The certification version the run's sessions ran, and its content hash.
    public var certificationVersion: String?
    public var certificationVersionHash: String?
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
    /// A mixed day's throughput and consistency per certification version (framework); nil on a
    /// day of one certification.
    public var byVersion: [VersionBreakdown]?
    /// Operation name → latency percentiles.
    public var latency: [String: LatencyPercentiles]
    /// Error code → count.
    public var errors: [String: Int]
    public var consistency: Consistency
    /// Exposure of the challenges and test overlap; nil in summaries written before it.
    public var itemSecurity: ItemSecurity?
    /// On a run that served several banks (Pix+): the item security of each, the first being
    /// ``itemSecurity``; nil on a one-bank run.
    public var itemSecurityByBank: [ItemSecurity]?
    public var digest: String
    /// Every threshold of the scenario with its outcome (filled by ``ThresholdCheck``).
    public var thresholds: [ThresholdOutcome]
    /// Steps of a capacity search (knee finding), when the run made one.
    public var capacitySearch: [CapacityStep]?
    /// The knee of a capacity search and what it means for the scenario's day, when the run made one.
    public var capacity: CapacityResult?
    /// The engine's own speed, measured in this process at the start of the run (a few thousand
    /// steps of `EngineStepLoop` on the run's bank and settings, own draws): the limit the CPU per
    /// answer is compared with. Nil when the run's settings cannot play the seeded test.
    public var engine: EngineSpeed?

    public static let currentFormatVersion = 1

    /// Certifications by fate.
    public struct Certifications: Sendable, Codable, Equatable {
        /// Tests started (first question served).
        public var started: Int
        /// Tests scored (validated, rejected or cancelled).
        public var completed: Int
        public var validated: Int
        public var rejected: Int
        /// Technical aborts below the version's minimum answers (absent in older files: 0).
        public var cancelled: Int

        public init(started: Int, completed: Int, validated: Int, rejected: Int, cancelled: Int = 0) {
            self.started = started
            self.completed = completed
            self.validated = validated
            self.rejected = rejected
            self.cancelled = cancelled
        }

        private enum CodingKeys: String, CodingKey { case started, completed, validated, rejected, cancelled }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            started = try c.decode(Int.self, forKey: .started)
            completed = try c.decode(Int.self, forKey: .completed)
            validated = try c.decode(Int.self, forKey: .validated)
            rejected = try c.decode(Int.self, forKey: .rejected)
            cancelled = try c.decodeIfPresent(Int.self, forKey: .cancelled) ?? 0
        }
    }

    public init(scenario: String, seed: UInt64, transport: String, estimator: String, timeScale: Double, concurrency: Int,
                wallSeconds: Double, simulatedSeconds: Double, cpuSeconds: Double, peakRSSBytes: Int, storeBytes: Int? = nil,
                certifications: Certifications, answers: Int, answersPerSecond: Double, certificationsPerSecond: Double,
                peakConcurrentCandidates: Int, latency: [String: LatencyPercentiles], errors: [String: Int],
                consistency: Consistency, itemSecurity: ItemSecurity? = nil, digest: String,
                thresholds: [ThresholdOutcome] = [], capacitySearch: [CapacityStep]? = nil, capacity: CapacityResult? = nil) {
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
        self.itemSecurity = itemSecurity
        self.digest = digest
        self.thresholds = thresholds
        self.capacitySearch = capacitySearch
        self.capacity = capacity
    }

    /// True when every threshold passed (and vacuously when there are none).
    public var passed: Bool { thresholds.allSatisfy(\.passed) }

    /// CPU seconds per 1,000 answers (DESIGN §7), nil without answers.
    public var cpuSecondsPerThousandAnswers: Double? {
        answers == 0 ? nil : cpuSeconds * 1000 / Double(answers)
    }

    /// CPU microseconds per answer over the candidate phase (this process: with `--daemon`, the
    /// runner's alone), nil without answers.
    public var cpuMicrosecondsPerAnswer: Double? {
        answers == 0 ? nil : cpuSeconds * 1e6 / Double(answers)
    }

    /// CPU per answer ÷ the engine's CPU per step: how far the whole run is from the engine's
    /// own limit (1 would be a run doing nothing but engine steps).
    public var cpuPerAnswerOverEngineStep: Double? {
        guard let perAnswer = cpuMicrosecondsPerAnswer, let engine, engine.stepNanoseconds > 0 else { return nil }
        return perAnswer * 1_000 / engine.stepNanoseconds
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

    // summary.json also carries the derived figures (`passed`, `errorsTotal`, CPU per 1,000 answers,
    // store bytes per certification) for readers that do not recompute them; decoding ignores them.
    enum CodingKeys: String, CodingKey {
        case formatVersion, scenario, certificationVersion, certificationVersionHash, seed, transport, estimator, timeScale, concurrency, wallSeconds, simulatedSeconds
        case cpuSeconds, peakRSSBytes, storeBytes, certifications, answers, answersPerSecond, certificationsPerSecond
        case peakConcurrentCandidates, latency, errors, consistency, itemSecurity, itemSecurityByBank, digest, thresholds, capacitySearch, capacity
        case passed, errorsTotal, cpuSecondsPerThousandAnswers, storeBytesPerCertification, byVersion
        case engine, cpuMicrosecondsPerAnswer, cpuPerAnswerOverEngineStep
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        scenario = try c.decode(String.self, forKey: .scenario)
        certificationVersion = try c.decodeIfPresent(String.self, forKey: .certificationVersion)
        certificationVersionHash = try c.decodeIfPresent(String.self, forKey: .certificationVersionHash)
        seed = try c.decode(UInt64.self, forKey: .seed)
        transport = try c.decode(String.self, forKey: .transport)
        estimator = try c.decode(String.self, forKey: .estimator)
        timeScale = try c.decode(Double.self, forKey: .timeScale)
        concurrency = try c.decode(Int.self, forKey: .concurrency)
        wallSeconds = try c.decode(Double.self, forKey: .wallSeconds)
        simulatedSeconds = try c.decode(Double.self, forKey: .simulatedSeconds)
        cpuSeconds = try c.decode(Double.self, forKey: .cpuSeconds)
        peakRSSBytes = try c.decode(Int.self, forKey: .peakRSSBytes)
        storeBytes = try c.decodeIfPresent(Int.self, forKey: .storeBytes)
        certifications = try c.decode(Certifications.self, forKey: .certifications)
        answers = try c.decode(Int.self, forKey: .answers)
        answersPerSecond = try c.decode(Double.self, forKey: .answersPerSecond)
        certificationsPerSecond = try c.decode(Double.self, forKey: .certificationsPerSecond)
        peakConcurrentCandidates = try c.decode(Int.self, forKey: .peakConcurrentCandidates)
        latency = try c.decode([String: LatencyPercentiles].self, forKey: .latency)
        errors = try c.decode([String: Int].self, forKey: .errors)
        consistency = try c.decode(Consistency.self, forKey: .consistency)
        itemSecurity = try c.decodeIfPresent(ItemSecurity.self, forKey: .itemSecurity)
        itemSecurityByBank = try c.decodeIfPresent([ItemSecurity].self, forKey: .itemSecurityByBank)
        digest = try c.decode(String.self, forKey: .digest)
        thresholds = try c.decode([ThresholdOutcome].self, forKey: .thresholds)
        capacitySearch = try c.decodeIfPresent([CapacityStep].self, forKey: .capacitySearch)
        capacity = try c.decodeIfPresent(CapacityResult.self, forKey: .capacity)
        byVersion = try c.decodeIfPresent([VersionBreakdown].self, forKey: .byVersion)
        engine = try c.decodeIfPresent(EngineSpeed.self, forKey: .engine)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(scenario, forKey: .scenario)
        try c.encodeIfPresent(certificationVersion, forKey: .certificationVersion)
        try c.encodeIfPresent(certificationVersionHash, forKey: .certificationVersionHash)
        try c.encode(seed, forKey: .seed)
        try c.encode(transport, forKey: .transport)
        try c.encode(estimator, forKey: .estimator)
        try c.encode(timeScale, forKey: .timeScale)
        try c.encode(concurrency, forKey: .concurrency)
        try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encode(simulatedSeconds, forKey: .simulatedSeconds)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try c.encodeIfPresent(storeBytes, forKey: .storeBytes)
        try c.encode(certifications, forKey: .certifications)
        try c.encode(answers, forKey: .answers)
        try c.encode(answersPerSecond, forKey: .answersPerSecond)
        try c.encode(certificationsPerSecond, forKey: .certificationsPerSecond)
        try c.encode(peakConcurrentCandidates, forKey: .peakConcurrentCandidates)
        try c.encode(latency, forKey: .latency)
        try c.encode(errors, forKey: .errors)
        try c.encode(consistency, forKey: .consistency)
        try c.encodeIfPresent(itemSecurity, forKey: .itemSecurity)
        try c.encodeIfPresent(itemSecurityByBank, forKey: .itemSecurityByBank)
        try c.encode(digest, forKey: .digest)
        try c.encode(thresholds, forKey: .thresholds)
        try c.encodeIfPresent(capacitySearch, forKey: .capacitySearch)
        try c.encodeIfPresent(byVersion, forKey: .byVersion)
        try c.encodeIfPresent(capacity, forKey: .capacity)
        try c.encode(passed, forKey: .passed)
        try c.encode(errorsTotal, forKey: .errorsTotal)
        try c.encodeIfPresent(cpuSecondsPerThousandAnswers, forKey: .cpuSecondsPerThousandAnswers)
        try c.encodeIfPresent(storeBytesPerCertification, forKey: .storeBytesPerCertification)
        try c.encodeIfPresent(engine, forKey: .engine)
        try c.encodeIfPresent(cpuMicrosecondsPerAnswer, forKey: .cpuMicrosecondsPerAnswer)
        try c.encodeIfPresent(cpuPerAnswerOverEngineStep, forKey: .cpuPerAnswerOverEngineStep)
    }
}

/// One step of a capacity search: a load level and what the daemon held at it.
///
/// Owned by CertLoad's report half; filled by ``CapacitySearch``. Fields after `passed` are optional
/// so that summaries written before them still read.
public struct CapacityStep: Sendable, Codable, Equatable {
    /// Load offered, in `loadUnit` (e.g. 400 "concurrent candidates" or 25 "arrivals per second").
    public var load: Double
    public var loadUnit: String
    public var answersPerSecond: Double
    public var p99NextMicroseconds: UInt64?
    public var errors: Int
    /// Whether the step stayed within the thresholds.
    public var passed: Bool
    public var p99AnswerMicroseconds: UInt64?
    public var p99StartMicroseconds: UInt64?
    /// Certifications the step played.
    public var candidates: Int?
    /// Certifications scored a second (real time).
    public var certificationsPerSecond: Double?
    /// Real seconds the step's candidates ran (set-up and result reading excluded).
    public var wallSeconds: Double?
    /// The limits the step broke, as sentences (empty when it passed).
    public var failures: [String]?
    /// Times the step was played: 2 when a first attempt broke and was confirmed (or not) by a rerun;
    /// the figures are the last attempt's.
    public var attempts: Int?

    public init(load: Double, loadUnit: String, answersPerSecond: Double, p99NextMicroseconds: UInt64?, errors: Int, passed: Bool,
                p99AnswerMicroseconds: UInt64? = nil, p99StartMicroseconds: UInt64? = nil, candidates: Int? = nil,
                certificationsPerSecond: Double? = nil, wallSeconds: Double? = nil, failures: [String]? = nil, attempts: Int? = nil) {
        self.load = load
        self.loadUnit = loadUnit
        self.answersPerSecond = answersPerSecond
        self.p99NextMicroseconds = p99NextMicroseconds
        self.errors = errors
        self.passed = passed
        self.p99AnswerMicroseconds = p99AnswerMicroseconds
        self.p99StartMicroseconds = p99StartMicroseconds
        self.candidates = candidates
        self.certificationsPerSecond = certificationsPerSecond
        self.wallSeconds = wallSeconds
        self.failures = failures
        self.attempts = attempts
    }

    /// Word for the load of a concurrency step.
    public static let concurrentCandidatesUnit = "concurrent candidates"
}

/// The outcome of a capacity search: the objective, the knee, and what the knee means for a day
/// like the scenario's (its peak, the headroom, how many such centres one daemon holds).
///
/// Owned by CertLoad's report half; filled by ``CapacitySearch``. Step numbers are 1-based, as
/// printed.
public struct CapacityResult: Sendable, Codable, Equatable {
    /// The limits every step had to keep.
    public var slo: CapacitySLO
    /// 1-based step of the knee (the last step of the passing prefix); nil when the first step broke.
    public var kneeStep: Int?
    /// Concurrency of the knee step: closed-loop candidates, answering without think time.
    public var kneeConcurrency: Int?
    /// Highest answers a second sustained within the objective.
    public var kneeAnswersPerSecond: Double?
    /// 1-based step that broke the objective; nil when the search reached `max_concurrency`.
    public var brokenStep: Int?
    /// The scenario's own peak: candidates answering at once, all centres and one centre.
    public var peakConcurrentCandidates: Int
    public var peakConcurrentCandidatesPerCentre: Int
    /// A scenario candidate's mean seconds per answer (its think time).
    public var secondsPerAnswer: Double
    /// Answers a second at the scenario's peak.
    public var peakAnswersPerSecond: Double
    /// Scenario candidates the knee serves at once (knee answers/s × seconds per answer).
    public var equivalentCandidates: Int?
    /// Knee answers a second / peak answers a second.
    public var headroom: Double?
    /// Centres like the scenario's one daemon holds at their peak.
    public var centres: Int?

    public init(slo: CapacitySLO, kneeStep: Int?, kneeConcurrency: Int?, kneeAnswersPerSecond: Double?, brokenStep: Int?,
                peakConcurrentCandidates: Int, peakConcurrentCandidatesPerCentre: Int, secondsPerAnswer: Double,
                peakAnswersPerSecond: Double, equivalentCandidates: Int?, headroom: Double?, centres: Int?) {
        self.slo = slo
        self.kneeStep = kneeStep
        self.kneeConcurrency = kneeConcurrency
        self.kneeAnswersPerSecond = kneeAnswersPerSecond
        self.brokenStep = brokenStep
        self.peakConcurrentCandidates = peakConcurrentCandidates
        self.peakConcurrentCandidatesPerCentre = peakConcurrentCandidatesPerCentre
        self.secondsPerAnswer = secondsPerAnswer
        self.peakAnswersPerSecond = peakAnswersPerSecond
        self.equivalentCandidates = equivalentCandidates
        self.headroom = headroom
        self.centres = centres
    }

    /// True when some step kept the objective.
    public var found: Bool { kneeStep != nil }
}
