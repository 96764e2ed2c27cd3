import CertCore
import CertStore

/// Rebuilds the daemon's state from the store at start: sessions, candidates with their
/// statuses, every adaptive test (replaying its answers and validated live alerts), the
/// alert ledgers, the verification codes in use and the published certificates. Owned by
/// the daemon core; run once by `DaemonRuntime.open`, before any request.
///
/// A candidate who was in a test comes back `started` with no authorisation: the crash is
/// a technical incident, and resuming needs a fresh authorisation from the invigilator.
/// The challenge on screen is not stored: the engine re-picks it with the same seeded draw.
struct Recovery {
    let context: DaemonContext
    let supervisor: SessionSupervisor

    func run() async throws {
        let reader = try StoreReader(path: context.configuration.databasePath)
        let snapshot = try reader.recover()
        let results = try reader.results()
        let resultsByAssessment = Dictionary(results.map { ($0.assessmentId, $0) }, uniquingKeysWith: { a, _ in a })
        for result in results { _ = context.verificationCodes.reserve(result.verificationCode) }
        let inProgress = Dictionary(
            snapshot.inProgressAssessments.map { ("\($0.assessment.sessionId)\u{0}\($0.assessment.candidateId)", $0) },
            uniquingKeysWith: { a, _ in a })
        let candidatesBySession = Dictionary(grouping: snapshot.candidates, by: \.sessionId)
        // Every test a candidate took, finished or not: listed rather than re-derived from the
        // seed, so a restart with another seed (or an id drawn at a later attempt) still finds it.
        // Ordered by start time, so the last one of a candidate is the latest.
        let assessmentsByCandidate = Dictionary(
            try reader.assessments().map { ("\($0.sessionId)\u{0}\($0.candidateId)", $0) },
            uniquingKeysWith: { _, latest in latest })

        for record in snapshot.sessions {
            let status = SessionStatus(rawValue: record.status) ?? .created
            let password = Draws.invigilatorPassword(seed: context.seed, sessionId: record.id)
            let passwordMatches = ProctoringSession.hashPassword(password, sessionId: record.id) == record.invigilatorPasswordHash
            let state = SessionState(
                restoring: record.id, accessCode: record.accessCode,
                invigilatorPassword: passwordMatches ? password : "", centre: record.centre, name: record.name,
                nominalDurationSeconds: record.nominalDurationSeconds, status: status,
                firstStartSeconds: record.firstStartSeconds, finalizedSeconds: record.finalizedSeconds,
                publishedSeconds: record.publishedSeconds)
            let session = ProctoringSession(
                session: state, passwordHash: record.invigilatorPasswordHash, createdAtSeconds: record.createdSeconds,
                context: context)
            await supervisor.adopt(session, accessCode: record.accessCode, isActive: status == .created || status == .started)

            for candidateRecord in candidatesBySession[record.id] ?? [] {
                let candidateStatus = CandidateStatus(rawValue: candidateRecord.status) ?? .enrolled
                let key = "\(record.id)\u{0}\(candidateRecord.candidateId)"
                let recovered = inProgress[key]
                let stored = recovered?.assessment ?? (candidateStatus.hasStarted ? assessmentsByCandidate[key] : nil)
                let assessmentId = stored?.id
                // A scored assessment is not in the in-progress list; its result is re-attached.
                let scored = recovered == nil ? assessmentId.flatMap { resultsByAssessment[$0] } : nil
                let abortReason = candidateRecord.abortReason.flatMap(AbortReason.init(rawValue:))
                var candidate = ProctoringSession.Candidate(
                    state: CandidateState(
                        restoring: candidateRecord.candidateId, sessionId: record.id, status: candidateStatus,
                        firstStartSeconds: stored?.startedSeconds, lastStartSeconds: nil,
                        endedSeconds: nil, startCount: candidateStatus.hasStarted ? 1 : 0, abortReason: abortReason),
                    needsAccessibility: candidateRecord.needsAccessibility, locale: candidateRecord.locale,
                    externalIndex: candidateRecord.externalIndex, assessmentId: assessmentId)
                context.gauges.add(.candidates, 1)
                if candidateStatus == .started { context.gauges.add(.activeCandidates, 1) }

                if let assessmentId {
                    let alerts = try reader.alerts(ofAssessment: assessmentId)
                    var pendingLiveAlert: String?
                    for alert in alerts {
                        candidate.alertsRaised += 1
                        switch alert.kind {
                        case .live:
                            guard let challengeId = alert.challengeId else { continue }
                            _ = try? candidate.liveAlerts.raise(
                                challengeId: challengeId, currentChallengeId: challengeId, answeredChallengeIds: [],
                                nowSeconds: alert.createdSeconds)
                            let resolvedAt = alert.resolvedSeconds ?? alert.createdSeconds
                            switch alert.status {
                            case "validated": _ = try? candidate.liveAlerts.validate(challengeId: challengeId, nowSeconds: resolvedAt)
                            case "dismissed": _ = try? candidate.liveAlerts.dismiss(challengeId: challengeId, nowSeconds: resolvedAt)
                            default:
                                candidate.ongoingLiveAlertId = alert.id
                                pendingLiveAlert = challengeId
                            }
                        case .companion:
                            candidate.companionAlerts.raise(nowSeconds: alert.createdSeconds)
                            if alert.status == "cleared" {
                                _ = try? candidate.companionAlerts.clear(nowSeconds: alert.resolvedSeconds ?? alert.createdSeconds)
                            } else {
                                candidate.ongoingCompanionAlertId = alert.id
                            }
                        }
                    }
                    let journal = try recovered?.answers ?? reader.answers(ofAssessment: assessmentId)
                    let answers = journal.map {
                        Answer(challengeId: $0.challengeId, result: AnswerResult(rawValue: $0.result) ?? .ko)
                    }
                    let validated = recovered?.validatedLiveAlertChallengeIds
                        ?? alerts.filter { $0.kind == .live && $0.status == "validated" }.compactMap(\.challengeId)
                    let slot = context.pool.slot(for: assessmentId)
                    try slot.engine.restore(
                        assessmentId: assessmentId, sessionId: record.id, candidateId: candidateRecord.candidateId,
                        locale: candidateRecord.locale, needsAccessibility: candidateRecord.needsAccessibility,
                        answers: answers, validatedAlertChallengeIds: validated, pendingAlertChallengeId: pendingLiveAlert,
                        firstStartSeconds: stored?.startedSeconds ?? record.createdSeconds,
                        durationLimitSeconds: record.nominalDurationSeconds, isClosed: candidateStatus.isOver,
                        timeRanOut: candidateStatus == .endedDueToDurationExceeded,
                        scored: scored.map { Self.scoredResult($0, sessionId: record.id, candidateId: candidateRecord.candidateId, abortReason: abortReason) })
                    context.routes.register(RoutingTable.Route(
                        assessmentId: assessmentId, sessionId: record.id, candidateId: candidateRecord.candidateId,
                        slot: slot, session: session, token: nil))
                    if let scored, status == .processed {
                        context.certificates.add(CertificateResponse(
                            verificationCode: scored.verificationCode, sessionId: record.id,
                            candidateId: candidateRecord.candidateId, pixScore: scored.pixScore,
                            meshLevel: scored.meshLevel, competenceLevels: scored.competenceLevels, status: scored.status))
                    }
                }
                await session.restoreCandidate(candidate)
            }
            // A test whose last answer was journalled but whose result was not written before
            // the crash is scored now, and its candidate marked completed.
            try await session.completeRecoveredTests()
        }
        // The running totals of `stats` and `/metrics` that the store can give back (read after
        // the results written just above): every journalled answer, every written result.
        context.gauges.add(.answersTotal, try reader.countAnswers())
        context.gauges.add(.resultsWritten, try reader.countResults())
    }

    static func scoredResult(_ record: ResultRecord, sessionId: String, candidateId: String, abortReason: AbortReason?) -> ScoredResult {
        ScoredResult(
            assessmentId: record.assessmentId, sessionId: sessionId, candidateId: candidateId,
            result: CertificationResult(
                capacity: record.capacity, errorRate: record.errorRate, pixScore: record.pixScore,
                meshLevel: record.meshLevel, competenceLevels: record.competenceLevels,
                status: CertificationStatus(rawValue: record.status) ?? .rejected, answersCount: record.answersCount,
                history: []),
            abortReason: abortReason, verificationCode: record.verificationCode)
    }
}
