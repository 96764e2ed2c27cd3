import CertCore
import PostgresNIO

/// Applies a batch of queued entries on a PostgreSQL connection inside the caller's transaction,
/// in queue order, with the same outcomes as ``WriteBatch`` on SQLite.
///
/// PostgreSQL aborts the whole transaction on a failed statement, where SQLite aborts only the
/// statement. So an entry that may be refused by a constraint runs inside a savepoint, rolled
/// back to on refusal; a lone answer (the hot path) needs none: its insert cannot fail on a
/// constraint (`ON CONFLICT DO NOTHING`, and the assessment is looked up in the same
/// statement), and no row back tells which refusal it met.
enum PostgresWriteBatch {
    static let insertAnswer = """
        INSERT INTO answer_journal (assessment_seq, question_number, challenge_id, result, recorded_seconds)
        SELECT seq, $2, $3, $4, $5 FROM assessments WHERE id = $1
        ON CONFLICT DO NOTHING RETURNING 1
        """

    /// `refusals` are entries refused before the batch (the fence's): they are not run.
    static func apply(_ entries: [QueuedWrite], on connection: PostgresConnection,
                      refusals: [Int: StoreError] = [:]) async throws -> [OperationOutcome] {
        var outcomes: [OperationOutcome] = []
        outcomes.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            if let refusal = refusals[index] {
                outcomes.append(.refused(refusal))
                continue
            }
            switch entry {
            case .single(.answer(let answer)) where answer.questionNumber >= 1:
                outcomes.append(try await insertAnswer(answer, on: connection))
            case .single(let write):
                outcomes.append(try await inSavepoint([write], on: connection))
            case .group(let writes):
                outcomes.append(try await inSavepoint(writes, on: connection))
            }
        }
        return outcomes
    }

    /// Runs `writes` all or nothing: the first refused one rolls the others back and is the outcome.
    private static func inSavepoint(_ writes: [StoreWrite], on connection: PostgresConnection) async throws -> OperationOutcome {
        try await run(connection, "SAVEPOINT request")
        var outcome = OperationOutcome.done
        for write in writes {
            do {
                outcome = try await applyOne(write, on: connection)
            } catch let error as PSQLError where PostgresErrors.sqlState(error)?.hasPrefix("23") == true {
                outcome = refusal(error, for: write)
            }
            if outcome != .done { break }
        }
        if outcome != .done { try await run(connection, "ROLLBACK TO SAVEPOINT request") }
        try await run(connection, "RELEASE SAVEPOINT request")
        return outcome
    }

    private static func insertAnswer(_ answer: AnswerRecord, on connection: PostgresConnection) async throws -> OperationOutcome {
        var binds = PostgresBindings(capacity: 5)
        binds.append(answer.assessmentId)
        binds.append(answer.questionNumber)
        binds.append(answer.challengeId)
        binds.append(answer.result)
        binds.append(answer.recordedSeconds)
        if try await returnsRow(connection, PostgresQuery(unsafeSQL: insertAnswer, binds: binds)) { return .done }
        // Nothing inserted: a duplicate, or no such assessment.
        var lookup = PostgresBindings(capacity: 1)
        lookup.append(answer.assessmentId)
        if try await returnsRow(connection, PostgresQuery(unsafeSQL: "SELECT 1 FROM assessments WHERE id = $1", binds: lookup)) {
            return .refused(StoreError(.storeDuplicateAnswer, "Assessment \(answer.assessmentId) already has an answer number \(answer.questionNumber)."))
        }
        return .refused(StoreError(.storeUnknownReference, "No assessment \(answer.assessmentId) in the store."))
    }

    private static func applyOne(_ write: StoreWrite, on connection: PostgresConnection) async throws -> OperationOutcome {
        switch write {
        case .answer(let answer):
            guard answer.questionNumber >= 1 else {
                return .refused(StoreError(.storeConstraint, "The row was refused (question number \(answer.questionNumber) is below 1)."))
            }
            return try await insertAnswer(answer, on: connection)
        case .session(let s):
            try await connection.query("""
                INSERT INTO sessions (id, access_code, invigilator_password_hash, name, centre, nominal_duration_seconds,
                                      status, created_seconds, first_start_seconds, finalized_seconds, published_seconds,
                                      version_id)
                VALUES (\(s.id), \(s.accessCode), \(s.invigilatorPasswordHash), \(s.name), \(s.centre),
                        \(s.nominalDurationSeconds), \(s.status), \(s.createdSeconds), \(s.firstStartSeconds),
                        \(s.finalizedSeconds), \(s.publishedSeconds), \(s.versionId))
                ON CONFLICT (id) DO UPDATE SET
                    access_code = excluded.access_code, invigilator_password_hash = excluded.invigilator_password_hash,
                    name = excluded.name, centre = excluded.centre,
                    nominal_duration_seconds = excluded.nominal_duration_seconds, status = excluded.status,
                    created_seconds = excluded.created_seconds, first_start_seconds = excluded.first_start_seconds,
                    finalized_seconds = excluded.finalized_seconds, published_seconds = excluded.published_seconds,
                    version_id = excluded.version_id
                """, logger: PostgresBackend.logger)
        case .candidate(let c):
            try await connection.query("""
                INSERT INTO candidates (session_id, candidate_id, external_index, status, abort_reason,
                                        needs_accessibility, locale, true_ability, extra_time_percent, version_id,
                                        complementary_version_id)
                VALUES (\(c.sessionId), \(c.candidateId), \(c.externalIndex), \(c.status), \(c.abortReason),
                        \(c.needsAccessibility ? 1 : 0), \(c.locale), \(c.trueAbility), \(c.extraTimePercent),
                        \(c.versionId), \(c.complementaryVersionId))
                ON CONFLICT (session_id, candidate_id) DO UPDATE SET
                    external_index = excluded.external_index, status = excluded.status,
                    abort_reason = excluded.abort_reason, needs_accessibility = excluded.needs_accessibility,
                    locale = excluded.locale, true_ability = excluded.true_ability,
                    extra_time_percent = excluded.extra_time_percent, version_id = excluded.version_id,
                    complementary_version_id = excluded.complementary_version_id
                """, logger: PostgresBackend.logger)
        case .juryLevel(let assessmentId, let level, let decidedSeconds):
            guard try await returnsRow(connection, """
                UPDATE results SET jury_level = \(level), jury_seconds = \(decidedSeconds)
                WHERE assessment_id = \(assessmentId) AND jury_level IS NULL RETURNING 1
                """) else {
                return .refused(StoreError(.storeUnknownReference, "No result of assessment \(assessmentId) without a jury level in the store."))
            }
        case .assessment(let a):
            try await connection.query("""
                INSERT INTO assessments (id, session_id, candidate_id, token_hash, status, started_seconds)
                VALUES (\(a.id), \(a.sessionId), \(a.candidateId), \(a.tokenHash), \(a.status), \(a.startedSeconds))
                ON CONFLICT (id) DO UPDATE SET
                    token_hash = excluded.token_hash, status = excluded.status, started_seconds = excluded.started_seconds
                """, logger: PostgresBackend.logger)
        case .assessmentStatus(let assessmentId, let status):
            guard try await returnsRow(connection, "UPDATE assessments SET status = \(status) WHERE id = \(assessmentId) RETURNING 1") else {
                return .refused(StoreError(.storeUnknownReference, "No assessment \(assessmentId) in the store."))
            }
        case .candidateStatus(let sessionId, let candidateId, let status, let abortReason):
            guard try await returnsRow(connection, """
                UPDATE candidates SET status = \(status), abort_reason = \(abortReason)
                WHERE session_id = \(sessionId) AND candidate_id = \(candidateId) RETURNING 1
                """) else {
                return .refused(StoreError(.storeUnknownReference, "No candidate \(candidateId) in session \(sessionId) in the store."))
            }
        case .alert(let a):
            try await connection.query("""
                INSERT INTO alerts (id, assessment_id, kind, challenge_id, status, created_seconds, resolved_seconds)
                VALUES (\(a.id), \(a.assessmentId), \(a.kind.rawValue), \(a.challengeId), \(a.status), \(a.createdSeconds),
                        \(a.resolvedSeconds))
                ON CONFLICT (id) DO UPDATE SET
                    challenge_id = excluded.challenge_id, status = excluded.status, resolved_seconds = excluded.resolved_seconds
                """, logger: PostgresBackend.logger)
        case .result(let r):
            try await connection.query("""
                INSERT INTO results (assessment_id, capacity, error_rate, pix_score, mesh_level, level,
                                     competence_levels, status, status_reason, version_id, answers_count,
                                     verification_code, scored_seconds)
                VALUES (\(r.assessmentId), \(r.capacity), \(r.errorRate), \(r.pixScore), \(r.meshLevel), \(r.level),
                        \(r.competenceLevels.map(WriteBatch.competenceLevelsJSON)), \(r.status), \(r.statusReason),
                        \(r.versionId), \(r.answersCount), \(r.verificationCode), \(r.scoredSeconds))
                """, logger: PostgresBackend.logger)
        case .issueReport(let i):
            try await connection.query("""
                INSERT INTO issue_reports (id, assessment_id, category, subcategory, challenge_id, question_number,
                                           resolved, details, created_seconds)
                VALUES (\(i.id), \(i.assessmentId), \(i.category), \(i.subcategory), \(i.challengeId), \(i.questionNumber),
                        \(i.resolved ? 1 : 0), \(i.details), \(i.createdSeconds))
                """, logger: PostgresBackend.logger)
        case .version(let v):
            try await connection.query("""
                INSERT INTO versions (id, content_hash, framework, document, stored_seconds)
                VALUES (\(v.id), \(v.contentHash), \(v.framework), \(v.document), \(v.storedSeconds))
                ON CONFLICT (id) DO NOTHING
                """, logger: PostgresBackend.logger)
            var stored: String?
            for try await (hash,) in try await connection.query(
                "SELECT content_hash FROM versions WHERE id = \(v.id)", logger: PostgresBackend.logger).decode((String,).self) {
                stored = hash
            }
            if stored != v.contentHash {
                return .refused(StoreError(.versionConflict, "The store already holds another certification version with id \(v.id) (content \(stored?.prefix(12) ?? "?"), this one \(v.contentHash.prefix(12))); give the changed version a new id."))
            }
        case .candidateEvent(let e):
            try await connection.query("""
                INSERT INTO candidate_events (session_id, candidate_id, ordinal, kind, at_seconds, answers_count, detail)
                VALUES (\(e.sessionId), \(e.candidateId), \(e.ordinal), \(e.kind), \(e.atSeconds), \(e.answersCount), \(e.detail))
                """, logger: PostgresBackend.logger)
        }
        return .done
    }

    /// The refusal a constraint violation (SQLSTATE class 23) means for `write`, in the codes
    /// the SQLite engine gives.
    static func refusal(_ error: PSQLError, for write: StoreWrite) -> OperationOutcome {
        let state = PostgresErrors.sqlState(error) ?? ""
        let detail = error.serverInfo?[.message] ?? "constraint failed"
        if state == "23503" {
            return .refused(StoreError(.storeUnknownReference, "The row refers to a session, candidate or assessment the store does not hold (\(detail))."))
        }
        let isUniqueness = state == "23505"
        switch write {
        case .answer(let a) where isUniqueness:
            return .refused(StoreError(.storeDuplicateAnswer, "Assessment \(a.assessmentId) already has an answer number \(a.questionNumber)."))
        case .result(let r) where isUniqueness && PostgresErrors.constraint(error) == "results_verification_code":
            return .refused(StoreError(.storeVerificationCodeTaken, "Verification code \(r.verificationCode) is already used by another result."))
        case .result(let r) where isUniqueness:
            return .refused(StoreError(.storeDuplicateResult, "Assessment \(r.assessmentId) already has a result."))
        default:
            return .refused(StoreError(.storeConstraint, "The row was refused (\(detail))."))
        }
    }

    private static func run(_ connection: PostgresConnection, _ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresBackend.logger)
    }

    /// True when the query returns at least one row (the rows are read to the end).
    static func returnsRow(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> Bool {
        var any = false
        for try await _ in try await connection.query(query, logger: PostgresBackend.logger) { any = true }
        return any
    }
}
