import CertCore
import CertStore

/// Rebuilds the daemon's state from the store at start, by replaying the journals through the
/// same `CandidateTest` transitions the daemon runs (FoundationDB's rule: one code for
/// production, recovery and simulation): sessions, every candidate's test (its lifecycle
/// journal interleaved with its answers), the verification codes in use and the published
/// certificates. Owned by the daemon core; run once by `DaemonCore.open`, before any request.
///
/// Everything a proctor did comes back: an authorisation not yet used (with its original
/// expiry), an ongoing live alert (on the challenge served again by the same seeded pick), a
/// companion alert, an end by the invigilator. A candidate who was in a test comes back
/// `started` with no authorisation (the start used it up): resuming needs a fresh one. A test
/// whose result is stored is closed for good and comes back from its rows without a replay.
///
/// A stored value recovery cannot read stops the daemon: `STORE_CORRUPT` naming the table, the
/// row and the column, or `RECOVERY_MISMATCH` when a journal does not replay — never a default.
struct Recovery {
    let context: DaemonContext
    let supervisor: SessionSupervisor

    /// Rebuilds every session of the store, or (a takeover on a shared store) only `onlySessions`.
    func run(onlySessions: Set<String>? = nil) async throws {
        let reader = try context.writer.reader()
        var snapshot = try await reader.recover()
        if let onlySessions {
            snapshot.sessions = snapshot.sessions.filter { onlySessions.contains($0.id) }
            snapshot.candidates = snapshot.candidates.filter { onlySessions.contains($0.sessionId) }
        }
        let results = try await reader.results()
        let resultsByAssessment = Dictionary(results.map { ($0.assessmentId, $0) }, uniquingKeysWith: { a, _ in a })
        for result in results { _ = context.verificationCodes.reserve(result.verificationCode) }
        let answersByAssessment = Dictionary(
            snapshot.inProgressAssessments.map { ($0.assessment.id, $0.answers) }, uniquingKeysWith: { a, _ in a })
        let candidatesBySession = Dictionary(grouping: snapshot.candidates, by: \.sessionId)
        let eventsByCandidate = Dictionary(grouping: snapshot.events) { EngineShard.key(sessionId: $0.sessionId, candidateId: $0.candidateId) }
        // Every test a candidate took, finished or not, by (session, candidate); ordered by
        // start time, so the last one of a candidate is the latest.
        let assessmentsByCandidate = Dictionary(
            try await reader.assessments().map { (EngineShard.key(sessionId: $0.sessionId, candidateId: $0.candidateId), $0) },
            uniquingKeysWith: { _, latest in latest })
        let configuration = context.configuration

        for record in snapshot.sessions {
            let status = try Self.parse(SessionStatus.self, record.status, table: "sessions", row: record.id, column: "status")
            let state = SessionState(
                restoring: record.id, accessCode: record.accessCode,
                centre: record.centre, name: record.name, nominalDurationSeconds: record.nominalDurationSeconds,
                status: status, firstStartSeconds: record.firstStartSeconds, finalizedSeconds: record.finalizedSeconds,
                publishedSeconds: record.publishedSeconds)
            let rules = try context.versions.rulesForStoredSession(record.id, versionId: record.versionId)
            let session = ProctoringSession(
                session: state, passwordHash: record.invigilatorPasswordHash, createdAtSeconds: record.createdSeconds,
                rules: rules, context: context)
            await supervisor.adopt(session, accessCode: record.accessCode, isActive: status == .created || status == .started)

            for candidateRecord in candidatesBySession[record.id] ?? [] {
                let key = EngineShard.key(sessionId: record.id, candidateId: candidateRecord.candidateId)
                let row = "\(record.id)/\(candidateRecord.candidateId)"
                let candidateStatus = try Self.parse(
                    CandidateStatus.self, candidateRecord.status, table: "candidates", row: row, column: "status")
                let abortReason = try candidateRecord.abortReason.map {
                    try Self.parse(AbortReason.self, $0, table: "candidates", row: row, column: "abort_reason")
                }
                // A complementary test (DESIGN §3.8) runs its own version, bank and duration.
                var testRules = rules
                var testBank = session.bank
                var sessionDuration = record.nominalDurationSeconds
                if let versionId = candidateRecord.versionId {
                    guard let stored = context.versions.rules(id: versionId),
                          candidateRecord.candidateId.hasSuffix("#" + versionId)
                    else {
                        throw StoreError(.storeCorrupt, "Table candidates, row \(row), column version_id: no certification version \(versionId) for this test, or a key that does not end with it; the store is damaged.")
                    }
                    testRules = stored
                    testBank = try context.versions.bank(forStored: versionId, sessionId: record.id)
                    sessionDuration = stored.durationSeconds
                }
                let enrolment = CandidateTest.Enrolment(
                    sessionId: record.id, candidateId: candidateRecord.candidateId,
                    externalIndex: candidateRecord.externalIndex, locale: candidateRecord.locale,
                    needsAccessibility: candidateRecord.needsAccessibility,
                    extraTimePercent: candidateRecord.extraTimePercent,
                    durationLimitSeconds: CandidateTest.Enrolment.durationLimit(
                        sessionDurationSeconds: sessionDuration,
                        extraTimePercent: candidateRecord.extraTimePercent),
                    testVersionId: candidateRecord.versionId,
                    complementaryVersionId: candidateRecord.complementaryVersionId)
                let personId = enrolment.personId
                let events = eventsByCandidate[key] ?? []
                let assessment = assessmentsByCandidate[key]
                let test: CandidateTest
                if let assessment, let stored = resultsByAssessment[assessment.id] {
                    if let jury = stored.juryLevel { await session.restoreJuryLevel(jury, assessmentId: assessment.id) }
                    test = CandidateTest(
                        restoringClosed: enrolment, bank: testBank, rules: testRules,
                        status: candidateStatus, abortReason: abortReason, firstStartSeconds: assessment.startedSeconds,
                        assessmentId: assessment.id, answersCount: stored.answersCount, eventsCount: events.count,
                        scored: try Self.scored(stored, abortReason: abortReason))
                } else {
                    let answers = assessment.map { answersByAssessment[$0.id] ?? [] } ?? []
                    // Values replay would refuse are a damaged store, named where they are.
                    for answer in answers {
                        _ = try Self.parse(AnswerResult.self, answer.result, table: "answer_journal",
                                           row: "\(answer.assessmentId)#\(answer.questionNumber)", column: "result")
                    }
                    for event in events {
                        _ = try Self.parse(CandidateTest.EventKind.self, event.kind, table: "candidate_events",
                                           row: "\(row)#\(event.ordinal)", column: "kind")
                    }
                    do throws(LifecycleError) {
                        test = try CandidateTest.replay(
                            enrolment: enrolment, bank: testBank, rules: testRules,
                            seed: configuration.seed, events: events, answers: answers)
                    } catch {
                        throw DaemonError(error)
                    }
                    // The candidate row is written in the same transaction as every change of
                    // status: a replay that ends elsewhere is a journal that does not replay.
                    guard test.state.status == candidateStatus || (candidateStatus == .authorizedToStart
                        && test.state.status == .enrolled)
                    else {
                        throw DaemonError(LifecycleError(.recoveryMismatch,
                            "Candidate \(row): the journal replays to \(test.state.status.rawValue), the store says \(candidateStatus.rawValue)."))
                    }
                }
                _ = context.pool.shard(for: key).insert(test, key: key)
                if candidateRecord.versionId != nil {
                    await session.restoreFollowing(personId, key: key)
                } else {
                    await session.restoreCandidate(personId, complementaryVersionId: candidateRecord.complementaryVersionId)
                    context.gauges.add(.candidates, 1)
                }
                if test.state.status == .started { context.gauges.add(.activeCandidates, 1) }
                if let assessmentId = test.assessmentId {
                    context.routes.register(RoutingTable.Route(
                        assessmentId: assessmentId, sessionId: record.id, candidateId: personId,
                        key: key, shard: context.pool.shard(for: key), session: session, token: nil))
                }
            }
            await session.republishCertificates()
        }
        // The running totals of `stats` and `/metrics` that the store can give back (of the
        // whole store: at a takeover they are already counted).
        if onlySessions == nil {
            context.gauges.add(.answersTotal, try await reader.countAnswers(assessmentId: nil))
            context.gauges.add(.resultsWritten, try await reader.countResults())
        }
    }

    /// A stored raw value of one of CertCore's enums, or STORE_CORRUPT naming where it is.
    static func parse<Value: RawRepresentable>(
        _ type: Value.Type, _ text: String, table: String, row: String, column: String
    ) throws(StoreError) -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            throw StoreError(.storeCorrupt, "Table \(table), row \(row), column \(column): unknown value \"\(text)\"; the store is damaged.")
        }
        return value
    }

    static func scored(_ record: ResultRecord, abortReason: AbortReason?) throws(StoreError) -> CandidateTest.Scored {
        let status = try parse(CertificationStatus.self, record.status, table: "results", row: record.assessmentId, column: "status")
        var reason: StatusReason?
        if let word = record.statusReason {
            reason = try parse(StatusReason.self, word, table: "results", row: record.assessmentId, column: "status_reason")
        }
        return CandidateTest.Scored(
            result: CertificationResult(
                capacity: record.capacity, errorRate: record.errorRate, pixScore: record.pixScore,
                meshLevel: record.meshLevel, level: record.level, competenceLevels: record.competenceLevels,
                status: status, statusReason: reason, answersCount: record.answersCount, history: [],
                version: record.versionId),
            abortReason: abortReason, verificationCode: record.verificationCode)
    }
}
