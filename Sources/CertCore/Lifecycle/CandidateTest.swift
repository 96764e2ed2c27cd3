/// One candidate's whole test as one value: the lifecycle state (``CandidateState``), both
/// alert ledgers, the adaptive test with its time limit, and the scored result.
///
/// Owned by CertCore. Every rule about one candidate lives here, as pure transitions
/// `(test, event, context) → (test′, reply, [StoreWrite])`: ``apply(_:_:)`` either returns
/// an ``Outcome`` (the reply and the rows to commit together) or throws a typed refusal and
/// changes nothing. The daemon's engine shards hold these values and run the transitions
/// for live requests; recovery runs the same transitions over the stored journals
/// (``replay(_:)``); tests run them with no actor, socket or database.
///
/// ```swift
/// var test = CandidateTest(enrolment: enrolment, bank: bank, rules: .coreV3)
/// var context = CandidateTest.Context(nowSeconds: 0, seed: 7)
/// _ = try test.apply(.authorize(session: gate), context)
/// context.nowSeconds = 30
/// _ = try test.apply(.start(session: gate, assessmentId: "A-1", tokenHash: hash), context)
/// let next = try test.apply(.next, context)        // .challenge(…, questionNumber: 1)
/// ```
public struct CandidateTest: Sendable {
    /// What enrolment fixes for the life of the test.
    public struct Enrolment: Sendable, Equatable {
        public var sessionId: String
        public var candidateId: String
        /// Rank of the candidate in the session's enrolment order.
        public var externalIndex: Int
        public var locale: String
        public var needsAccessibility: Bool
        /// Extra time given at enrolment, in percent (33: a third more time).
        public var extraTimePercent: Double
        /// The test ends this long after the candidate's first start: the session's duration
        /// (the version's `assessmentDurationMinutes` unless the session set another) × (1 +
        /// extra time / 100) — the theoretical end of DESIGN §3.6.
        public var durationLimitSeconds: Double
        /// On a complementary test (DESIGN §3.8): its version; `candidateId` is then the test's
        /// key, `CANDIDATE#VERSION` (``complementaryKey(candidateId:versionId:)``). Nil on a test
        /// of the session's own version.
        public var testVersionId: String?
        /// On the session's own test: the complementary certification the candidate is also
        /// enrolled in (a test version, or a CLEA version that runs no test), if any.
        public var complementaryVersionId: String?

        /// The key a candidate's complementary test goes by in the engine and the store.
        public static func complementaryKey(candidateId: String, versionId: String) -> String {
            candidateId + "#" + versionId
        }

        /// The person: `candidateId` without a complementary test's `#VERSION`.
        public var personId: String {
            guard let testVersionId else { return candidateId }
            return String(candidateId.dropLast(testVersionId.utf8.count + 1))
        }

        /// DESIGN §3.6's theoretical end, from the first start: the session's duration × (1 +
        /// extra time / 100). The one place the rule is written (enrolment and recovery use it).
        public static func durationLimit(sessionDurationSeconds: Double, extraTimePercent: Double) -> Double {
            sessionDurationSeconds * (1 + extraTimePercent / 100)
        }

        public init(sessionId: String, candidateId: String, externalIndex: Int, locale: String = "fr-fr",
                    needsAccessibility: Bool = false, extraTimePercent: Double = 0, durationLimitSeconds: Double,
                    testVersionId: String? = nil, complementaryVersionId: String? = nil) {
            self.extraTimePercent = extraTimePercent
            self.testVersionId = testVersionId
            self.complementaryVersionId = complementaryVersionId
            precondition(durationLimitSeconds > 0, "a test lasts a positive time")
            self.sessionId = sessionId
            self.candidateId = candidateId
            self.externalIndex = externalIndex
            self.locale = locale
            self.needsAccessibility = needsAccessibility
            self.durationLimitSeconds = durationLimitSeconds
        }
    }

    /// What a transition may ask of its caller, injected so that the rules stay pure: the time,
    /// the seed of the challenge picks, and a source of fresh verification codes.
    public struct Context {
        public var nowSeconds: Double
        public var seed: UInt64
        /// A verification code not yet used anywhere, asked for when a result is written.
        public var drawVerificationCode: () throws(LifecycleError) -> String
        /// Lets the caller share equal competence-level tables between results (memory only).
        public var internLevels: ([String: Int]) -> [String: Int]

        public init(
            nowSeconds: Double, seed: UInt64,
            drawVerificationCode: @escaping () throws(LifecycleError) -> String = { "" },
            internLevels: @escaping ([String: Int]) -> [String: Int] = { $0 }
        ) {
            self.nowSeconds = nowSeconds
            self.seed = seed
            self.drawVerificationCode = drawVerificationCode
            self.internLevels = internLevels
        }
    }

    /// What the invigilator, the candidate or the session does to the test.
    public enum Event: Sendable, Equatable {
        /// The invigilator authorises a start (or a resume, once started).
        case authorize(session: SessionGate)
        /// The candidate starts or resumes. `assessmentId` names the test on a first start
        /// (ignored on a resume); `tokenHash` is stored with it.
        case start(session: SessionGate, assessmentId: String, tokenHash: String)
        /// A complementary test starting right after the candidate's first test ended (DESIGN
        /// §3.8): no new authorisation; authorised and started in one transition.
        case startFollowing(session: SessionGate, assessmentId: String, tokenHash: String)
        /// The challenge on screen (picked now if none is).
        case next
        case answer(Answer)
        case raiseLiveAlert(challengeId: String)
        /// The invigilator validates the ongoing live alert with a reason (nil only when
        /// replaying a journal written before reasons were recorded).
        case validateLiveAlert(reason: LiveAlertReason?)
        case dismissLiveAlert
        case raiseCompanionAlert
        case clearCompanionAlert
        case endByInvigilator
        /// The session is finalised; `abortReason` is required for every started, unfinished test.
        case finalize(abortReason: AbortReason?)
    }

    /// What a transition answers.
    public enum Reply: Sendable, Equatable {
        case done
        case started(CandidateStartKind, assessmentId: String)
        /// The challenge to answer (nil once the test is over) and its question number.
        case challenge(Challenge?, questionNumber: Int)
        case answered(questionNumber: Int, answersCount: Int, completed: Bool)
        case liveAlert(LiveAlertRaiseOutcome)
        /// The request is refused because the test's time ran out; the outcome's writes record
        /// the end (``CandidateStatus/endedDueToDurationExceeded``) and must be committed.
        case timeRanOut(limitSeconds: Double)
    }

    /// Something a proctor watching the session should hear of.
    public enum Notice: Sendable, Equatable {
        case authorized, started, resumed, answerRecorded(answersCount: Int), completed
        case endedByInvigilator, endedDueToDurationExceeded, endedDueToFinalization(AbortReason)
        case liveAlertRaised(challengeId: String), liveAlertValidated(challengeId: String)
        case liveAlertDismissed(challengeId: String)
        case companionAlertRaised, companionAlertCleared
        /// A result was written (at completion or finalisation).
        case resultWritten
    }

    public struct Outcome: Sendable, Equatable {
        public var reply: Reply
        /// Rows to commit together, in order, before the reply is sent.
        public var writes: [StoreWrite]
        public var notices: [Notice]
    }

    /// The kinds of lifecycle journal entry (``CandidateEventRecord/kind``).
    public enum EventKind: String, Sendable, CaseIterable {
        case authorized, started, liveAlertRaised, liveAlertValidated, liveAlertDismissed
        case companionAlertRaised, companionAlertCleared, endedByInvigilator, endedDueToDurationExceeded
        /// Finalisation reached this test; detail: the abort reason, if one was needed.
        case finalized
    }

    /// A scored test: provisional (no verification code, not stored) until written.
    public struct Scored: Sendable, Equatable {
        public var result: CertificationResult
        public var abortReason: AbortReason?
        /// Set once written: codes are drawn when the result is stored.
        public var verificationCode: String?
        public var isWritten: Bool { verificationCode != nil }

        public init(result: CertificationResult, abortReason: AbortReason?, verificationCode: String?) {
            self.result = result
            self.abortReason = abortReason
            self.verificationCode = verificationCode
        }
    }

    public let enrolment: Enrolment
    public private(set) var state: CandidateState
    public private(set) var liveAlerts = LiveAlertLedger()
    public private(set) var companionAlerts = CompanionAlertLedger()
    public private(set) var assessmentId: String?
    /// The adaptive test from the first start until its result is written; then nil (a
    /// finished test's buffers are several KB, and a year's run holds 150,000 of them).
    public private(set) var adaptive: AdaptiveTest? {
        get { adaptiveBox?.value }
        set { adaptiveBox = newValue.map(AdaptiveBox.init) }
    }
    /// Where `adaptive` lives: a box (copied on write), so that a test holds one pointer for it
    /// rather than its ~380 bytes inline — bytes a finished test kept, empty, for the rest of the
    /// daemon's life (150,000 tests in a year's run: about 55 MB).
    private var adaptiveBox: AdaptiveBox?
    /// Answers recorded, kept when the adaptive test is dropped.
    public private(set) var answersCount = 0
    public private(set) var scored: Scored?
    /// Lifecycle journal entries written so far (numbers the next one).
    public private(set) var eventsCount = 0
    /// Alerts raised so far, live and companion (numbers their store rows).
    public private(set) var alertsRaised = 0
    private var ongoingLiveAlertRowId: String?
    private var ongoingCompanionAlertRowId: String?
    private let bank: ItemBank
    /// The certification version and adaptive settings the test runs and is scored under.
    public let rules: CertificationRules
    private var configuration: AlgorithmConfiguration { rules.configuration }
    private let sessionKey: UInt64
    private let candidateKey: UInt64

    /// A newly enrolled candidate. The enrolment's own row is ``enrolmentWrite``.
    public init(enrolment: Enrolment, bank: ItemBank, rules: CertificationRules) {
        self.enrolment = enrolment
        self.state = CandidateState(id: enrolment.candidateId, sessionId: enrolment.sessionId)
        self.bank = bank
        self.rules = rules
        self.sessionKey = SeededRandom.key(enrolment.sessionId)
        self.candidateKey = SeededRandom.key(enrolment.candidateId)
    }

    /// The candidate row that records the enrolment.
    public var enrolmentWrite: StoreWrite {
        .candidate(CandidateRecord(
            sessionId: enrolment.sessionId, candidateId: enrolment.candidateId,
            externalIndex: enrolment.externalIndex, status: state.status.rawValue,
            abortReason: state.abortReason?.rawValue, needsAccessibility: enrolment.needsAccessibility,
            locale: enrolment.locale, extraTimePercent: enrolment.extraTimePercent,
            versionId: enrolment.testVersionId, complementaryVersionId: enrolment.complementaryVersionId))
    }

    public var sessionId: String { enrolment.sessionId }
    public var candidateId: String { enrolment.candidateId }
    /// When the test's time runs out (nil before the first start).
    public var timeLimitSeconds: Double? { state.firstStartSeconds.map { $0 + enrolment.durationLimitSeconds } }
    /// The live alert awaiting the invigilator, if any.
    public var ongoingLiveAlertChallengeId: String? { liveAlerts.ongoing?.challengeId }

    // MARK: Transitions

    /// Runs one event. Throws a refusal and changes nothing, or returns the reply and the
    /// writes that record the change (to commit together before replying).
    public mutating func apply(_ event: Event, _ context: Context) throws(LifecycleError) -> Outcome {
        let now = context.nowSeconds
        switch event {
        case .authorize(let session):
            // A session that takes no candidate any more (expired, finalised) gives its own
            // refusal first; otherwise a test whose time ran out ends and refuses.
            try session.checkAcceptsCandidates(nowSeconds: now)
            if let ended = endIfTimeRanOut(now) { return ended }
            try state.authorize(nowSeconds: now)
            return Outcome(reply: .done, writes: [journal(.authorized, now), statusWrite()], notices: [.authorized])

        case .start(let session, let newAssessmentId, let tokenHash):
            try session.checkAcceptsCandidates(nowSeconds: now)
            if let ended = endIfTimeRanOut(now) { return ended }
            var updated = state
            let kind = try updated.start(nowSeconds: now)
            let id = assessmentId ?? newAssessmentId
            if kind == .firstStart {
                adaptive = AdaptiveTest(bank: bank, configuration: configuration, locale: enrolment.locale,
                                        needsAccessibility: enrolment.needsAccessibility)
                assessmentId = id
            }
            state = updated
            let assessment = StoreWrite.assessment(AssessmentRecord(
                id: id, sessionId: sessionId, candidateId: candidateId, tokenHash: tokenHash,
                status: "started", startedSeconds: state.firstStartSeconds ?? now))
            // The assessment row comes before the journal entry that names it.
            return Outcome(
                reply: .started(kind, assessmentId: id),
                writes: [statusWrite(), assessment, journal(.started, now, detail: id)],
                notices: [kind == .firstStart ? .started : .resumed])

        case .startFollowing(let session, let newAssessmentId, let tokenHash):
            let before = self
            var authorized = try apply(.authorize(session: session), context)
            guard case .done = authorized.reply else { return authorized }
            let started: Outcome
            do throws(LifecycleError) {
                started = try apply(.start(session: session, assessmentId: newAssessmentId, tokenHash: tokenHash), context)
            } catch {
                self = before  // all or nothing: the authorisation alone is never kept
                throw error
            }
            authorized.reply = started.reply
            authorized.writes += started.writes
            authorized.notices += started.notices
            return authorized

        case .next:
            if let ended = endIfTimeRanOut(now) { return ended }
            let questionNumber = answersCount + 1
            guard state.status == .started, adaptiveBox != nil else {
                return Outcome(reply: .challenge(nil, questionNumber: questionNumber), writes: [], notices: [])
            }
            if let pending = liveAlerts.ongoing { throw liveAlertOngoing(pending.challengeId) }
            var random = pickRandom(seed: context.seed)
            let challenge: Challenge?
            do throws(SelectionError) {
                challenge = try mutateAdaptive { adaptive throws(SelectionError) in
                    try adaptive.nextChallenge(using: &random)
                }
            } catch {
                throw LifecycleError(selection: error)
            }
            return Outcome(reply: .challenge(challenge, questionNumber: questionNumber), writes: [], notices: [])

        case .answer(let answer):
            if let ended = endIfTimeRanOut(now) { return ended }
            guard state.status == .started, adaptiveBox != nil, let assessmentId else { throw testFinished() }
            if let pending = liveAlerts.ongoing { throw liveAlertOngoing(pending.challengeId) }
            // The code of a completing answer's result is drawn before anything changes, so
            // that running out of codes refuses the answer instead of half-recording it.
            let mayComplete = adaptiveBox!.value.countedAnswerCount + 1 >= configuration.maximumAssessmentLength
            let code = mayComplete ? try context.drawVerificationCode() : nil
            do throws(SelectionError) {
                try mutateAdaptive { adaptive throws(SelectionError) in try adaptive.record(answer) }
            } catch {
                throw LifecycleError(selection: error)
            }
            answersCount += 1
            var writes: [StoreWrite] = [.answer(AnswerRecord(
                assessmentId: assessmentId, questionNumber: answersCount, challengeId: answer.challengeId,
                result: answer.result.rawValue, recordedSeconds: now))]
            var notices: [Notice] = [.answerRecorded(answersCount: answersCount)]
            let completed = adaptiveBox!.value.isComplete
            if completed, let code {
                // A started test that just completed: `complete` cannot refuse here.
                try? state.complete(nowSeconds: now)
                writes.append(statusWrite())
                writes.append(.assessmentStatus(assessmentId: assessmentId, status: "completed"))
                writes.append(writeResult(abortReason: nil, code: code, context))
                notices += [.completed, .resultWritten]
            }
            return Outcome(
                reply: .answered(questionNumber: answersCount, answersCount: answersCount, completed: completed),
                writes: writes, notices: notices)

        case .raiseLiveAlert(let challengeId):
            if let ended = endIfTimeRanOut(now) { return ended }
            guard state.status == .started, let adaptive, let assessmentId else { throw testFinished() }
            let answered = Set(adaptive.answers.map(\.challengeId))
            let outcome = try liveAlerts.raise(
                challengeId: challengeId, currentChallengeId: adaptive.currentChallengeId,
                answeredChallengeIds: answered, questionNumber: answersCount + 1, nowSeconds: now)
            guard outcome == .raised else { return Outcome(reply: .liveAlert(outcome), writes: [], notices: []) }
            alertsRaised += 1
            let rowId = alertRowId(assessmentId, alertsRaised)
            ongoingLiveAlertRowId = rowId
            return Outcome(
                reply: .liveAlert(.raised),
                writes: [
                    .alert(AlertRecord(id: rowId, assessmentId: assessmentId, kind: .live, challengeId: challengeId,
                                       status: LiveAlertStatus.ongoing.rawValue, createdSeconds: now)),
                    journal(.liveAlertRaised, now, detail: challengeId),
                ],
                notices: [.liveAlertRaised(challengeId: challengeId)])

        case .validateLiveAlert, .dismissLiveAlert:
            var validate = false
            var reason: LiveAlertReason?
            if case .validateLiveAlert(let given) = event {
                validate = true
                reason = given
            }
            guard let pending = liveAlerts.ongoing, let assessmentId else {
                throw LifecycleError(.liveAlertNotOngoing,
                    "Candidate \(candidateId) has no ongoing live alert to decide on.")
            }
            if validate, adaptive != nil {
                // Checked first: the test refuses a challenge the bank does not hold.
                var probe = adaptive!
                do throws(SelectionError) {
                    try probe.validateLiveAlert(challengeId: pending.challengeId)
                } catch {
                    throw LifecycleError(selection: error)
                }
                adaptive = probe
            }
            let alert = validate
                ? try liveAlerts.validate(challengeId: pending.challengeId, reason: reason, nowSeconds: now)
                : try liveAlerts.dismiss(challengeId: pending.challengeId, nowSeconds: now)
            let rowId = ongoingLiveAlertRowId ?? alertRowId(assessmentId, alertsRaised)
            ongoingLiveAlertRowId = nil
            var writes: [StoreWrite] = [
                .alert(AlertRecord(id: rowId, assessmentId: assessmentId, kind: .live,
                                   challengeId: alert.challengeId, status: alert.status.rawValue,
                                   createdSeconds: alert.raisedAtSeconds, resolvedSeconds: alert.resolvedAtSeconds)),
                journal(validate ? .liveAlertValidated : .liveAlertDismissed, now,
                        detail: reason.map { "\(alert.challengeId) \($0.rawValue)" } ?? alert.challengeId),
            ]
            if let reason {
                // DESIGN §3.6: a validated live alert leaves an auto-resolved IN_CHALLENGE report.
                writes.append(.issueReport(IssueReportRecord(
                    id: "\(rowId)-IR", assessmentId: assessmentId, category: Self.inChallengeCategory,
                    subcategory: reason.rawValue, challengeId: alert.challengeId, questionNumber: alert.questionNumber,
                    resolved: true, details: "Live alert validated by the invigilator.", createdSeconds: now)))
            }
            return Outcome(
                reply: .done,
                writes: writes,
                notices: [validate ? .liveAlertValidated(challengeId: alert.challengeId)
                                   : .liveAlertDismissed(challengeId: alert.challengeId)])

        case .raiseCompanionAlert:
            guard let assessmentId else {
                throw LifecycleError(.candidateNotStarted,
                    "Candidate \(candidateId) has not started; a companion alert concerns a test in progress.")
            }
            guard companionAlerts.raise(nowSeconds: now) == .raised else {
                return Outcome(reply: .done, writes: [], notices: [])
            }
            alertsRaised += 1
            let rowId = alertRowId(assessmentId, alertsRaised)
            ongoingCompanionAlertRowId = rowId
            return Outcome(
                reply: .done,
                writes: [
                    .alert(AlertRecord(id: rowId, assessmentId: assessmentId, kind: .companion, challengeId: nil,
                                       status: CompanionAlertStatus.ongoing.rawValue, createdSeconds: now)),
                    journal(.companionAlertRaised, now),
                ],
                notices: [.companionAlertRaised])

        case .clearCompanionAlert:
            let cleared = try companionAlerts.clear(nowSeconds: now)
            let assessmentId = assessmentId ?? ""
            let rowId = ongoingCompanionAlertRowId ?? alertRowId(assessmentId, alertsRaised)
            ongoingCompanionAlertRowId = nil
            return Outcome(
                reply: .done,
                writes: [
                    .alert(AlertRecord(id: rowId, assessmentId: assessmentId, kind: .companion, challengeId: nil,
                                       status: cleared.status.rawValue, createdSeconds: cleared.raisedAtSeconds,
                                       resolvedSeconds: cleared.clearedAtSeconds)),
                    journal(.companionAlertCleared, now),
                ],
                notices: [.companionAlertCleared])

        case .endByInvigilator:
            try state.endByInvigilator(nowSeconds: now)
            closeProvisionally()
            return Outcome(reply: .done, writes: [statusWrite(), journal(.endedByInvigilator, now)],
                           notices: [.endedByInvigilator])

        case .finalize(let abortReason):
            return try finalize(abortReason: abortReason, context)
        }
    }

    /// `.next` when it writes nothing, run in place: nil, with nothing changed, when the time
    /// ran out (the caller then applies `.next`, which ends the test and writes the end).
    /// Lets an owner that holds tests in a collection check the time and pick without copying
    /// the whole value first (a read through a getter copies it; profiled at ~3 % of a day's
    /// CPU).
    public mutating func nextWithoutWrites(_ context: Context) throws(LifecycleError) -> Outcome? {
        if timeRunsOut(atSeconds: context.nowSeconds) { return nil }
        let outcome = try apply(.next, context)
        // Only the time-out (checked above) makes `.next` write; the value has changed in place,
        // so returning nil here would lose what the writes say.
        precondition(outcome.writes.isEmpty, "next wrote rows without the time running out")
        return outcome
    }

    /// True when a request now would find the test's time run out (and end it): the caller
    /// then takes the path that commits the end before refusing.
    public func timeRunsOut(atSeconds now: Double) -> Bool {
        guard state.status == .started, let firstStart = state.firstStartSeconds else { return false }
        return now - firstStart >= enrolment.durationLimitSeconds
    }

    /// Runs `body` on the adaptive test in place, copying its box first only if another test
    /// value shares it (value semantics). The caller checked that there is one.
    private mutating func mutateAdaptive<Result>(
        _ body: (inout AdaptiveTest) throws(SelectionError) -> Result
    ) throws(SelectionError) -> Result {
        if !isKnownUniquelyReferenced(&adaptiveBox!) { adaptiveBox = AdaptiveBox(adaptiveBox!.value) }
        return try body(&adaptiveBox!.value)
    }

    // MARK: Recovery

    /// Rebuilds a test from its journals by running the same transitions again: the lifecycle
    /// entries (`events`, ordered by ordinal) and the answers (ordered by question number),
    /// interleaved by the answer count each entry records. Before each answer the challenge is
    /// picked again with the same seeded draw and must be the journalled one; every entry must
    /// apply as it did. Anything else is RECOVERY_MISMATCH (another bank or seed than the
    /// journal's, or a damaged journal), never a silent repair.
    ///
    /// A candidate who was in a test comes back `started` with no authorisation (the start used
    /// it up): resuming needs a fresh one. An authorisation given and not yet used comes back
    /// with its original time, so it expires when it would have.
    public static func replay(
        enrolment: Enrolment, bank: ItemBank, rules: CertificationRules, seed: UInt64,
        events: [CandidateEventRecord], answers: [AnswerRecord]
    ) throws(LifecycleError) -> CandidateTest {
        var test = CandidateTest(enrolment: enrolment, bank: bank, rules: rules)
        let gate = SessionGate(sessionId: enrolment.sessionId, status: .started, expiresAtSeconds: nil)
        var eventIndex = 0
        var answerIndex = 0
        func mismatch(_ what: String) -> LifecycleError {
            LifecycleError(.recoveryMismatch,
                "Candidate \(enrolment.candidateId) of session \(enrolment.sessionId) cannot be rebuilt from its journal: \(what).")
        }
        while eventIndex < events.count || answerIndex < answers.count {
            if eventIndex < events.count, events[eventIndex].answersCount <= test.answersCount {
                let record = events[eventIndex]
                guard record.answersCount == test.answersCount, record.ordinal == test.eventsCount + 1 else {
                    throw mismatch("entry \(record.ordinal) (\(record.kind)) is out of order")
                }
                guard let kind = EventKind(rawValue: record.kind) else {
                    throw mismatch("entry \(record.ordinal) has an unknown kind \"\(record.kind)\"")
                }
                var context = Context(nowSeconds: record.atSeconds, seed: seed,
                                      drawVerificationCode: { "" })
                context.nowSeconds = record.atSeconds
                let event: Event
                switch kind {
                case .authorized: event = .authorize(session: gate)
                case .started:
                    guard let id = record.detail else { throw mismatch("start \(record.ordinal) names no assessment") }
                    event = .start(session: gate, assessmentId: id, tokenHash: "")
                case .liveAlertRaised:
                    guard let id = record.detail else { throw mismatch("alert \(record.ordinal) names no challenge") }
                    // The challenge was on screen: serve it again (the same seeded pick).
                    _ = try test.apply(.next, context)
                    event = .raiseLiveAlert(challengeId: id)
                case .liveAlertValidated:
                    // "CHALLENGE REASON"; a bare challenge id is a journal from before reasons.
                    let words = record.detail?.split(separator: " ") ?? []
                    var reason: LiveAlertReason?
                    if words.count == 2 {
                        guard let parsed = LiveAlertReason(rawValue: String(words[1])) else {
                            throw mismatch("alert validation \(record.ordinal) has an unknown reason \"\(words[1])\"")
                        }
                        reason = parsed
                    }
                    event = .validateLiveAlert(reason: reason)
                case .liveAlertDismissed: event = .dismissLiveAlert
                case .companionAlertRaised: event = .raiseCompanionAlert
                case .companionAlertCleared: event = .clearCompanionAlert
                case .endedByInvigilator: event = .endByInvigilator
                // The time limit ends a test at the first request past it: any request replays it.
                case .endedDueToDurationExceeded: event = .next
                case .finalized: event = .finalize(abortReason: record.detail.flatMap(AbortReason.init(rawValue:)))
                }
                let outcome = try test.apply(event, context)
                guard test.eventsCount == record.ordinal else {
                    throw mismatch("entry \(record.ordinal) (\(record.kind)) did not apply as journalled")
                }
                _ = outcome
                eventIndex += 1
            } else if answerIndex < answers.count {
                let record = answers[answerIndex]
                guard record.questionNumber == test.answersCount + 1 else {
                    throw mismatch("answer \(record.questionNumber) is out of order")
                }
                guard let result = AnswerResult(rawValue: record.result) else {
                    throw mismatch("answer \(record.questionNumber) has an unknown result \"\(record.result)\"")
                }
                let context = Context(nowSeconds: record.recordedSeconds, seed: seed, drawVerificationCode: { "" })
                let served = try test.apply(.next, context)
                guard case .challenge(let challenge?, _) = served.reply, challenge.id == record.challengeId else {
                    throw mismatch("answer \(record.questionNumber) is to \(record.challengeId), not to the challenge the daemon serves there (another bank or seed?)")
                }
                _ = try test.apply(.answer(Answer(challengeId: record.challengeId, result: result)), context)
                answerIndex += 1
            } else {
                throw mismatch("entry \(events[eventIndex].ordinal) follows an answer the journal does not hold")
            }
        }
        return test
    }

    /// A test whose result is stored: closed for good (no transition changes it any more), so it
    /// comes back from its rows without a replay — what a year's store needs at start.
    public init(
        restoringClosed enrolment: Enrolment, bank: ItemBank, rules: CertificationRules,
        status: CandidateStatus, abortReason: AbortReason?, firstStartSeconds: Double?, assessmentId: String,
        answersCount: Int, eventsCount: Int, scored: Scored
    ) {
        self.init(enrolment: enrolment, bank: bank, rules: rules)
        state = CandidateState(
            restoring: enrolment.candidateId, sessionId: enrolment.sessionId, status: status,
            firstStartSeconds: firstStartSeconds, lastStartSeconds: nil, endedSeconds: nil,
            startCount: status.hasStarted ? 1 : 0, abortReason: abortReason)
        self.assessmentId = assessmentId
        self.answersCount = answersCount
        self.eventsCount = eventsCount
        self.scored = scored
    }

    /// Replaces the verification code of the written result by the stored one (recovery).
    public mutating func attachStoredCode(_ code: String) {
        scored?.verificationCode = code
    }

    // MARK: Rules shared by several transitions

    /// The time limit, checked before every request of the candidate and every authorisation:
    /// once `durationLimitSeconds` have passed since the first start, a test in progress ends
    /// (the returned outcome records it); a test that ended so keeps refusing.
    private mutating func endIfTimeRanOut(_ now: Double) -> Outcome? {
        let limit = enrolment.durationLimitSeconds
        if state.status == .endedDueToDurationExceeded {
            return Outcome(reply: .timeRanOut(limitSeconds: limit), writes: [], notices: [])
        }
        guard state.status == .started, let firstStart = state.firstStartSeconds, now - firstStart >= limit else {
            return nil
        }
        // The guard above is the transition's own precondition: it cannot refuse here.
        try? state.endDueToDurationExceeded(durationLimitSeconds: limit, nowSeconds: now)
        closeProvisionally()
        return Outcome(reply: .timeRanOut(limitSeconds: limit),
                       writes: [statusWrite(), journal(.endedDueToDurationExceeded, now)],
                       notices: [.endedDueToDurationExceeded])
    }

    /// An ended, uncompleted test: no more answers; scored now without an abort reason, for
    /// the proctor's view, and scored again once finalisation gives the reason.
    private mutating func closeProvisionally() {
        if let adaptive, scored?.isWritten != true {
            scored = try? Scored(result: Self.score(adaptive, abortReason: state.abortReason, bank: bank,
                                                    rules: rules),
                                 abortReason: state.abortReason, verificationCode: nil)
        }
    }

    private mutating func finalize(abortReason: AbortReason?, _ context: Context) throws(LifecycleError) -> Outcome {
        let now = context.nowSeconds
        switch state.status {
        case .enrolled, .authorizedToStart:
            if abortReason != nil {
                throw LifecycleError(.finalizationUnexpectedAbortReason,
                    "An abort reason was given for candidate \(candidateId), who never started.")
            }
            return Outcome(reply: .done, writes: [], notices: [])
        case .completed:
            // A reason given for a test that completed meanwhile (its last answer won the race
            // with the finalisation) has nothing left to explain.
            return Outcome(reply: .done, writes: [], notices: [])
        case .started, .endedByInvigilator, .endedDueToFinalization, .endedDueToDurationExceeded:
            guard let reason = abortReason ?? state.abortReason else {
                throw LifecycleError(.finalizationMissingAbortReason,
                    "Give an abort reason (candidate or technical) for the unfinished test of candidate \(candidateId) before finalising.")
            }
            if scored?.isWritten == true { return Outcome(reply: .done, writes: [], notices: []) }
            guard adaptiveBox != nil, assessmentId != nil else {
                throw LifecycleError(.candidateNotStarted, "Candidate \(candidateId) has no test to score.")
            }
            var updated = state
            try updated.setAbortReason(reason)
            let wasRunning = updated.status == .started
            if wasRunning { try updated.endDueToFinalization(abortReason: reason, nowSeconds: now) }
            // Drawn before any change, so that a refusal leaves the test as it was.
            let code = try context.drawVerificationCode()
            state = updated
            let written = writeResult(abortReason: reason, code: code, context)
            var notices: [Notice] = wasRunning ? [.endedDueToFinalization(reason)] : []
            notices.append(.resultWritten)
            return Outcome(
                reply: .done,
                writes: [statusWrite(), journal(.finalized, now, detail: reason.rawValue), written],
                notices: notices)
        }
    }

    /// Scores the test with `abortReason`, keeps the written result under `code` and drops the
    /// adaptive test. The caller checked that the test started.
    private mutating func writeResult(abortReason: AbortReason?, code: String, _ context: Context) -> StoreWrite {
        // Scoring refuses only answers the bank does not hold or more answers than the maximum,
        // and `record` admitted neither: a failure here is a broken invariant.
        guard var result = try? Self.score(adaptiveBox!.value, abortReason: abortReason, bank: bank,
                                           rules: rules)
        else { preconditionFailure("a test built by its transitions always scores") }
        result.competenceLevels = result.competenceLevels.map(context.internLevels)
        let record = ResultRecord(
            assessmentId: assessmentId!, capacity: result.capacity, errorRate: result.errorRate,
            pixScore: result.pixScore, meshLevel: result.meshLevel, level: result.level,
            competenceLevels: result.competenceLevels, status: result.status.rawValue,
            statusReason: result.statusReason?.rawValue, versionId: result.version,
            answersCount: result.answersCount, verificationCode: code, scoredSeconds: context.nowSeconds)
        // A written result is never re-scored: the estimate history goes with the adaptive test.
        result.history = []
        scored = Scored(result: result, abortReason: abortReason, verificationCode: code)
        adaptive = nil
        return .result(record)
    }

    static func score(_ test: AdaptiveTest, abortReason: AbortReason?, bank: ItemBank,
                      rules: CertificationRules) throws(LifecycleError) -> CertificationResult {
        do throws(ScoringError) {
            return try Scoring.score(
                answers: test.answers, abortReason: abortReason,
                validatedAlertChallengeIds: test.validatedAlertChallengeIds, bank: bank,
                version: rules.version, configuration: rules.configuration)
        } catch {
            throw LifecycleError(.scoringFailed, error.message)
        }
    }

    /// The generator of the next pick: keyed by (seed, session, candidate, question number),
    /// so that a test rebuilt after a crash picks what it picked before.
    public func pickRandom(seed: UInt64) -> SeededRandom {
        // `SeededRandom(seed:keys:)` on these four keys, without the array.
        SeededRandom(SeededRandom.KeyMix(seed: seed).adding(sessionKey).adding(candidateKey)
            .adding(UInt64(answersCount + 1)).adding(Self.challengePickPurpose))
    }

    static let challengePickPurpose = SeededRandom.key("challenge-pick")

    /// The issue report category of a validated live alert.
    public static let inChallengeCategory = "IN_CHALLENGE"

    private mutating func journal(_ kind: EventKind, _ now: Double, detail: String? = nil) -> StoreWrite {
        eventsCount += 1
        return .candidateEvent(CandidateEventRecord(
            sessionId: sessionId, candidateId: candidateId, ordinal: eventsCount, kind: kind.rawValue,
            atSeconds: now, answersCount: answersCount, detail: detail))
    }

    private func statusWrite() -> StoreWrite {
        .candidateStatus(sessionId: sessionId, candidateId: candidateId, status: state.status.rawValue,
                         abortReason: state.abortReason?.rawValue)
    }

    private func alertRowId(_ assessmentId: String, _ ordinal: Int) -> String {
        let digits = String(ordinal)
        return assessmentId + "-alert-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private func testFinished() -> LifecycleError {
        LifecycleError(.testFinished,
            "The test of assessment \(assessmentId ?? candidateId) is over; it accepts no more answers.")
    }

    private func liveAlertOngoing(_ challengeId: String) -> LifecycleError {
        LifecycleError(.liveAlertOngoing,
            "An alert on challenge \(challengeId) awaits the invigilator; wait for the decision.")
    }
}

/// What a candidate's transitions need to know of the session: whether it still takes
/// candidates. Owned by CertCore's lifecycle; the session's owner hands out a copy.
public struct SessionGate: Sendable, Equatable {
    public var sessionId: String
    public var status: SessionStatus
    public var expiresAtSeconds: Double?

    public init(sessionId: String, status: SessionStatus, expiresAtSeconds: Double?) {
        self.sessionId = sessionId
        self.status = status
        self.expiresAtSeconds = expiresAtSeconds
    }

    /// The gate of a session as it stands.
    public init(_ session: SessionState) {
        self.init(sessionId: session.id, status: session.status, expiresAtSeconds: session.expiresAtSeconds)
    }

    /// Whether a candidate may be authorised, start or resume now. Throws the refusal if not.
    public func checkAcceptsCandidates(nowSeconds: Double) throws(LifecycleError) {
        switch status {
        case .created, .started:
            if let expiresAtSeconds, nowSeconds >= expiresAtSeconds {
                throw LifecycleError(.sessionExpired,
                    "Session \(sessionId) expired 24 hours after its first start; no candidate may start or resume.")
            }
        case .finalized, .inProcess:
            throw LifecycleError(.sessionAlreadyFinalized,
                "Session \(sessionId) is finalised; no candidate may start or resume.")
        case .processed:
            throw LifecycleError(.sessionAlreadyPublished,
                "Session \(sessionId) has published results; no candidate may start or resume.")
        }
    }
}

extension LifecycleError {
    /// A selection refusal inside a candidate's transition: answering past the end is
    /// TEST_FINISHED to the candidate; the others (LACK_OF_CHALLENGES, NOT_CURRENT_CHALLENGE,
    /// UNKNOWN_CHALLENGE) stay as they are.
    init(selection error: SelectionError) {
        self = error.code == .tooManyAnswers ? CertError(.testFinished, error.message) : error
    }
}

/// The box of a test's `AdaptiveTest`: mutated only through `CandidateTest.mutateAdaptive`, which
/// copies it first unless the test holds the only reference (so `CandidateTest` stays a value).
private final class AdaptiveBox: @unchecked Sendable {
    var value: AdaptiveTest

    init(_ value: AdaptiveTest) { self.value = value }
}
