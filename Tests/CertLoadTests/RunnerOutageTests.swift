import CertCore
import CertDaemon
import Foundation
import Testing
@testable import CertLoad

/// The candidate flow through outages of a scripted daemon: a reply lost after the daemon
/// carried the request out (then a restart: tokens and authorisations gone, a few connections
/// refused), or a request lost before it. Each run is compared with the same candidate against
/// the same daemon without faults: the same answers to the same challenges, the same validated
/// alerts, nothing answered twice.
@Suite struct RunnerOutageTests {
    enum Operation: String, Sendable { case answer, raise, validate, dismiss, companionRaise, companionClear, next }

    /// What a fault does to the request it hits.
    enum FaultKind: Sendable {
        /// The daemon carries the request out, then restarts before replying.
        case loseReply
        /// The daemon restarts before the request reaches it.
        case loseRequest
        /// The daemon restarted while the candidate was away; the request reaches the new one.
        case restartBefore
    }

    struct Fault: Sendable {
        var operation: Operation
        /// Fires on the first such request once this many answers are in (nil: the first one).
        var atAnswers: Int?
        var kind: FaultKind
    }

    /// A daemon with the candidate API's rules, as far as one candidate sees them: challenges
    /// served in bank order (skipping validated alerts), one at a time, answered only while on
    /// screen; tokens and authorisations lost at a restart, the journal kept.
    actor FaultyDaemon: CandidateTransport, ProctorTransport {
        let bank: ItemBank
        let length: Int
        /// Calls refused (connection refused) after each restart.
        let refusedCallsAfterRestart: Int
        var faults: [Fault]
        var journal: [Answer] = []
        var validated: [String] = []
        var pendingAlert: String?
        var companionOngoing = false
        var authorised = false
        var token: String?
        var refusedCalls = 0
        var starts = 0
        var authorisations = 0
        var restarts = 0
        var decisions = 0
        var refusals: [ErrorCode] = []

        init(bank: ItemBank, length: Int = 32, faults: [Fault] = [], refusedCallsAfterRestart: Int = 2) {
            self.bank = bank
            self.length = length
            self.faults = faults
            self.refusedCallsAfterRestart = refusedCallsAfterRestart
        }

        var current: Challenge? {
            let answered = Set(journal.map(\.challengeId))
            return bank.challenges.first { !answered.contains($0.id) && !validated.contains($0.id) }
        }

        private func refuse(_ code: ErrorCode) -> DaemonError {
            refusals.append(code)
            // As the daemon: a pending live alert is a 409 with Retry-After (from its code).
            return DaemonError(code, "scripted")
        }

        private func checkUp() throws(DaemonError) {
            if refusedCalls > 0 {
                refusedCalls -= 1
                throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "scripted: connection refused")
            }
        }

        private func checkToken(_ given: String) throws(DaemonError) {
            guard given == token else { throw refuse(.invalidToken) }
        }

        private func restart() -> DaemonError {
            restarts += 1
            token = nil
            authorised = false
            refusedCalls = refusedCallsAfterRestart
            return TransportErrorCode.error(TransportErrorCode.connectionFailed, "scripted: connection reset")
        }

        /// The fault due for this request, removed once it fires.
        private func fault(_ operation: Operation) -> FaultKind? {
            guard let index = faults.firstIndex(where: {
                $0.operation == operation && ($0.atAnswers == nil || $0.atAnswers! <= journal.count)
            }) else { return nil }
            return faults.remove(at: index).kind
        }

        /// Runs `body` under the fault due for `operation`, if any.
        private func faulted<Result>(_ operation: Operation, _ body: () throws(DaemonError) -> Result) throws(DaemonError) -> Result {
            try checkUp()
            switch fault(operation) {
            case .loseRequest?:
                throw restart()
            case .restartBefore?:
                _ = restart()
                refusedCalls = 0
                return try body()
            case .loseReply?:
                _ = try body()
                throw restart()
            case nil:
                return try body()
            }
        }

        func start(sessionId: String, candidateId: String, accessCode: String) throws(DaemonError) -> StartResponse {
            try checkUp()
            guard authorised else { throw refuse(.candidateNotAuthorized) }
            authorised = false
            starts += 1
            token = "t\(starts)"
            return StartResponse(assessmentId: "a1", token: token!, resumed: starts > 1)
        }

        func next(assessmentId: String, token: String) throws(DaemonError) -> ChallengeResponse? {
            try faulted(.next) { () throws(DaemonError) -> ChallengeResponse? in
                try checkToken(token)
                if pendingAlert != nil { throw refuse(.liveAlertOngoing) }
                guard journal.count < length, let challenge = current else { return nil }
                return ChallengeResponse(challengeId: challenge.id, competence: challenge.competence,
                                         questionNumber: journal.count + 1)
            }
        }

        func answer(assessmentId: String, token: String, _ request: AnswerRequest) throws(DaemonError) -> AnswerResponse {
            try faulted(.answer) { () throws(DaemonError) -> AnswerResponse in
                try checkToken(token)
                if pendingAlert != nil { throw refuse(.liveAlertOngoing) }
                guard journal.count < length else { throw refuse(.testFinished) }
                guard request.challengeId == current?.id else { throw refuse(.notCurrentChallenge) }
                journal.append(Answer(challengeId: request.challengeId, result: request.result))
                return AnswerResponse(questionNumber: journal.count, answersCount: journal.count,
                                      completed: journal.count == length)
            }
        }

        func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) throws(DaemonError) -> AlertResponse {
            try faulted(.raise) { () throws(DaemonError) -> AlertResponse in
                try checkToken(token)
                if pendingAlert != nil { return AlertResponse(status: "ignored") }
                guard challengeId == current?.id else { throw refuse(.notCurrentChallenge) }
                pendingAlert = challengeId
                return AlertResponse(status: "ongoing")
            }
        }

        func certificate(verificationCode: String) throws(DaemonError) -> CertificateResponse {
            throw DaemonError.notFound(.certificateNotFound, "none")
        }

        func createSession(_ request: CreateSessionRequest) -> SessionCreated {
            SessionCreated(sessionId: request.sessionId ?? "S", accessCode: "BCDF23", invigilatorPassword: "pw")
        }
        func login(sessionId: String, password: String) {}
        func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) {}

        func authorize(sessionId: String, candidateId: String) throws(DaemonError) {
            try checkUp()
            guard journal.count < length else { throw refuse(.candidateAlreadyCompleted) }
            authorised = true
            authorisations += 1
        }

        func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) throws(DaemonError) {
            try faulted(.validate) { () throws(DaemonError) in
                guard let alert = pendingAlert else { throw refuse(.liveAlertNotOngoing) }
                validated.append(alert)
                pendingAlert = nil
                decisions += 1
            }
        }

        func dismissLiveAlert(sessionId: String, candidateId: String) throws(DaemonError) {
            try faulted(.dismiss) { () throws(DaemonError) in
                guard pendingAlert != nil else { throw refuse(.liveAlertNotOngoing) }
                pendingAlert = nil
                decisions += 1
            }
        }

        func raiseCompanionAlert(sessionId: String, candidateId: String) throws(DaemonError) {
            try faulted(.companionRaise) { () throws(DaemonError) in companionOngoing = true }
        }

        func clearCompanionAlert(sessionId: String, candidateId: String) throws(DaemonError) {
            try faulted(.companionClear) { () throws(DaemonError) in
                guard companionOngoing else { throw refuse(.companionAlertNotOngoing) }
                companionOngoing = false
            }
        }

        func showSession(_ sessionId: String) throws(DaemonError) -> SessionDetail {
            throw DaemonError.notFound(.sessionNotFound, "none")
        }
        func finalize(sessionId: String, abortReasons: [String: AbortReason]) throws(DaemonError) -> FinalizationSummary {
            throw DaemonError.notFound(.sessionNotFound, "none")
        }
        func publish(sessionId: String) throws(DaemonError) -> [PublishedCertificate] { [] }
        func closeSession(_ sessionId: String) {}
        func close() {}
    }

    static let bank = BankGenerator.generate(challenges: 120, seed: 1)

    /// Outages are waited out in milliseconds here, and bounded by their number of tries only:
    /// the real-time bound (a minute by default) would also count the time a loaded test machine
    /// keeps these tasks waiting for a thread, and fail them for it.
    static var quickLimits: FlowLimits {
        var limits = FlowLimits()
        limits.outageWaitSecondsMin = 0.001
        limits.outageWaitSecondsMax = 0.002
        limits.daemonOutageSecondsMax = 3_600
        return limits
    }

    static func flow(daemon: FaultyDaemon, recorder: RunRecorder, liveAlertRate: Double = 0, validateRatio: Double = 0.5,
                     companionShare: Double = 0, limits: FlowLimits = quickLimits) -> CandidateFlow {
        var scenario = RunnerFixtures.smallDay()
        scenario.behaviour = Behaviour()
        scenario.behaviour.liveAlertRatePerQuestion = liveAlertRate
        scenario.behaviour.companionAlertShare = companionShare
        var proctors = Proctors()
        proctors.validateRatio = validateRatio
        let draws = RunnerDraws(seed: 3)
        let identity = CandidateIdentity(personIndex: 0, sitting: 0, sessionId: "S", candidateId: "k1")
        let candidate = SimulatedCandidate(identity: identity, scenario: scenario, maximumAssessmentLength: 32, draws: draws)
        return CandidateFlow(
            candidate: candidate, session: SessionContext(sessionId: "S", accessCode: "BCDF23", opensAtSeconds: 0),
            proctor: SimulatedProctor(policy: proctors, draws: draws), candidates: daemon, proctors: daemon,
            items: TrueItemParameters(bank: bank, noise: CalibrationNoise(), draws: draws),
            pacing: Pacing(clock: VirtualClock(timeScale: 0)), recorder: recorder, limits: limits)
    }

    struct Played {
        var outcome: CandidateOutcome
        var journal: [Answer]
        var validated: [String]
        var restarts: Int
        var authorisations: Int
        var decisions: Int
        var refusals: [ErrorCode]
        var errors: [String: Int]
        var retries: [String: Int]
    }

    static func play(faults: [Fault], liveAlertRate: Double = 0, validateRatio: Double = 0.5, companionShare: Double = 0,
                     limits: FlowLimits = quickLimits, refusedCallsAfterRestart: Int = 2) async -> Played {
        let daemon = FaultyDaemon(bank: bank, faults: faults, refusedCallsAfterRestart: refusedCallsAfterRestart)
        let recorder = RunRecorder(beganUptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        var flow = Self.flow(daemon: daemon, recorder: recorder, liveAlertRate: liveAlertRate, validateRatio: validateRatio,
                             companionShare: companionShare, limits: limits)
        let outcome = await flow.run()
        return Played(
            outcome: outcome, journal: await daemon.journal, validated: await daemon.validated, restarts: await daemon.restarts,
            authorisations: await daemon.authorisations, decisions: await daemon.decisions, refusals: await daemon.refusals,
            errors: await recorder.errors.byCode, retries: await recorder.retries.byCode)
    }

    @Test func anAnswerWhoseAcknowledgementWasLostIsNotGivenAgain() async {
        let clean = await Self.play(faults: [])
        let played = await Self.play(faults: [Fault(operation: .answer, atAnswers: 5, kind: .loseReply)])
        #expect(played.outcome.fate == .completed)
        #expect(played.outcome.answersGiven == 32)
        #expect(played.restarts == 1)
        #expect(played.journal.count == 32)
        #expect(played.journal == clean.journal)
        #expect(played.refusals.isEmpty, "nothing refused, nothing answered twice: \(played.refusals)")
        #expect(played.errors.isEmpty)
        // One outage: the lost reply and the 2 refused connections are waited out.
        #expect(played.retries == ["DAEMON_UNAVAILABLE": 1, TransportErrorCode.connectionFailed.rawValue: 3])
        #expect(played.authorisations == 2)
    }

    @Test func anAnswerLostBeforeTheDaemonSawItIsGivenOnce() async {
        let clean = await Self.play(faults: [])
        let played = await Self.play(faults: [Fault(operation: .answer, atAnswers: 11, kind: .loseRequest)])
        #expect(played.outcome.fate == .completed)
        #expect(played.outcome.answersGiven == 32)
        #expect(played.journal == clean.journal)
        #expect(played.refusals.isEmpty, "\(played.refusals)")
    }

    @Test func theLastAnswerLostInAnOutageStillCompletesTheTest() async {
        let clean = await Self.play(faults: [])
        let played = await Self.play(faults: [Fault(operation: .answer, atAnswers: 31, kind: .loseReply)])
        #expect(played.outcome.fate == .completed)
        #expect(played.outcome.answersGiven == 32)
        #expect(played.journal == clean.journal)
        // The invigilator's re-authorisation is refused: the test is already complete.
        #expect(played.refusals == [.candidateAlreadyCompleted])
        #expect(played.errors.isEmpty)
    }

    @Test func aRestartBetweenTwoRequestsIsResumedFromTheStaleToken() async {
        let clean = await Self.play(faults: [])
        // The daemon restarts while the candidate thinks: its next request carries a token the
        // daemon no longer knows.
        let played = await Self.play(faults: [Fault(operation: .next, atAnswers: 7, kind: .restartBefore)])
        #expect(played.outcome.fate == .completed)
        #expect(played.journal == clean.journal)
        #expect(played.refusals == [.invalidToken])
        #expect(played.retries == ["DAEMON_UNAVAILABLE": 1, "INVALID_TOKEN": 1])
        #expect(played.authorisations == 2)
    }

    @Test func aValidationWhoseAcknowledgementWasLostIsNotAskedAgain() async {
        let clean = await Self.play(faults: [], liveAlertRate: 0.3, validateRatio: 1)
        #expect(!clean.validated.isEmpty, "the clean run validates alerts")
        let played = await Self.play(faults: [Fault(operation: .validate, atAnswers: nil, kind: .loseReply)],
                                     liveAlertRate: 0.3, validateRatio: 1)
        #expect(played.restarts == 1)
        #expect(played.outcome.fate == .completed)
        #expect(played.journal == clean.journal)
        #expect(played.validated == clean.validated)
        #expect(played.decisions == clean.decisions)
        #expect(played.refusals.isEmpty, "\(played.refusals)")
    }

    @Test func aRaiseWhoseAcknowledgementWasLostIsDecidedOnce() async {
        for validateRatio in [0.0, 1.0] {
            let clean = await Self.play(faults: [], liveAlertRate: 0.3, validateRatio: validateRatio)
            let played = await Self.play(faults: [Fault(operation: .raise, atAnswers: 3, kind: .loseReply)],
                                         liveAlertRate: 0.3, validateRatio: validateRatio)
            #expect(played.restarts == 1)
            #expect(played.outcome.fate == .completed)
            #expect(played.journal == clean.journal)
            #expect(played.validated == clean.validated)
            #expect(played.decisions == clean.decisions)
            // After the resume the daemon says the alert still waits for the invigilator: the
            // flow has the invigilator decide at once instead of waiting for Retry-After.
            #expect(played.refusals == [.liveAlertOngoing])
            #expect(played.retries == ["DAEMON_UNAVAILABLE": 1, TransportErrorCode.connectionFailed.rawValue: 3])
        }
    }

    @Test func anAlertLostWithTheDaemonIsRaisedAgainWhenItWasToBeValidated() async {
        let clean = await Self.play(faults: [], liveAlertRate: 0.3, validateRatio: 1)
        let played = await Self.play(faults: [Fault(operation: .raise, atAnswers: 3, kind: .loseRequest)],
                                     liveAlertRate: 0.3, validateRatio: 1)
        #expect(played.outcome.fate == .completed)
        #expect(played.journal == clean.journal)
        #expect(played.validated == clean.validated)
        #expect(played.refusals.isEmpty, "\(played.refusals)")
    }

    @Test func aDismissalWhoseAcknowledgementWasLostIsNotAskedAgain() async {
        let clean = await Self.play(faults: [], liveAlertRate: 0.3, validateRatio: 0)
        let played = await Self.play(faults: [Fault(operation: .dismiss, atAnswers: nil, kind: .loseReply)],
                                     liveAlertRate: 0.3, validateRatio: 0)
        #expect(played.restarts == 1)
        #expect(played.journal == clean.journal)
        #expect(played.decisions == clean.decisions)
        #expect(played.refusals.isEmpty, "\(played.refusals)")
    }

    @Test func aCompanionAlertCaughtByAnOutageIsCleared() async {
        for operation in [Operation.companionRaise, .companionClear] {
            for kind in [FaultKind.loseReply, .loseRequest] {
                let clean = await Self.play(faults: [], companionShare: 1)
                let played = await Self.play(faults: [Fault(operation: operation, atAnswers: nil, kind: kind)], companionShare: 1)
                #expect(played.restarts == 1, "\(operation) \(kind)")
                #expect(played.outcome.fate == .completed, "\(operation) \(kind)")
                #expect(played.journal == clean.journal, "\(operation) \(kind)")
                #expect(played.errors.isEmpty, "\(operation) \(kind): \(played.errors)")
                // Only a clear whose acknowledgement was lost meets an alert already cleared.
                let expected: [ErrorCode] = operation == .companionClear && kind == .loseReply ? [.companionAlertNotOngoing] : []
                #expect(played.refusals == expected, "\(operation) \(kind)")
            }
        }
    }

    @Test func aDaemonDownPastTheLimitsFailsTheCandidate() async {
        var limits = Self.quickLimits
        limits.reconnectAttemptsMax = 5
        let played = await Self.play(faults: [Fault(operation: .answer, atAnswers: 4, kind: .loseRequest)],
                                     limits: limits, refusedCallsAfterRestart: 1_000)
        #expect(played.outcome.fate == .failed(code: TransportErrorCode.connectionFailed))
        #expect(played.outcome.answersGiven == 4)
        #expect(played.errors == [TransportErrorCode.connectionFailed.rawValue: 1])
        // The lost answer and 4 refused resumes are waited out; the 6th failure is final.
        #expect(played.retries == ["DAEMON_UNAVAILABLE": 1, TransportErrorCode.connectionFailed.rawValue: 5])
    }
}

/// A session's close (finalise, publish) through an outage: carried on from where it stood,
/// nothing asked twice.
@Suite struct RunnerSessionCloseTests {
    enum Step: Sendable, Equatable { case finalize, publish, showAfterPublish }

    /// The proctor operations of one session; the reply of `lostReply` is lost once (the
    /// operation done), and the next call finds the daemon down.
    actor OneSessionProctors: ProctorTransport {
        var status = "started"
        var lostReply: Step?
        var down = false
        var finalizations = 0
        var publications = 0
        var abortReasons: [String: AbortReason] = [:]
        let certificate = PublishedCertificate(candidateId: "k1", assessmentId: "a1", verificationCode: "P-BCDFGHJK",
                                               pixScore: 312, meshLevel: 2, status: "validated")

        init(lostReply: Step?) { self.lostReply = lostReply }

        private func checkUp() throws(DaemonError) {
            if down {
                down = false
                throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "scripted: connection refused")
            }
        }

        private func lose(_ step: Step) throws(DaemonError) {
            guard lostReply == step else { return }
            lostReply = nil
            down = true
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "scripted: connection reset")
        }

        func showSession(_ sessionId: String) throws(DaemonError) -> SessionDetail {
            try checkUp()
            if status == "processed" { try lose(.showAfterPublish) }
            return SessionDetail(
                sessionId: sessionId, name: "", centre: "", status: status, accessCode: "BCDF23", createdAtSeconds: 0,
                firstStartedAtSeconds: 0, finalizedAtSeconds: nil,
                candidates: [
                    CandidateSummary(candidateId: "k1", status: "completed",
                                     needsAccessibility: false, locale: "fr-fr", assessmentId: "a1", answersCount: 32,
                                     authorizedUntilSeconds: nil, abortReason: nil, pixScore: nil, certificationStatus: nil),
                    CandidateSummary(candidateId: "k2", status: status == "started" ? "started" : "endedDueToFinalization",
                                     needsAccessibility: false, locale: "fr-fr", assessmentId: "a2", answersCount: 7,
                                     authorizedUntilSeconds: nil, abortReason: nil, pixScore: nil, certificationStatus: nil),
                ],
                alerts: [])
        }

        func finalize(sessionId: String, abortReasons: [String: AbortReason]) throws(DaemonError) -> FinalizationSummary {
            try checkUp()
            guard status == "started" else {
                throw DaemonError(.sessionAlreadyFinalized, "scripted")
            }
            status = "finalized"
            finalizations += 1
            self.abortReasons = abortReasons
            try lose(.finalize)
            return FinalizationSummary(sessionId: sessionId, status: status, completedCount: 1, endedByInvigilatorCount: 0,
                                       endedDueToFinalizationCount: 1, notStartedCount: 0, scoredCount: 1)
        }

        func publish(sessionId: String) throws(DaemonError) -> [PublishedCertificate] {
            try checkUp()
            guard status == "finalized" else {
                throw DaemonError(status == "processed" ? .sessionAlreadyPublished : .sessionNotFinalized, "scripted")
            }
            status = "processed"
            publications += 1
            try lose(.publish)
            return [certificate]
        }

        func createSession(_ request: CreateSessionRequest) -> SessionCreated {
            SessionCreated(sessionId: request.sessionId ?? "S", accessCode: "BCDF23", invigilatorPassword: "pw")
        }
        func login(sessionId: String, password: String) {}
        func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) {}
        func authorize(sessionId: String, candidateId: String) {}
        func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) {}
        func dismissLiveAlert(sessionId: String, candidateId: String) {}
        func raiseCompanionAlert(sessionId: String, candidateId: String) {}
        func clearCompanionAlert(sessionId: String, candidateId: String) {}
        func closeSession(_ sessionId: String) {}
        func close() {}
    }

    static func session(_ proctors: OneSessionProctors) -> SessionRun {
        let identities = ["k1", "k2"].enumerated().map {
            CandidateIdentity(personIndex: $0.offset, sitting: 0, sessionId: "S", candidateId: $0.element)
        }
        let plan = DayPlan.Session(index: 0, sessionId: "S", centre: 0, room: 0, wave: 0, sitting: 0, opensAtSeconds: 0,
                                   candidates: identities)
        return SessionRun(plan: plan, simulated: [], proctors: proctors, version: BuiltInVersions.coreV3,
                          limits: RunnerOutageTests.quickLimits)
    }

    @Test func aFinalisationOrPublicationCaughtByAnOutageIsNotAskedTwice() async throws {
        for step in [Step.finalize, .publish, .showAfterPublish, nil] {
            let proctors = OneSessionProctors(lostReply: step)
            let session = Self.session(proctors)
            let closed = try await session.close()
            #expect(await proctors.finalizations == 1, "\(String(describing: step))")
            #expect(await proctors.publications == 1, "\(String(describing: step))")
            #expect(await proctors.abortReasons == ["k2": .technical], "\(String(describing: step))")
            #expect(closed.detail.status == "processed")
            // Only a publication whose reply was lost leaves the run without its certificates.
            let expected = step == .publish ? [] : [await proctors.certificate]
            #expect(closed.certificates == expected, "\(String(describing: step))")
            #expect(await session.publicationRepliesLost == (step == .publish ? 1 : 0))
            #expect(await session.outageRetries.byCode == (step == nil ? [:] : [TransportErrorCode.connectionFailed.rawValue: 2]),
                    "\(String(describing: step))")
        }
    }
}
