import CertCore
import CertDaemon
import Foundation

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
        case failed(code: ErrorCode)
    }

    var identity: CandidateIdentity
    var fate: Fate
    /// Answers acknowledged by the daemon.
    var answersGiven: Int
    var startedAtSeconds: Double?
    var endedAtSeconds: Double
    /// The complementary test the candidate moved on to (DESIGN §3.8): its assessment and the
    /// answers acknowledged in it; nil when there was none or it never started.
    var complementaryAssessmentId: String?
    var complementaryAnswers = 0
    /// Bank indices of the challenges served in the first test, in order, each once (for item
    /// security; a challenge its bank does not hold is left out), and in the complementary test.
    var served: [Int32] = []
    var complementaryServed: [Int32] = []

    /// The abort reason the invigilator gives at finalisation if the test is unfinished.
    var abortReason: AbortReason {
        fate == .abandoned ? .candidate : .technical
    }
}

/// Limits of a candidate's flow, each with its default.
///
/// Owned by the runner.
public struct FlowLimits: Sendable, Equatable {
    /// Tries of a request the daemon refused with a retryable code (BUSY, LIVE_ALERT_ONGOING…), in place,
    /// before the refusal is handled as an outage.
    public var attemptsMax = 8
    /// Longest real wait between two tries, whatever Retry-After says.
    public var retryWaitSecondsMax = 2.0
    /// Longest real time one outage may last for a candidate — from the first failed request
    /// (connection refused or reset, timeout, retryable refusal past `attemptsMax`) to the next
    /// acknowledged answer — before the candidate fails with the last failure's code.
    public var daemonOutageSecondsMax = 60.0
    /// Failed requests waited out within one outage (each followed by a resume try: reconnect,
    /// fresh authorisation, start).
    public var reconnectAttemptsMax = 200
    /// First real wait of an outage; it doubles at each try up to `outageWaitSecondsMax`.
    public var outageWaitSecondsMin = 0.05
    /// Longest real wait between two resume tries.
    public var outageWaitSecondsMax = 1.0
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
/// An outage of the daemon (connection refused or reset, timeout, a retryable refusal that
/// outlasts `FlowLimits.attemptsMax`, a token the daemon no longer knows after a restart) is a
/// technical incident, not a failure: the candidate waits (bounded back-off, at most
/// `FlowLimits.daemonOutageSecondsMax`), asks the invigilator for a fresh authorisation, starts
/// again (the same assessment: the daemon replays its journal) and asks for the current
/// challenge. The daemon's question number is the truth: an answer whose acknowledgement was
/// lost was recorded if the question number moved on, and is answered again (the same answer:
/// draws are keyed by question number) if not. A live alert or a companion alert caught by the
/// outage is carried on from what the daemon shows. Outages are counted in the run's retries
/// (`DAEMON_UNAVAILABLE` once per outage, and each failed request's code).
///
/// Owned by the runner.
struct CandidateFlow {
    /// Refusals of a start whose authorisation a restarted daemon does not know.
    static let lostAuthorisationCodes: Set<ErrorCode> = [.candidateNotAuthorized, .authorizationExpired]
    /// Room reserved for the served list at the first challenge (a 32-question test and a few
    /// validated alerts), so it is allocated once.
    static let servedCapacityHint = 40

    /// A live alert between its raise and the invigilator's decision taking effect.
    struct PendingLiveAlert {
        var challengeId: String
        /// Drawn once, when the daemon is first known to hold the alert.
        var decision: LiveAlertDecision?
    }

    enum CompanionProgress { case none, raising, raised, clearing, done }

    let candidate: SimulatedCandidate
    let session: SessionContext
    let proctor: SimulatedProctor
    let candidates: any CandidateTransport
    let proctors: any ProctorTransport
    let items: TrueItemParameters
    /// The true item parameters of the complementary test's bank, for a candidate who sits one.
    let complementaryItems: TrueItemParameters?
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
    /// In the complementary test, since the daemon handed over to it.
    private var inComplementary = false
    /// Answers acknowledged in the first test, kept at the handover.
    private var firstTestAnswers = 0
    private var expectsComplementary: Bool { complementaryItems != nil }
    /// The true parameters of the bank the current test is served from.
    private var currentItems: TrueItemParameters { inComplementary ? (complementaryItems ?? items) : items }
    /// Challenges served in the current test (bank indices), and the last one served with its
    /// index: a challenge served again (a resume, a dismissed alert) is looked up once.
    private var servedIndices: [Int32] = []
    private var firstTestServed: [Int32] = []
    private var lastServedId: String?
    private var lastServedIndex: Int?

    private var incidentDone = false
    /// Servings of each question number so far (index: question number).
    private var attemptsByQuestion: [Int] = []
    /// Challenges already judged for a live alert: a few dozen short ids, searched in order
    /// (cheaper here than hashing each into a set that grows as the test goes).
    private var judgedForAlert: [String] = []
    private var pendingLiveAlert: PendingLiveAlert?
    private var companion = CompanionProgress.none
    /// An answer was sent and its acknowledgement has not come back.
    private var answerInFlight = false
    /// Real time the current outage began (nil: none). An outage lasts until the next
    /// acknowledged answer, so a daemon that lets candidates resume but refuses their answers
    /// still ends the flow within the limits.
    private var outageBeganNanoseconds: UInt64?
    private var outageTries = 0
    /// Outages this candidate lived through.
    private var outages = 0
    /// The last outage outlasted the limits: its failure is final.
    private var gaveUp = false

    init(candidate: SimulatedCandidate, session: SessionContext, proctor: SimulatedProctor,
         candidates: any CandidateTransport, proctors: any ProctorTransport, items: TrueItemParameters,
         complementaryItems: TrueItemParameters? = nil, pacing: Pacing, recorder: RunRecorder, limits: FlowLimits) {
        self.complementaryItems = complementaryItems
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
        return CandidateOutcome(identity: candidate.identity, fate: fate,
                                answersGiven: inComplementary ? firstTestAnswers : answersGiven,
                                startedAtSeconds: startedAtSeconds, endedAtSeconds: simulatedSeconds,
                                complementaryAssessmentId: inComplementary ? assessmentId : nil,
                                complementaryAnswers: inComplementary ? answersGiven : 0,
                                served: inComplementary ? firstTestServed : servedIndices,
                                complementaryServed: inComplementary ? servedIndices : [])
    }

    /// Whether a failure is an outage of the daemon (to wait out and resume from) rather than a
    /// refusal that ends the candidate's flow: the daemon could not be reached or said it cannot
    /// serve now (the `unavailable` family), or a retryable code outlasted the tries in place,
    /// or the daemon no longer knows the token (it restarted). A retryable conflict
    /// (LIVE_ALERT_ONGOING) waits for another actor's decision, not for the daemon: not an outage.
    static func isOutage(_ error: DaemonError) -> Bool {
        switch error.code.family {
        case .unavailable: true
        case .conflict: false
        default: error.isRetryable || error.code == .invalidToken
        }
    }

    private mutating func play() async throws(DaemonError) -> CandidateOutcome.Fate {
        // The first start, or a resume after an outage.
        var mustStart = true
        while true {
            do throws(DaemonError) {
                if mustStart {
                    guard try await startOrResume() else {
                        // The daemon completed the test: the answer in flight was the last one.
                        if answerInFlight { answersGiven += 1 }
                        return .completed
                    }
                    mustStart = false
                }
                if let fate = try await step() { return fate }
            } catch where !gaveUp && Self.isOutage(error) {
                try await waitOutOutage(error)
                mustStart = true
            }
        }
    }

    /// One turn: asks for the current challenge and handles it (a live alert, an incident, an
    /// answer). Returns the candidate's fate once the flow is over.
    private mutating func step() async throws(DaemonError) -> CandidateOutcome.Fate? {
        if companion == .raising || companion == .raised || companion == .clearing {
            try await companionAlert()  // caught by an outage
        }
        let served: ChallengeResponse?
        do throws(DaemonError) {
            // With an alert pending since an outage, LIVE_ALERT_ONGOING is an answer, not a refusal to wait out.
            let final: Set<ErrorCode> = pendingLiveAlert == nil ? [] : [.liveAlertOngoing]
            served = try await timed(LatencyOperation.next, notRetried: final, { [candidates, assessmentId, token] () async throws(DaemonError) in
                try await candidates.next(assessmentId: assessmentId, token: token)
            })
        } catch where error.code == .liveAlertOngoing && pendingLiveAlert != nil {
            // The alert raised before an outage is still waiting for the invigilator.
            try await decidePendingLiveAlert()
            return nil
        }
        guard let challenge = served else {
            if answerInFlight { answersGiven += 1 }
            return .completed
        }
        if let handedOver = challenge.assessmentId, handedOver != assessmentId {
            // The first test is over: the daemon moved the candidate on to the complementary one.
            if answerInFlight { answersGiven += 1 }
            answerInFlight = false
            enterComplementary(handedOver)
        }
        let questionNumber = challenge.questionNumber
        answerInFlight = false
        if challenge.challengeId != lastServedId {
            // The one bank look-up of this challenge: the answer below reuses the index.
            lastServedId = challenge.challengeId
            lastServedIndex = currentItems.index(ofChallenge: challenge.challengeId)
            if let index = lastServedIndex {
                if servedIndices.isEmpty { servedIndices.reserveCapacity(Self.servedCapacityHint) }
                servedIndices.append(Int32(truncatingIfNeeded: index))
            }
        }
        if questionNumber - 1 > answersGiven {
            // The answer in flight at an outage was recorded: the daemon's question number says so.
            answersGiven = questionNumber - 1
            if let fate = try await afterAnswer() { return fate }
        }

        if let alert = pendingLiveAlert {
            if alert.challengeId != challenge.challengeId || alert.decision?.validate == false {
                // Validated (a new challenge), or dismissed — or lost, which leaves the same
                // challenge on screen as a dismissal would.
                pendingLiveAlert = nil
            } else {
                // The validation did not take effect, or the alert never reached the daemon: again.
                try await liveAlert(on: challenge.challengeId)
                return nil
            }
        }

        // A technical incident: the connection drops once the question is on screen; the
        // candidate comes back, the invigilator re-authorises, the same challenge is served again.
        if !incidentDone, let after = candidate.incidentAfterAnswers, answersGiven >= after {
            incidentDone = true
            simulatedSeconds += candidate.incidentOfflineSeconds
            guard try await startOrResume() else { return .completed }
            return nil
        }

        // Bounded whatever number the daemon sends: a candidate sees no more questions than it
        // sends requests.
        let slot = min(max(questionNumber, 0), limits.requestsPerCandidateMax)
        if attemptsByQuestion.count <= slot {
            if attemptsByQuestion.isEmpty { attemptsByQuestion.reserveCapacity(Self.servedCapacityHint) }
            attemptsByQuestion.append(contentsOf: repeatElement(0, count: slot + 1 - attemptsByQuestion.count))
        }
        let attempt = attemptsByQuestion[slot]
        attemptsByQuestion[slot] = attempt + 1
        simulatedSeconds += candidate.thinkTimeSeconds(questionNumber: questionNumber, attempt: attempt)

        if liveAlerts < limits.liveAlertsPerCandidateMax, !judgedForAlert.contains(challenge.challengeId) {
            if judgedForAlert.isEmpty { judgedForAlert.reserveCapacity(Self.servedCapacityHint) }
            judgedForAlert.append(challenge.challengeId)
            if candidate.raisesLiveAlert(questionNumber: questionNumber, challengeId: challenge.challengeId) {
                pendingLiveAlert = PendingLiveAlert(challengeId: challenge.challengeId)
                try await liveAlert(on: challenge.challengeId)
                return nil  // validated: a new challenge; dismissed: the same one again
            }
        }

        let result = candidate.answer(questionNumber: questionNumber, challengeId: challenge.challengeId,
                                      bankIndex: lastServedIndex, items: currentItems,
                                      complementary: inComplementary)
        let request = AnswerRequest(challengeId: challenge.challengeId, result: result)
        answerInFlight = true
        let answered = try await timed(LatencyOperation.answer, isAnswer: true, { [candidates, assessmentId, token] () async throws(DaemonError) in
            try await candidates.answer(assessmentId: assessmentId, token: token, request)
        }, completedCertification: { $0.completed })
        answerInFlight = false
        // An acknowledged answer ends an outage: the daemon is back for this candidate.
        outageBeganNanoseconds = nil
        answersGiven = max(answersGiven + 1, answered.questionNumber)
        if answered.completed {
            // A candidate with a complementary test asks for the next challenge: the handover.
            return expectsComplementary && !inComplementary ? nil : .completed
        }
        return try await afterAnswer()
    }

    /// From now on the candidate talks about the complementary test (`assessmentId`): its own
    /// question numbers and answers. Abandons, incidents and companion alerts are the first
    /// test's (drawn once per sitting).
    private mutating func enterComplementary(_ newAssessmentId: String) {
        guard !inComplementary else { return }
        firstTestAnswers = answersGiven
        firstTestServed = servedIndices
        servedIndices = []
        lastServedId = nil
        lastServedIndex = nil
        assessmentId = newAssessmentId
        inComplementary = true
        answersGiven = 0
        attemptsByQuestion = []
        judgedForAlert = []
        pendingLiveAlert = nil
        incidentDone = true
    }

    /// What the candidate does once an answer is in: leave, or meet a companion alert.
    private mutating func afterAnswer() async throws(DaemonError) -> CandidateOutcome.Fate? {
        if inComplementary { return nil }
        if let after = candidate.abandonAfterAnswers, answersGiven >= after {
            return .abandoned
        }
        if companion == .none, let after = candidate.companionAlertAfterAnswers, answersGiven >= after {
            try await companionAlert()
        }
        return nil
    }

    /// Asks the invigilator to authorise a start or a resume, then starts (new token); tries
    /// again through an outage. False when the daemon says the test is already complete (its
    /// last answer was recorded before an outage took the acknowledgement).
    private mutating func startOrResume() async throws(DaemonError) -> Bool {
        simulatedSeconds += proctor.authoriseDelaySeconds(for: candidate.identity, ordinal: authorisations)
        authorisations += 1
        while true {
            do throws(DaemonError) {
                try await authoriseAndStart()
                break
            } catch where error.code == .candidateAlreadyCompleted && startedAtSeconds != nil {
                return false
            } catch where Self.isOutage(error) || (outages > 0 && Self.lostAuthorisationCodes.contains(error.code)) {
                // After an outage the authorisation may have gone with the daemon that gave it
                // (it restarted between the authorisation and the start): ask again.
                try await waitOutOutage(error)
            }
        }
        if startedAtSeconds == nil {
            startedAtSeconds = simulatedSeconds
            await recorder.candidateActive(+1, uptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        }
        return true
    }

    private mutating func authoriseAndStart() async throws(DaemonError) {
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            try await proctors.authorize(sessionId: sessionId, candidateId: candidateId)
        })
        let accessCode = session.accessCode
        let started = try await timed(LatencyOperation.start, { [candidates] () async throws(DaemonError) in
            try await candidates.start(sessionId: sessionId, candidateId: candidateId, accessCode: accessCode)
        })
        if expectsComplementary, !inComplementary, started.followedBy == nil, started.assessmentId != assessmentId,
           !assessmentId.isEmpty {
            // Resumed after an outage that spanned the handover: the daemon runs the second test.
            answerInFlight = false
            enterComplementary(started.assessmentId)
        }
        assessmentId = started.assessmentId
        token = started.token
    }

    /// Counts an outage's failed request and waits before the next try (bounded back-off);
    /// throws the failure once the outage outlasts the limits.
    private mutating func waitOutOutage(_ error: DaemonError) async throws(DaemonError) {
        let now = VirtualClock.uptimeNanoseconds()
        if outageBeganNanoseconds == nil {
            outageBeganNanoseconds = now
            outageTries = 0
            outages += 1
            samples.retries.record(.daemonUnavailable)
        }
        outageTries += 1
        let began = outageBeganNanoseconds ?? now
        let outageSeconds = now > began ? Double(now - began) / 1e9 : 0
        guard outageTries <= limits.reconnectAttemptsMax, outageSeconds < limits.daemonOutageSecondsMax else {
            gaveUp = true
            throw error
        }
        samples.retries.record(error.code)
        let doublings = Double(min(outageTries - 1, 30))
        let waitSeconds = min(limits.outageWaitSecondsMax, limits.outageWaitSecondsMin * Foundation.pow(2, doublings))
        try? await Task.sleep(nanoseconds: UInt64(max(0, waitSeconds) * 1e9))
    }

    /// Raises the pending live alert and has the invigilator decide on it.
    private mutating func liveAlert(on challengeId: String) async throws(DaemonError) {
        let response = try await timed(LatencyOperation.alert, { [candidates, assessmentId, token] () async throws(DaemonError) in
            try await candidates.raiseLiveAlert(assessmentId: assessmentId, token: token, challengeId: challengeId)
        })
        guard response.status == "ongoing" else {
            pendingLiveAlert = nil
            return
        }
        try await decidePendingLiveAlert()
    }

    /// The invigilator's verdict on the pending live alert (drawn once, whatever the outages).
    private mutating func decidePendingLiveAlert() async throws(DaemonError) {
        guard var alert = pendingLiveAlert else { return }
        let decision: LiveAlertDecision
        if let drawn = alert.decision {
            decision = drawn
        } else {
            decision = proctor.liveAlertDecision(for: candidate.identity, ordinal: liveAlerts)
            liveAlerts += 1
            simulatedSeconds += decision.delaySeconds
            alert.decision = decision
            pendingLiveAlert = alert
        }
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
            if decision.validate {
                try await proctors.validateLiveAlert(sessionId: sessionId, candidateId: candidateId,
                                                     reason: decision.reason)
            } else {
                try await proctors.dismissLiveAlert(sessionId: sessionId, candidateId: candidateId)
            }
        })
        pendingLiveAlert = nil
    }

    /// The companion extension signals a problem; the invigilator clears it after a while. Taken
    /// up where it stood after an outage: a clear whose acknowledgement was lost is done.
    private mutating func companionAlert() async throws(DaemonError) {
        let (sessionId, candidateId) = (session.sessionId, candidate.identity.candidateId)
        if companion == .none || companion == .raising {
            companion = .raising  // raising again is harmless: the daemon keeps one ongoing alert
            try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
                try await proctors.raiseCompanionAlert(sessionId: sessionId, candidateId: candidateId)
            })
            companion = .raised
            simulatedSeconds += proctor.companionClearDelaySeconds(for: candidate.identity)
        }
        let clearedBefore = companion == .clearing
        companion = .clearing
        do throws(DaemonError) {
            try await timed(LatencyOperation.control, { [proctors] () async throws(DaemonError) in
                try await proctors.clearCompanionAlert(sessionId: sessionId, candidateId: candidateId)
            })
        } catch where clearedBefore && error.code == .companionAlertNotOngoing {
            // The clear sent before the outage took effect.
        }
        companion = .done
    }

    /// Sends one request when it is due, retrying retryable refusals (bounded) except the codes
    /// `notRetried`, and records its latency from the intended send time.
    @discardableResult
    private mutating func timed<Result: Sendable>(
        _ operation: String, isAnswer: Bool = false, notRetried: Set<ErrorCode> = [],
        _ body: () async throws(DaemonError) -> Result,
        completedCertification: (Result) -> Bool = { _ in false }
    ) async throws(DaemonError) -> Result {
        requests += 1
        guard requests <= limits.requestsPerCandidateMax else {
            gaveUp = true
            throw DaemonError(.runnerRequestsExhausted,
                              "candidate \(candidate.identity.candidateId) sent \(limits.requestsPerCandidateMax) requests without finishing")
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
                guard error.isRetryable, attempt < limits.attemptsMax, !notRetried.contains(error.code) else { throw error }
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
