import CertCore
import CertDaemon

/// What happened to one simulated candidate, as the runner saw it.
///
/// Owned by the runner.
struct CandidateOutcome: Sendable {
    enum Fate: Sendable, Equatable {
        /// The daemon said the test was complete.
        case completed
        /// The candidate left part-way (abort reason `candidate`).
        case abandoned
        /// A request failed for good; the code is counted in the run's errors.
        case failed(code: String)
    }

    var identity: CandidateIdentity
    var fate: Fate
    /// Answers acknowledged by the daemon.
    var answersGiven: Int
    var startedAtSeconds: Double?
    var endedAtSeconds: Double

    /// The abort reason the invigilator gives at finalisation if the test is unfinished.
    var abortReason: AbortReason {
        fate == .abandoned ? .candidate : .technical
    }
}

/// Limits of a candidate's flow, each with its default.
///
/// Owned by the runner.
public struct FlowLimits: Sendable, Equatable {
    /// Tries of a request the daemon refused as retryable (BUSY, 503 with Retry-After).
    public var attemptsMax = 8
    /// Longest real wait between two tries, whatever Retry-After says.
    public var retryWaitSecondsMax = 2.0
    /// Live alerts one candidate may raise (keeps a pathological scenario finite).
    public var liveAlertsPerCandidateMax = 8
    /// Requests one candidate may send before the flow gives up (a test is ~70).
    public var requestsPerCandidateMax = 1_000

    public init() {}
}

/// Waits for the simulated schedule: with `time_scale: k` a request is sent when its simulated
/// time comes (real sleep), and its latency runs from that intended moment, not from when the
/// candidate got round to sending it; with `time_scale: 0` it is sent at once.
///
/// Owned by the runner.
struct Pacing: Sendable {
    let clock: VirtualClock

    /// Sleeps until `dayOffsetSeconds` is due and returns the intended send time (monotonic ns).
    func due(_ dayOffsetSeconds: Double) async -> UInt64 {
        let now = VirtualClock.uptimeNanoseconds()
        guard clock.timeScale > 0 else { return now }
        let due = clock.dueUptimeNanoseconds(atDayOffsetSeconds: dayOffsetSeconds)
        if due > now {
            try? await Task.sleep(nanoseconds: due - now)
        }
        return due
    }
}

/// Plays one `SimulatedCandidate` against the daemon: asks the invigilator to start, answers
/// question after question (thinking, raising live alerts, dropping off and resuming, waiting for
/// a companion alert to clear), until the test completes or the candidate leaves.
///
/// The candidate's simulated time advances by its think times and by the invigilator's delays
/// only, so the schedule — and every draw — is the same whatever the daemon's speed.
///
/// Owned by the runner.
struct CandidateFlow {
    let candidate: SimulatedCandidate
    let session: SessionContext
    let proctor: SimulatedProctor
    let candidates: any CandidateTransport
    let proctors: any ProctorTransport
    let items: TrueItemParameters
    let pacing: Pacing
    let recorder: RunRecorder
    let limits: FlowLimits

    private var simulatedSeconds = 0.0
    private var samples = CandidateSamples()
    private var requests = 0
    private var answersGiven = 0
    private var authorisations = 0
    private var liveAlerts = 0
    private var startedAtSeconds: Double?
    private var assessmentId = ""
    private var token = ""

    init(candidate: SimulatedCandidate, session: SessionContext, proctor: SimulatedProctor,
         candidates: any CandidateTransport, proctors: any ProctorTransport, items: TrueItemParameters,
         pacing: Pacing, recorder: RunRecorder, limits: FlowLimits) {
        self.candidate = candidate
        self.session = session
        self.proctor = proctor
        self.candidates = candidates
        self.proctors = proctors
        self.items = items
        self.pacing = pacing
        self.recorder = recorder
        self.limits = limits
    }

    mutating func run() async -> CandidateOutcome {
        simulatedSeconds = session.opensAtSeconds + candidate.arrivalOffsetSeconds
        let fate: CandidateOutcome.Fate
        do throws(DaemonError) {
            fate = try await play()
        } catch {
            samples.errors.record(error.code)
            fate = .failed(code: error.code)
        }
        if startedAtSeconds != nil {
            await recorder.candidateActive(-1, uptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        }
        await flush()
        await recorder.candidateDone(simulatedEndSeconds: simulatedSeconds)
        return CandidateOutcome(identity: candidate.identity, fate: fate, answersGiven: answersGiven,
                                startedAtSeconds: startedAtSeconds, endedAtSeconds: simulatedSeconds)
    }

    private mutating func play() async throws(DaemonError) -> CandidateOutcome.Fate {
        try await authoriseAndStart()
        startedAtSeconds = simulatedSeconds
        await recorder.candidateActive(+1, uptimeNanoseconds: VirtualClock.uptimeNanoseconds())

        var incidentDone = false
        var attemptsByQuestion: [Int: Int] = [:]
        var judgedForAlert: Set<String> = []
        while true {
            guard let challenge = try await timed(LatencyOperation.next, { [candidates, assessmentId, token] () async throws(DaemonError) in
                try await candidates.next(assessmentId: assessmentId, token: token)
            }) else {
                return .completed
            }
            let questionNumber = challenge.questionNumber

            // A technical incident: the connection drops once the question is on screen; the
            // candidate comes back, the invigilator re-authorises, the same challenge is served again.
            if !incidentDone, let after = candidate.incidentAfterAnswers, answersGiven >= after {
                incidentDone = true
                simulatedSeconds += candidate.incidentOfflineSeconds
                try await authoriseAndStart()
                continue
            }

            let attempt = attemptsByQuestion[questionNumber, default: 0]
            attemptsByQuestion[questionNumber] = attempt + 1
            simulatedSeconds += candidate.thinkTimeSeconds(questionNumber: questionNumber, attempt: attempt)

            if liveAlerts < limits.liveAlertsPerCandidateMax, !judgedForAlert.contains(challenge.challengeId) {
                judgedForAlert.insert(challenge.challengeId)
                if candidate.raisesLiveAlert(questionNumber: questionNumber, challengeId: challenge.challengeId) {
                    try await liveAlert(on: challenge.challengeId)
                    continue  // validated: a new challenge; dismissed: the same one again
                }
            }

            let result = candidate.answer(questionNumber: questionNumber, challengeId: challenge.challengeId, items: items)
            let request = AnswerRequest(challengeId: challenge.challengeId, result: result)
            let answered = try await timed(LatencyOperation.answer, isAnswer: true, { [candidates, assessmentId, token] () async throws(DaemonError) in
                try await candidates.answer(assessmentId: assessmentId, token: token, request)
            }, completedCertification: { $0.completed })
            answersGiven += 1
            if answered.completed { return .completed }

            if let after = candidate.abandonAfterAnswers, answersGiven >= after {
                return .abandoned
            }
            if let after = candidate.companionAlertAfterAnswers, answersGiven == after {
                try await companionAlert()
            }
        }
    }

    /// Asks the invigilator to authorise a start or a resume, then starts (new token).
    private mutating func authoriseAndStart() async throws(DaemonError) {
        simulatedSeconds += proctor.authoriseDelaySeconds(for: candidate.identity, ordinal: authorisations)
        authorisations += 1
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            try await proctors.authorize(sessionId: sessionId, candidateId: candidateId)
        })
        let accessCode = session.accessCode
        let started = try await timed(LatencyOperation.start, { [candidates] () async throws(DaemonError) in
            try await candidates.start(sessionId: sessionId, candidateId: candidateId, accessCode: accessCode)
        })
        assessmentId = started.assessmentId
        token = started.token
    }

    /// Raises a live alert and waits for the invigilator's verdict.
    private mutating func liveAlert(on challengeId: String) async throws(DaemonError) {
        let response = try await timed(LatencyOperation.alert, { [candidates, assessmentId, token] () async throws(DaemonError) in
            try await candidates.raiseLiveAlert(assessmentId: assessmentId, token: token, challengeId: challengeId)
        })
        guard response.status == "ongoing" else { return }
        let decision = proctor.liveAlertDecision(for: candidate.identity, ordinal: liveAlerts)
        liveAlerts += 1
        simulatedSeconds += decision.delaySeconds
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            if decision.validate {
                try await proctors.validateLiveAlert(sessionId: sessionId, candidateId: candidateId)
            } else {
                try await proctors.dismissLiveAlert(sessionId: sessionId, candidateId: candidateId)
            }
        })
    }

    /// The companion extension signals a problem; the invigilator clears it after a while.
    private mutating func companionAlert() async throws(DaemonError) {
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            try await proctors.raiseCompanionAlert(sessionId: sessionId, candidateId: candidateId)
        })
        simulatedSeconds += proctor.companionClearDelaySeconds(for: candidate.identity)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            try await proctors.clearCompanionAlert(sessionId: sessionId, candidateId: candidateId)
        })
    }

    /// Sends one request when it is due, retrying retryable refusals (bounded), and records its
    /// latency from the intended send time.
    @discardableResult
    private mutating func timed<Result: Sendable>(
        _ operation: String, isAnswer: Bool = false,
        _ body: () async throws(DaemonError) -> Result,
        completedCertification: (Result) -> Bool = { _ in false }
    ) async throws(DaemonError) -> Result {
        requests += 1
        guard requests <= limits.requestsPerCandidateMax else {
            throw DaemonError(code: "RUNNER_REQUESTS_EXHAUSTED",
                              message: "candidate \(candidate.identity.candidateId) sent \(limits.requestsPerCandidateMax) requests without finishing",
                              httpStatus: 0)
        }
        let intended = await pacing.due(simulatedSeconds)
        var attempt = 1
        while true {
            do throws(DaemonError) {
                let result = try await body()
                let completed = VirtualClock.uptimeNanoseconds()
                samples.latencies.append(LatencySample(
                    operation: operation,
                    latencyMicroseconds: completed > intended ? (completed - intended) / 1_000 : 0,
                    completedUptimeNanoseconds: completed, simulatedSeconds: simulatedSeconds,
                    isAnswer: isAnswer, completedCertification: completedCertification(result)))
                if samples.isFull { await flush() }
                return result
            } catch {
                guard error.isRetryable, attempt < limits.attemptsMax else { throw error }
                samples.retries.record(error.code)
                attempt += 1
                let waitSeconds = min(limits.retryWaitSecondsMax, Double(max(0, error.retryAfterSeconds ?? 1)))
                try? await Task.sleep(nanoseconds: UInt64(waitSeconds * 1e9))
            }
        }
    }

    private mutating func flush() async {
        guard !samples.isEmpty else { return }
        let batch = samples
        samples = CandidateSamples()
        await recorder.ingest(batch)
    }
}

/// What a candidate needs to know about its session once the invigilator has set it up.
///
/// Owned by the runner.
struct SessionContext: Sendable {
    let sessionId: String
    let accessCode: String
    let opensAtSeconds: Double
}
