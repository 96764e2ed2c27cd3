import CertCore
import Foundation
import GRDB
import GRDBSQLite

/// One entry of the ``ResultWriter``'s queue: a row, or the rows of one request, which
/// commit together or not at all.
enum QueuedWrite: Sendable {
    case single(StoreWrite)
    case group([StoreWrite])
}

/// What became of one queued entry of a committed batch.
enum OperationOutcome: Sendable, Equatable {
    case done
    case refused(StoreError)
}

/// Applies a batch of operations inside one transaction, in queue order.
///
/// A constraint failure refuses that one operation (SQLite aborts only the failing statement
/// and keeps the transaction), so one duplicate answer never costs its batch-mates their
/// commit. Any other failure is thrown: the caller rolls the whole batch back.
enum WriteBatch {
    /// The journal row of an assessment whose `seq` the writer knows (``AssessmentKeys``).
    static let insertAnswerBySeq = """
        INSERT INTO answer_journal (assessment_seq, question_number, challenge_id, result, recorded_seconds)
        VALUES (?1, ?2, ?3, ?4, ?5)
        """
    /// The journal is keyed by the assessment's `seq` (see ``Schema/version2``): when the writer
    /// does not know it (an assessment stored before a restart), the row takes it from the
    /// assessment's id, and inserts nothing when no assessment has that id.
    static let insertAnswer = """
        INSERT INTO answer_journal (assessment_seq, question_number, challenge_id, result, recorded_seconds)
        SELECT seq, ?2, ?3, ?4, ?5 FROM assessments WHERE id = ?1
        """
    static let upsertSession = """
        INSERT INTO sessions (id, access_code, invigilator_password_hash, name, centre, nominal_duration_seconds,
                              status, created_seconds, first_start_seconds, finalized_seconds, published_seconds,
                              version_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            access_code = excluded.access_code,
            invigilator_password_hash = excluded.invigilator_password_hash,
            name = excluded.name,
            centre = excluded.centre,
            nominal_duration_seconds = excluded.nominal_duration_seconds,
            status = excluded.status,
            created_seconds = excluded.created_seconds,
            first_start_seconds = excluded.first_start_seconds,
            finalized_seconds = excluded.finalized_seconds,
            published_seconds = excluded.published_seconds,
            version_id = excluded.version_id
        """
    static let upsertCandidate = """
        INSERT INTO candidates (session_id, candidate_id, external_index, status, abort_reason,
                                needs_accessibility, locale, true_ability, extra_time_percent, version_id,
                                complementary_version_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id, candidate_id) DO UPDATE SET
            external_index = excluded.external_index,
            status = excluded.status,
            abort_reason = excluded.abort_reason,
            needs_accessibility = excluded.needs_accessibility,
            locale = excluded.locale,
            true_ability = excluded.true_ability,
            extra_time_percent = excluded.extra_time_percent,
            version_id = excluded.version_id,
            complementary_version_id = excluded.complementary_version_id
        """
    /// Only a result no jury has decided on takes a jury level.
    static let updateJuryLevel = """
        UPDATE results SET jury_level = ?, jury_seconds = ? WHERE assessment_id = ? AND jury_level IS NULL
        """
    static let upsertAssessment = """
        INSERT INTO assessments (id, session_id, candidate_id, token_hash, status, started_seconds)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            token_hash = excluded.token_hash,
            status = excluded.status,
            started_seconds = excluded.started_seconds
        """
    static let updateAssessmentStatus = "UPDATE assessments SET status = ? WHERE id = ?"
    static let updateCandidateStatus = """
        UPDATE candidates SET status = ?, abort_reason = ? WHERE session_id = ? AND candidate_id = ?
        """
    static let upsertAlert = """
        INSERT INTO alerts (id, assessment_id, kind, challenge_id, status, created_seconds, resolved_seconds)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            challenge_id = excluded.challenge_id,
            status = excluded.status,
            resolved_seconds = excluded.resolved_seconds
        """
    static let insertResult = """
        INSERT INTO results (assessment_id, capacity, error_rate, pix_score, mesh_level, level,
                             competence_levels, status, status_reason, version_id, answers_count,
                             verification_code, scored_seconds)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertCandidateEvent = """
        INSERT INTO candidate_events (session_id, candidate_id, ordinal, kind, at_seconds, answers_count, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """
    static let insertIssueReport = """
        INSERT INTO issue_reports (id, assessment_id, category, subcategory, challenge_id, question_number, resolved,
                                   details, created_seconds)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// A version is stored once; the same id and hash again changes nothing (the hash check is
    /// the writer's, below).
    static let insertVersion = """
        INSERT INTO versions (id, content_hash, framework, document, stored_seconds) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING
        """

    /// Runs `entries` in `db` (the caller holds the transaction). Returns one outcome per
    /// entry, in order; throws only failures that must roll the batch back. A group runs inside
    /// a savepoint: the first refused row rolls the group's rows back, and the group's outcome
    /// is that refusal.
    static func apply(_ entries: [QueuedWrite], in db: Database, keys: AssessmentKeys) throws -> [OperationOutcome] {
        var outcomes: [OperationOutcome] = []
        outcomes.reserveCapacity(entries.count)
        // Prepared once per batch: the hot path is one raw bind + step per answer, with no
        // argument array or value boxing per row.
        var answers = AnswerStatement()
        defer { answers.finalize() }
        for entry in entries {
            switch entry {
            case .single(let write):
                outcomes.append(try applyOne(write, in: db, keys: keys, answers: &answers))
            case .group(let writes):
                try db.execute(sql: "SAVEPOINT request")
                var outcome = OperationOutcome.done
                for write in writes {
                    outcome = try applyOne(write, in: db, keys: keys, answers: &answers)
                    if outcome != .done { break }
                }
                if outcome != .done { try db.execute(sql: "ROLLBACK TO request") }
                try db.execute(sql: "RELEASE request")
                outcomes.append(outcome)
            }
        }
        return outcomes
    }

    /// The answer insert, prepared on first use in a batch.
    struct AnswerStatement {
        var insert: AnswerInsert?
        mutating func get(_ db: Database) throws -> AnswerInsert {
            if let insert { return insert }
            insert = try AnswerInsert(db)
            return insert!
        }
        mutating func finalize() { insert?.finalize() }
    }

    private static func applyOne(_ write: StoreWrite, in db: Database, keys: AssessmentKeys,
                                 answers: inout AnswerStatement) throws -> OperationOutcome {
        do {
            switch write {
            case .answer(let answer):
                return try answers.get(db).insert(answer, seq: keys.seq(of: answer.assessmentId), for: write)
            case .session(let s):
                try run(db, upsertSession, [
                    s.id, s.accessCode, s.invigilatorPasswordHash, s.name, s.centre, s.nominalDurationSeconds,
                    s.status, s.createdSeconds,
                    s.firstStartSeconds, s.finalizedSeconds, s.publishedSeconds, s.versionId,
                ])
            case .candidate(let c):
                try run(db, upsertCandidate, [
                    c.sessionId, c.candidateId, c.externalIndex, c.status, c.abortReason,
                    c.needsAccessibility, c.locale, c.trueAbility, c.extraTimePercent, c.versionId,
                    c.complementaryVersionId,
                ])
            case .juryLevel(let assessmentId, let level, let decidedSeconds):
                try run(db, updateJuryLevel, [level, decidedSeconds, assessmentId])
                if db.changesCount != 1 {
                    return .refused(StoreError(.storeUnknownReference, "No result of assessment \(assessmentId) without a jury level in the store."))
                }
            case .assessment(let a):
                try run(db, upsertAssessment, [
                    a.id, a.sessionId, a.candidateId, a.tokenHash, a.status, a.startedSeconds,
                ])
                if keys.seq(of: a.id) == nil,
                   let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM assessments WHERE id = ?"),
                                                arguments: [a.id]) {
                    keys.remember(a.id, seq: seq)
                }
            case .assessmentStatus(let assessmentId, let status):
                try run(db, updateAssessmentStatus, [status, assessmentId])
                if db.changesCount != 1 {
                    return .refused(StoreError(.storeUnknownReference, "No assessment \(assessmentId) in the store."))
                }
            case .candidateStatus(let sessionId, let candidateId, let status, let abortReason):
                try run(db, updateCandidateStatus, [status, abortReason, sessionId, candidateId])
                if db.changesCount != 1 {
                    return .refused(StoreError(.storeUnknownReference, "No candidate \(candidateId) in session \(sessionId) in the store."))
                }
            case .alert(let a):
                try run(db, upsertAlert, [
                    a.id, a.assessmentId, a.kind.rawValue, a.challengeId, a.status,
                    a.createdSeconds, a.resolvedSeconds,
                ])
            case .result(let r):
                try run(db, insertResult, [
                    r.assessmentId, r.capacity, r.errorRate, r.pixScore, r.meshLevel, r.level,
                    r.competenceLevels.map(competenceLevelsJSON), r.status, r.statusReason, r.versionId,
                    r.answersCount, r.verificationCode, r.scoredSeconds,
                ])
            case .issueReport(let i):
                try run(db, insertIssueReport, [
                    i.id, i.assessmentId, i.category, i.subcategory, i.challengeId, i.questionNumber, i.resolved,
                    i.details, i.createdSeconds,
                ])
            case .version(let v):
                try run(db, insertVersion, [v.id, v.contentHash, v.framework, v.document, v.storedSeconds])
                let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT content_hash FROM versions WHERE id = ?"),
                                                 arguments: [v.id])
                if stored != v.contentHash {
                    return .refused(StoreError(.versionConflict, "The store already holds another certification version with id \(v.id) (content \(stored?.prefix(12) ?? "?"), this one \(v.contentHash.prefix(12))); give the changed version a new id."))
                }
            case .candidateEvent(let e):
                try run(db, insertCandidateEvent, [
                    e.sessionId, e.candidateId, e.ordinal, e.kind, e.atSeconds, e.answersCount, e.detail,
                ])
            }
            return .done
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return refusal(error, for: write)
        }
    }

    private static func run(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws {
        let statement = try db.cachedStatement(sql: sql)
        statement.setUncheckedArguments(arguments)
        try statement.execute()
    }

    /// Sorted keys (by their UTF-8 bytes), so the same levels always give the same bytes.
    /// Written by hand, not with `JSONEncoder`: it runs once per certification on the writer's
    /// thread, where the encoder cost more than the row's insert. Keys are escaped as JSON
    /// requires (quote, backslash, control characters); the test reads the text back with
    /// `JSONDecoder` and compares it with `JSONEncoder`'s output.
    static func competenceLevelsJSON(_ levels: [String: Int]) -> String {
        let sorted = levels.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var text = "{"
        for (position, (key, level)) in sorted.enumerated() {
            if position > 0 { text += "," }
            text += "\""
            for scalar in key.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\":"
            text += String(level)
        }
        return text + "}"
    }

    /// The answer insert on the raw SQLite statement: binds the row's five values in place
    /// and steps. A constraint failure is the row's refusal (the same outcome as through GRDB);
    /// any other failure is thrown and rolls the batch back.
    struct AnswerInsert {
        private let connection: OpaquePointer
        private var byId: OpaquePointer?
        private var bySeq: OpaquePointer?

        init(_ db: Database) throws {
            guard let connection = db.sqliteConnection else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the write connection is closed")
            }
            self.connection = connection
            byId = try Self.prepare(WriteBatch.insertAnswer, on: connection)
            do {
                bySeq = try Self.prepare(WriteBatch.insertAnswerBySeq, on: connection)
            } catch {
                sqlite3_finalize(byId)
                throw error
            }
        }

        private static func prepare(_ sql: String, on connection: OpaquePointer) throws -> OpaquePointer {
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
            guard code == SQLITE_OK, let statement else {
                sqlite3_finalize(statement)
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(connection)), sql: sql)
            }
            return statement
        }

        /// Inserts by `seq` when known (no look-up of the text id), else by the assessment's id.
        func insert(_ answer: AnswerRecord, seq: Int64?, for operation: StoreWrite) throws -> OperationOutcome {
            guard let statement = seq == nil ? byId : bySeq else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "finalized")
            }
            sqlite3_reset(statement)
            var assessmentId = answer.assessmentId
            var challengeId = answer.challengeId
            var result = answer.result
            let code: Int32 = assessmentId.withUTF8 { assessment in
                challengeId.withUTF8 { challenge in
                    result.withUTF8 { resultText in
                        // SQLITE_STATIC (nil): the bytes outlive the step below, which is
                        // the only read of them.
                        if let seq {
                            sqlite3_bind_int64(statement, 1, seq)
                        } else {
                            sqlite3_bind_text(statement, 1, assessment.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                              Int32(assessment.count), nil)
                        }
                        sqlite3_bind_int64(statement, 2, Int64(answer.questionNumber))
                        sqlite3_bind_text(statement, 3, challenge.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                          Int32(challenge.count), nil)
                        sqlite3_bind_text(statement, 4, resultText.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                          Int32(resultText.count), nil)
                        sqlite3_bind_double(statement, 5, answer.recordedSeconds)
                        let code = sqlite3_step(statement)
                        sqlite3_clear_bindings(statement)
                        return code
                    }
                }
            }
            if code == SQLITE_DONE {
                if sqlite3_changes(connection) == 1 { return .done }
                return .refused(StoreError(.storeUnknownReference, "No assessment \(answer.assessmentId) in the store."))
            }
            let extended = sqlite3_extended_errcode(connection)
            let error = DatabaseError(resultCode: ResultCode(rawValue: extended),
                                      message: String(cString: sqlite3_errmsg(connection)), sql: WriteBatch.insertAnswer)
            sqlite3_reset(statement)
            if code & 0xFF == SQLITE_CONSTRAINT { return WriteBatch.refusal(error, for: operation) }
            throw error
        }

        mutating func finalize() {
            sqlite3_finalize(byId)
            sqlite3_finalize(bySeq)
            byId = nil
            bySeq = nil
        }
    }

    fileprivate static func refusal(_ error: DatabaseError, for operation: StoreWrite) -> OperationOutcome {
        let detail = error.message ?? "constraint failed"
        if error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            return .refused(StoreError(.storeUnknownReference, "The row refers to a session, candidate or assessment the store does not hold (\(detail))."))
        }
        let isUniqueness = error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
            || error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
        switch operation {
        case .answer(let a) where isUniqueness:
            return .refused(StoreError(.storeDuplicateAnswer, "Assessment \(a.assessmentId) already has an answer number \(a.questionNumber)."))
        case .result(let r) where isUniqueness && detail.contains("results.verification_code"):
            return .refused(StoreError(.storeVerificationCodeTaken, "Verification code \(r.verificationCode) is already used by another result."))
        case .result(let r) where isUniqueness:
            return .refused(StoreError(.storeDuplicateResult, "Assessment \(r.assessmentId) already has a result."))
        default:
            return .refused(StoreError(.storeConstraint, "The row was refused (\(detail))."))
        }
    }
}

/// Assessment id → `seq`, as stored, so that an answer row is inserted by its number without
/// looking the text id up in `assessments` (about a microsecond of the writer's time per
/// answer). Filled when the writer stores an assessment; an id it does not know (stored before
/// a restart, or past `entriesMax`) goes through the look-up instead, with the same outcome.
///
/// Owned by the ``ResultWriter``; touched only inside its transactions, which run one at a time
/// on the database queue — hence `@unchecked Sendable`. A commit that fails makes the writer
/// refuse every later write, so a number remembered in a rolled-back batch is never used.
final class AssessmentKeys: @unchecked Sendable {
    /// Most ids remembered; past it, new ones go through the look-up.
    static let entriesMax = 1_000_000
    private var seqById: [String: Int64] = [:]

    func seq(of assessmentId: String) -> Int64? { seqById[assessmentId] }

    func remember(_ assessmentId: String, seq: Int64) {
        guard seqById.count < Self.entriesMax else { return }
        seqById[assessmentId] = seq
    }
}
