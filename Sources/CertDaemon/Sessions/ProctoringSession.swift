import CertCore
import CertStore

/// One certification session: holds the CertCore lifecycle values — the `SessionState`, a
/// `CandidateState` per candidate, each candidate's live-alert and companion-alert ledgers —
/// and serialises the proctor's and the candidates' lifecycle operations on them. Owned by
/// the daemon core; created by the `SessionSupervisor`.
///
/// Transitions run on the values synchronously, before any await, so that of two concurrent
/// decisions (two proctors validating one alert) exactly one applies and the other gets the
/// lifecycle's refusal. The adaptive tests live in the engines; this actor calls them for
/// what touches a test (create, alert hold, validate, close).
actor ProctoringSession {
    struct Candidate {
        var state: CandidateState
        let needsAccessibility: Bool
        let locale: String
        let externalIndex: Int
        var assessmentId: String?
        var liveAlerts = LiveAlertLedger()
        var companionAlerts = CompanionAlertLedger()
        /// Alerts raised so far (live and companion), to number their store rows.
        var alertsRaised = 0
        /// Store id of the ongoing live / companion alert.
        var ongoingLiveAlertId: String?
        var ongoingCompanionAlertId: String?
        var companionRaisedAtSeconds: Double?
    }

    nonisolated let id: String
    private let context: DaemonContext
    private var session: SessionState
    private let passwordHash: String
    private let createdAtSeconds: Double
    private var candidates: [String: Candidate] = [:]
    private var candidateOrder: [String] = []

    init(session: SessionState, passwordHash: String, createdAtSeconds: Double, context: DaemonContext) {
        self.id = session.id
        self.session = session
        self.passwordHash = passwordHash
        self.createdAtSeconds = createdAtSeconds
        self.context = context
    }

    var status: SessionStatus { session.status }
    var accessCode: String { session.accessCode }

    static func hashPassword(_ password: String, sessionId: String) -> String {
        Draws.digest(password, salt: "invigilator:" + sessionId)
    }

    var sessionRecord: SessionRecord {
        SessionRecord(
            id: id, accessCode: session.accessCode, invigilatorPasswordHash: passwordHash, name: session.name,
            centre: session.centre, nominalDurationSeconds: session.nominalDurationSeconds,
            status: session.status.rawValue, createdSeconds: createdAtSeconds,
            firstStartSeconds: session.firstStartSeconds, finalizedSeconds: session.finalizedSeconds,
            publishedSeconds: session.publishedSeconds)
    }

    // MARK: Proctor: candidates

    func checkPassword(_ password: String) throws(DaemonError) {
        guard Self.hashPassword(password, sessionId: id) == passwordHash else { throw .invalidCredentials }
    }

    func enrol(candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        try checkId(candidateId, what: "candidate id")
        switch session.status {
        case .created, .started: break
        case .finalized, .inProcess:
            throw DaemonError(LifecycleError(.sessionAlreadyFinalized, "Session \(id) is finalised; no candidate can be enrolled."))
        case .processed:
            throw DaemonError(LifecycleError(.sessionAlreadyPublished, "Session \(id) has published its results; no candidate can be enrolled."))
        }
        guard candidates[candidateId] == nil else {
            throw .conflict(.candidateAlreadyEnrolled, "Candidate \(candidateId) is already enrolled in session \(id).")
        }
        guard candidates.count < context.limits.candidatesPerSessionMax else {
            throw .conflict(
                .sessionFull,
                "Session \(id) already has \(context.limits.candidatesPerSessionMax) candidates (candidatesPerSessionMax).")
        }
        let candidate = Candidate(
            state: CandidateState(id: candidateId, sessionId: id), needsAccessibility: needsAccessibility,
            locale: locale, externalIndex: candidateOrder.count)
        candidates[candidateId] = candidate
        candidateOrder.append(candidateId)
        context.gauges.add(.candidates, 1)
        try await context.write(.candidate(record(of: candidate)))
        publish(.candidateEnrolled, candidateId)
    }

    func authorize(candidateId: String) async throws(DaemonError) {
        try await refuseIfTimeRanOut(candidateId)
        var candidate = try find(candidateId)
        do {
            try session.authorize(&candidate.state, nowSeconds: context.nowSeconds())
        } catch {
            throw DaemonError(error)
        }
        candidates[candidateId] = candidate
        try await context.write(.candidateStatus(
            sessionId: id, candidateId: candidateId, status: candidate.state.status,
            abortReason: candidate.state.abortReason))
        publish(.candidateAuthorized, candidateId)
    }

    // MARK: Candidate: start or resume

    func start(candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        guard accessCode == session.accessCode else { throw .invalidAccessCode }
        try await refuseIfTimeRanOut(candidateId)
        var candidate = try find(candidateId)
        let now = context.nowSeconds()
        let sessionWasCreated = session.status == .created
        let kind: CandidateStartKind
        do {
            kind = try session.start(&candidate.state, nowSeconds: now)
        } catch {
            throw DaemonError(error)
        }
        let isFirstStart = candidate.assessmentId == nil
        let assessmentId = candidate.assessmentId ?? newAssessmentId(candidateId: candidateId)
        candidate.assessmentId = assessmentId
        candidates[candidateId] = candidate
        let token = Draws.token()
        let slot = context.pool.slot(for: assessmentId)
        context.routes.register(RoutingTable.Route(
            assessmentId: assessmentId, sessionId: id, candidateId: candidateId, slot: slot, session: self,
            token: token))
        if isFirstStart {
            context.gauges.add(.activeCandidates, 1)
            slot.engine.create(
                assessmentId: assessmentId, sessionId: id, candidateId: candidateId, locale: candidate.locale,
                needsAccessibility: candidate.needsAccessibility, firstStartSeconds: candidate.state.firstStartSeconds ?? now,
                durationLimitSeconds: session.nominalDurationSeconds)
        }
        if sessionWasCreated { try await context.write(.session(sessionRecord)) }
        try await context.write(.candidateStatus(
            sessionId: id, candidateId: candidateId, status: candidate.state.status,
            abortReason: candidate.state.abortReason))
        try await context.write(.assessment(AssessmentRecord(
            id: assessmentId, sessionId: id, candidateId: candidateId,
            tokenHash: Draws.digest(token, salt: "token:" + assessmentId), status: "started",
            startedSeconds: candidate.state.firstStartSeconds ?? now)))
        publish(kind == .resume ? .candidateResumed : .candidateStarted, candidateId, detail: assessmentId)
        return StartResponse(assessmentId: assessmentId, token: token, resumed: kind == .resume)
    }

    /// The engine completed the candidate's test (its last answer): record the completion.
    func candidateCompleted(candidateId: String) async throws(DaemonError) {
        guard var candidate = candidates[candidateId], candidate.state.status == .started else { return }
        try? candidate.state.complete(nowSeconds: context.nowSeconds())
        candidates[candidateId] = candidate
        context.gauges.add(.activeCandidates, -1)
        try await context.write(.candidateStatus(
            sessionId: id, candidateId: candidateId, status: .completed, abortReason: nil))
        if let assessmentId = candidate.assessmentId {
            try await context.write(.assessmentStatus(assessmentId: assessmentId, status: "completed"))
        }
        publish(.candidateCompleted, candidateId)
    }

    // MARK: Time limit

    /// The candidate's test has run the session's nominal duration since its first start:
    /// end it (`endedDueToDurationExceeded`; scored at finalisation, which needs an abort
    /// reason for it). Checked lazily — at the candidate's next request (the engine refuses
    /// it and the runtime reports it here), at a start or an authorisation — not by a timer.
    /// Returns true when the test is over for that reason (now or before).
    @discardableResult
    func endIfTimeRanOut(candidateId: String) async -> Bool {
        guard var candidate = candidates[candidateId] else { return false }
        if candidate.state.status == .endedDueToDurationExceeded { return true }
        guard candidate.state.status == .started, let firstStartSeconds = candidate.state.firstStartSeconds else { return false }
        let now = context.nowSeconds()
        guard now - firstStartSeconds >= session.nominalDurationSeconds else { return false }
        do {
            try candidate.state.endDueToDurationExceeded(durationLimitSeconds: session.nominalDurationSeconds, nowSeconds: now)
        } catch {
            return false
        }
        // Applied before any await, so that of two requests noticing it one ends the test.
        candidates[candidateId] = candidate
        context.gauges.add(.activeCandidates, -1)
        if let assessmentId = candidate.assessmentId {
            let progress = try? await context.pool.slot(for: assessmentId).engine.close(
                assessmentId: assessmentId, abortReason: nil, write: false, timeRanOut: true)
            if progress?.isCompleted == true {
                // The last answer was recorded just before the time ran out.
                markCompleted(candidateId)
            }
        }
        let status = candidates[candidateId]!.state.status
        try? await context.write(.candidateStatus(sessionId: id, candidateId: candidateId, status: status, abortReason: nil))
        if status == .completed {
            publish(.candidateCompleted, candidateId)
            return false
        }
        publish(.candidateEndedDueToDurationExceeded, candidateId)
        return true
    }

    /// Before an authorisation or a start. A session that takes no candidate any more
    /// (expired, finalised) gives its own refusal instead, from the transition itself.
    private func refuseIfTimeRanOut(_ candidateId: String) async throws(DaemonError) {
        let candidate = try find(candidateId)
        guard (try? session.checkAcceptsCandidates(nowSeconds: context.nowSeconds())) != nil,
            await endIfTimeRanOut(candidateId: candidateId)
        else { return }
        throw .testDurationExceeded(candidate.assessmentId ?? candidateId, limitSeconds: session.nominalDurationSeconds)
    }

    // MARK: Live alerts

    /// The candidate reports a problem with the challenge on screen.
    func raiseLiveAlert(candidateId: String, assessmentId: String, challengeId: String) async throws(DaemonError)
        -> AlertResponse
    {
        _ = try find(candidateId)
        let slot = context.pool.slot(for: assessmentId)
        let hold = try slot.engine.holdForLiveAlert(assessmentId: assessmentId, challengeId: challengeId)
        // Re-read after the await: another raise may have run meanwhile.
        var candidate = try find(candidateId)
        let now = context.nowSeconds()
        let outcome: LiveAlertRaiseOutcome
        do {
            outcome = try candidate.liveAlerts.raise(
                challengeId: challengeId, currentChallengeId: hold.currentChallengeId,
                answeredChallengeIds: hold.answeredChallengeIds, nowSeconds: now)
        } catch {
            if hold.held, candidate.liveAlerts.ongoing == nil {
                slot.engine.releaseLiveAlert(assessmentId: assessmentId, challengeId: challengeId)
            }
            throw DaemonError(error)
        }
        if outcome == .ignoredAlreadyOngoing { return AlertResponse(status: "ignored") }
        candidate.alertsRaised += 1
        let alertId = alertRowId(assessmentId: assessmentId, ordinal: candidate.alertsRaised)
        candidate.ongoingLiveAlertId = alertId
        candidates[candidateId] = candidate
        try await context.write(.alert(AlertRecord(
            id: alertId, assessmentId: assessmentId, kind: .live, challengeId: challengeId, status: "ongoing",
            createdSeconds: now)))
        publish(.liveAlertRaised, candidateId, detail: challengeId)
        return AlertResponse(status: "ongoing")
    }

    /// The invigilator validates (a new challenge is served) or dismisses (the same one) the
    /// candidate's ongoing live alert.
    func decideLiveAlert(candidateId: String, validate: Bool) async throws(DaemonError) {
        var candidate = try find(candidateId)
        guard let alert = candidate.liveAlerts.ongoing, let assessmentId = candidate.assessmentId else {
            throw DaemonError(LifecycleError(
                .liveAlertNotOngoing, "Candidate \(candidateId) has no ongoing live alert to decide on."))
        }
        let now = context.nowSeconds()
        let resolved: LiveAlert
        do {
            resolved = validate
                ? try candidate.liveAlerts.validate(challengeId: alert.challengeId, nowSeconds: now)
                : try candidate.liveAlerts.dismiss(challengeId: alert.challengeId, nowSeconds: now)
        } catch {
            throw DaemonError(error)
        }
        let alertId = candidate.ongoingLiveAlertId ?? alertRowId(assessmentId: assessmentId, ordinal: candidate.alertsRaised)
        candidate.ongoingLiveAlertId = nil
        candidates[candidateId] = candidate
        let engine = context.pool.slot(for: assessmentId).engine
        if validate {
            try engine.validateLiveAlert(assessmentId: assessmentId, challengeId: alert.challengeId)
        } else {
            engine.releaseLiveAlert(assessmentId: assessmentId, challengeId: alert.challengeId)
        }
        try await context.write(.alert(AlertRecord(
            id: alertId, assessmentId: assessmentId, kind: .live, challengeId: alert.challengeId,
            status: resolved.status.rawValue, createdSeconds: resolved.raisedAtSeconds,
            resolvedSeconds: resolved.resolvedAtSeconds)))
        publish(validate ? .liveAlertValidated : .liveAlertDismissed, candidateId, detail: alert.challengeId)
    }

    // MARK: Companion alerts

    func companionAlert(candidateId: String, raise: Bool) async throws(DaemonError) {
        var candidate = try find(candidateId)
        guard let assessmentId = candidate.assessmentId else {
            throw DaemonError(LifecycleError(.candidateNotStarted, "Candidate \(candidateId) has not started the test."))
        }
        let now = context.nowSeconds()
        if raise {
            guard candidate.companionAlerts.raise(nowSeconds: now) == .raised else { return }
            candidate.alertsRaised += 1
            let alertId = alertRowId(assessmentId: assessmentId, ordinal: candidate.alertsRaised)
            candidate.ongoingCompanionAlertId = alertId
            candidates[candidateId] = candidate
            try await context.write(.alert(AlertRecord(
                id: alertId, assessmentId: assessmentId, kind: .companion, challengeId: nil, status: "ongoing",
                createdSeconds: now)))
            publish(.companionAlertRaised, candidateId)
        } else {
            let cleared: CompanionAlert
            do {
                cleared = try candidate.companionAlerts.clear(nowSeconds: now)
            } catch {
                throw DaemonError(error)
            }
            let alertId = candidate.ongoingCompanionAlertId ?? alertRowId(assessmentId: assessmentId, ordinal: candidate.alertsRaised)
            candidate.ongoingCompanionAlertId = nil
            candidates[candidateId] = candidate
            try await context.write(.alert(AlertRecord(
                id: alertId, assessmentId: assessmentId, kind: .companion, challengeId: nil,
                status: cleared.status.rawValue, createdSeconds: cleared.raisedAtSeconds,
                resolvedSeconds: cleared.clearedAtSeconds)))
            publish(.companionAlertCleared, candidateId)
        }
    }

    // MARK: Ending, finalising, publishing

    /// The invigilator ends a started test. It is scored at once (provisionally, shown in the
    /// session's detail) and written at finalisation, when its abort reason is known.
    func endCandidate(candidateId: String) async throws(DaemonError) {
        var candidate = try find(candidateId)
        do {
            try candidate.state.endByInvigilator(nowSeconds: context.nowSeconds())
        } catch {
            throw DaemonError(error)
        }
        candidates[candidateId] = candidate
        context.gauges.add(.activeCandidates, -1)
        guard let assessmentId = candidate.assessmentId else { return }
        let progress = try await context.pool.slot(for: assessmentId).engine.close(
            assessmentId: assessmentId, abortReason: candidate.state.abortReason, write: false)
        if progress.isCompleted {
            // The last answer won the race: the test completed before the invigilator ended it.
            markCompleted(candidateId)
        }
        let status = candidates[candidateId]!.state.status
        try await context.write(.candidateStatus(
            sessionId: id, candidateId: candidateId, status: status, abortReason: candidate.state.abortReason))
        publish(status == .completed ? .candidateCompleted : .candidateEndedByInvigilator, candidateId)
    }

    /// Finalises the session: every started, unfinished test needs an abort reason; running
    /// tests end (`endedDueToFinalization`) and every unfinished test is scored and written.
    func finalize(abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        // Learn of completions the engines know and this actor has not heard of yet.
        for candidateId in candidateOrder {
            guard let candidate = candidates[candidateId], candidate.state.status == .started,
                let assessmentId = candidate.assessmentId
            else { continue }
            let engine = context.pool.slot(for: assessmentId).engine
            guard let progress = engine.progress(assessmentId: assessmentId), progress.isCompleted else { continue }
            if progress.scored?.written != true {
                // The completing answer was journalled but its result write failed: write it now.
                _ = try await engine.writeCompletedResult(assessmentId: assessmentId)
            }
            markCompleted(candidateId)
        }
        let now = context.nowSeconds()
        let plan: FinalizationPlan
        do {
            plan = try Finalization.plan(
                session: session, candidates: candidateOrder.map { candidates[$0]!.state }, abortReasons: abortReasons,
                nowSeconds: now)
        } catch {
            throw DaemonError(error)
        }
        let wasRunning = Set(candidateOrder.filter { candidates[$0]!.state.status == .started })
        session = plan.session
        for state in plan.candidates { candidates[state.id]!.state = state }
        context.gauges.add(.activeSessions, -1)
        context.gauges.add(.activeCandidates, -wasRunning.count)

        // The store learns the session is finalised only after every result and candidate
        // status it implies is written: a crash in between leaves a session still open in the
        // store, which the proctor finalises again after the restart (written results are
        // never re-scored), rather than a finalised session with unscored tests.
        var scoredCount = 0
        for order in plan.toScore {
            guard let assessmentId = candidates[order.candidateId]?.assessmentId else { continue }
            let progress = try await context.pool.slot(for: assessmentId).engine.close(
                assessmentId: assessmentId, abortReason: order.abortReason, write: true)
            if progress.isCompleted {
                markCompleted(order.candidateId)
            } else {
                scoredCount += 1
            }
            let state = candidates[order.candidateId]!.state
            try await context.write(.candidateStatus(
                sessionId: id, candidateId: order.candidateId, status: state.status, abortReason: state.abortReason))
            if wasRunning.contains(order.candidateId), state.status == .endedDueToFinalization {
                publish(.candidateEndedDueToFinalization, order.candidateId, detail: order.abortReason.rawValue)
            }
        }
        try await context.write(.session(sessionRecord))
        publish(.sessionFinalized, nil)
        let statuses = candidateOrder.map { candidates[$0]!.state.status }
        return FinalizationSummary(
            sessionId: id, status: session.status.rawValue,
            completedCount: statuses.filter { $0 == .completed }.count,
            endedByInvigilatorCount: statuses.filter { $0 == .endedByInvigilator }.count,
            endedDueToFinalizationCount: statuses.filter { $0 == .endedDueToFinalization }.count,
            notStartedCount: plan.absentCandidateIds.count, scoredCount: scoredCount)
    }

    /// Publishes a finalised session: its certificates become verifiable by code.
    func publish() async throws(DaemonError) -> [PublishedCertificate] {
        switch session.status {
        case .finalized, .inProcess: break
        default:
            var probe = session
            do { try probe.publish(nowSeconds: context.nowSeconds()) } catch { throw DaemonError(error) }
        }
        var results: [(String, ScoredResult)] = []
        for candidateId in candidateOrder {
            guard let assessmentId = candidates[candidateId]?.assessmentId,
                let scored = context.pool.slot(for: assessmentId).engine.progress(assessmentId: assessmentId)?
                    .scored,
                scored.written
            else { continue }
            results.append((candidateId, scored))
        }
        var published = session
        do {
            if published.status == .finalized { try published.beginProcessing() }
            try published.publish(nowSeconds: context.nowSeconds())
        } catch {
            throw DaemonError(error)
        }
        session = published
        var certificates: [PublishedCertificate] = []
        for (candidateId, scored) in results {
            let code = scored.verificationCode!
            context.certificates.add(CertificateResponse(
                verificationCode: code, sessionId: id, candidateId: candidateId, pixScore: scored.result.pixScore,
                meshLevel: scored.result.meshLevel, competenceLevels: scored.result.competenceLevels,
                status: scored.result.status.rawValue))
            certificates.append(PublishedCertificate(
                candidateId: candidateId, assessmentId: scored.assessmentId, verificationCode: code,
                pixScore: scored.result.pixScore, meshLevel: scored.result.meshLevel,
                status: scored.result.status.rawValue))
        }
        try await context.write(.session(sessionRecord))
        publish(.sessionPublished, nil, detail: "\(certificates.count) certificates")
        return certificates
    }

    // MARK: Views

    func summary() -> SessionSummary {
        let states = candidates.values.map(\.state.status)
        return SessionSummary(
            sessionId: id, name: session.name ?? "", centre: session.centre ?? "", status: session.status.rawValue,
            candidatesCount: states.count, startedCount: states.filter { $0 == .started }.count,
            finishedCount: states.filter(\.isOver).count,
            ongoingAlertsCount: candidates.values.filter { $0.liveAlerts.ongoing != nil || $0.companionAlerts.ongoing != nil }.count)
    }

    func detail() async -> SessionDetail {
        var rows: [CandidateSummary] = []
        for candidateId in candidateOrder {
            let candidate = candidates[candidateId]!
            var progress: AssessmentProgress?
            if let assessmentId = candidate.assessmentId {
                progress = context.pool.slot(for: assessmentId).engine.progress(assessmentId: assessmentId)
            }
            let current = candidates[candidateId]!
            rows.append(CandidateSummary(
                candidateId: candidateId, status: current.state.status.rawValue,
                needsAccessibility: current.needsAccessibility, locale: current.locale,
                assessmentId: current.assessmentId, answersCount: progress?.answersCount ?? 0,
                authorizedUntilSeconds: current.state.authorization?.expiresAtSeconds,
                abortReason: current.state.abortReason, pixScore: progress?.scored?.result.pixScore,
                certificationStatus: progress?.scored?.result.status.rawValue))
        }
        return SessionDetail(
            sessionId: id, name: session.name ?? "", centre: session.centre ?? "", status: session.status.rawValue,
            accessCode: session.accessCode, nominalDurationSeconds: session.nominalDurationSeconds,
            createdAtSeconds: createdAtSeconds,
            firstStartedAtSeconds: session.firstStartSeconds, finalizedAtSeconds: session.finalizedSeconds,
            candidates: rows, alerts: alerts())
    }

    func alerts() -> [AlertSummary] {
        var out: [AlertSummary] = []
        for candidateId in candidateOrder {
            let candidate = candidates[candidateId]!
            for alert in candidate.liveAlerts.history + (candidate.liveAlerts.ongoing.map { [$0] } ?? []) {
                out.append(AlertSummary(
                    sessionId: id, candidateId: candidateId, kind: "live", challengeId: alert.challengeId,
                    status: alert.status.rawValue, raisedAtSeconds: alert.raisedAtSeconds))
            }
            if let companion = candidate.companionAlerts.ongoing {
                out.append(AlertSummary(
                    sessionId: id, candidateId: candidateId, kind: "companion", challengeId: nil,
                    status: companion.status.rawValue, raisedAtSeconds: companion.raisedAtSeconds))
            }
        }
        return out
    }

    var candidateStatuses: [CandidateStatus] { candidates.values.map(\.state.status) }

    // MARK: Recovery

    /// Puts back a stored candidate (recovery). A candidate who was in a test comes back
    /// `started` without authorisation: resuming needs a fresh one (a technical incident).
    func restoreCandidate(_ candidate: Candidate) {
        candidates[candidate.state.id] = candidate
        candidateOrder.append(candidate.state.id)
    }

    /// After recovery: a test whose journal is complete gets its result (if the crash came
    /// before it was written) and its candidate the `completed` status.
    func completeRecoveredTests() async throws(DaemonError) {
        for candidateId in candidateOrder {
            guard let assessmentId = candidates[candidateId]?.assessmentId else { continue }
            let engine = context.pool.slot(for: assessmentId).engine
            guard let progress = engine.progress(assessmentId: assessmentId), progress.isCompleted else { continue }
            if progress.scored?.written != true {
                _ = try await engine.writeCompletedResult(assessmentId: assessmentId)
            }
            if candidates[candidateId]?.state.status == .started {
                markCompleted(candidateId)
                try await context.write(.candidateStatus(
                    sessionId: id, candidateId: candidateId, status: .completed, abortReason: nil))
            }
        }
    }

    // MARK: Helpers

    private func find(_ candidateId: String) throws(DaemonError) -> Candidate {
        guard let candidate = candidates[candidateId] else { throw .candidateNotFound(candidateId, session: id) }
        return candidate
    }

    private func markCompleted(_ candidateId: String) {
        guard var candidate = candidates[candidateId] else { return }
        let state = candidate.state
        if state.status == .started {
            try? candidate.state.complete(nowSeconds: context.nowSeconds())
            context.gauges.add(.activeCandidates, -1)
        } else if state.status != .completed {
            candidate.state = CandidateState(
                restoring: state.id, sessionId: state.sessionId, status: .completed,
                firstStartSeconds: state.firstStartSeconds, lastStartSeconds: state.lastStartSeconds,
                endedSeconds: state.endedSeconds, startCount: state.startCount, abortReason: nil)
        }
        candidates[candidateId] = candidate
    }

    private func newAssessmentId(candidateId: String) -> String {
        var attempt = 0
        while true {
            let candidate = Draws.assessmentId(seed: context.seed, sessionId: id, candidateId: candidateId, attempt: attempt)
            if !context.routes.containsAssessment(candidate) { return candidate }
            attempt += 1
        }
    }

    private func alertRowId(assessmentId: String, ordinal: Int) -> String {
        let digits = String(ordinal)
        return assessmentId + "-alert-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private func checkId(_ value: String, what: String) throws(DaemonError) {
        guard !value.isEmpty, value.utf8.count <= context.limits.idLengthMax else {
            throw .badRequest(.invalidId, "A \(what) must have 1 to \(context.limits.idLengthMax) bytes.")
        }
    }

    private func record(of candidate: Candidate) -> CandidateRecord {
        CandidateRecord(
            sessionId: id, candidateId: candidate.state.id, externalIndex: candidate.externalIndex,
            status: candidate.state.status.rawValue, abortReason: candidate.state.abortReason?.rawValue,
            needsAccessibility: candidate.needsAccessibility, locale: candidate.locale)
    }

    private func publish(_ kind: SessionEventKind, _ candidateId: String?, detail: String? = nil) {
        context.events.publish(
            atSeconds: context.nowSeconds(), sessionId: id, candidateId: candidateId, kind: kind, detail: detail)
    }
}
