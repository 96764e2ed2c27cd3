import Foundation
import GRDB

/// An in-progress assessment as found in the store: everything the daemon needs to rebuild
/// its adaptive test (CertCore's `AdaptiveTest.replay`) after a restart.
public struct RecoveredAssessment: Sendable, Equatable {
    public var assessment: AssessmentRecord
    /// The journal, ordered by question number.
    public var answers: [AnswerRecord]
    /// Challenges whose live alert was validated, in the order the alerts were raised.
    public var validatedLiveAlertChallengeIds: [String]
}

/// What a restarted daemon rebuilds its actors from.
public struct RecoverySnapshot: Sendable, Equatable {
    /// Every session, ordered by creation time then id.
    public var sessions: [SessionRecord]
    /// Every candidate, ordered by session then external index.
    public var candidates: [CandidateRecord]
    /// Every assessment without a result, ordered by start time then id.
    public var inProgressAssessments: [RecoveredAssessment]
}

/// Read-only access to a store file: the recovery read at daemon start, and queries for the
/// certificate check, reports and tests.
///
/// Owned by whoever opens it (the daemon at start and for `/verify`, `certsim report`,
/// tests). It holds its own read-only connection, so in WAL mode it reads a consistent
/// snapshot while the ``ResultWriter`` keeps committing. The file must already have been
/// opened once by a ``ResultWriter`` (which creates and migrates it).
///
/// ```swift
/// let snapshot = try StoreReader(path: "day.sqlite").recover()
/// for item in snapshot.inProgressAssessments { /* replay item.answers */ }
/// ```
public struct StoreReader: Sendable {
    public let path: String
    private let queue: DatabaseQueue

    /// Opens an existing store read-only. Throws `STORE_CANNOT_OPEN` for a missing file,
    /// `STORE_CORRUPT`, `STORE_NEWER_SCHEMA` as the writer does.
    public init(path: String) throws(StoreError) {
        self.path = path
        self.queue = try StoreFile.openForReading(path: path)
    }

    /// Sessions, candidates, and every assessment that has no result yet with its journal
    /// and its validated live alerts — read in one transaction, so they agree.
    public func recover() throws(StoreError) -> RecoverySnapshot {
        try read("recovering") { db in
            let sessions = try Row.fetchAll(db, sql: "SELECT * FROM sessions ORDER BY created_seconds, id")
                .map(Self.session)
            let candidates = try Row.fetchAll(db, sql: "SELECT * FROM candidates ORDER BY session_id, external_index, candidate_id")
                .map(Self.candidate)
            let assessments = try Row.fetchAll(db, sql: """
                SELECT * FROM assessments
                WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.assessment_id = assessments.id)
                ORDER BY started_seconds, id
                """).map(Self.assessment)
            var recovered: [RecoveredAssessment] = []
            recovered.reserveCapacity(assessments.count)
            for assessment in assessments {
                let answers = try Self.fetchAnswers(db, assessmentId: assessment.id)
                let alerts = try String.fetchAll(db, sql: """
                    SELECT challenge_id FROM alerts
                    WHERE assessment_id = ? AND kind = 'live' AND status = 'validated' AND challenge_id IS NOT NULL
                    ORDER BY created_seconds, id
                    """, arguments: [assessment.id])
                recovered.append(RecoveredAssessment(assessment: assessment, answers: answers,
                                                     validatedLiveAlertChallengeIds: alerts))
            }
            return RecoverySnapshot(sessions: sessions, candidates: candidates, inProgressAssessments: recovered)
        }
    }

    /// Every assessment, scored or not, ordered by session, candidate, start time, then id:
    /// what a restarted daemon re-attaches its candidates' finished tests from.
    public func assessments() throws(StoreError) -> [AssessmentRecord] {
        try read("reading assessments") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM assessments ORDER BY session_id, candidate_id, started_seconds, id")
                .map(Self.assessment)
        }
    }

    /// Results stored (scored certifications).
    public func countResults() throws(StoreError) -> Int {
        try read("counting results") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM results") ?? 0 }
    }

    /// Answers in the journal, of one assessment or (nil) of all.
    public func countAnswers(assessmentId: String? = nil) throws(StoreError) -> Int {
        try read("counting answers") { db in
            if let assessmentId {
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM answers WHERE assessment_id = ?",
                                        arguments: [assessmentId]) ?? 0
            }
            // The journal table itself: counting through the `answers` view would join every row.
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM answer_journal") ?? 0
        }
    }

    /// The journal of one assessment, ordered by question number.
    public func answers(ofAssessment assessmentId: String) throws(StoreError) -> [AnswerRecord] {
        try read("reading answers") { db in try Self.fetchAnswers(db, assessmentId: assessmentId) }
    }

    /// Every result, ordered by assessment id.
    public func results() throws(StoreError) -> [ResultRecord] {
        try read("reading results") { db in
            // The competence levels are decoded once per distinct text and shared by the rows
            // that repeat it (a year's 150,000 results hold a handful of distinct tables).
            var decoded: [String: [String: Int]] = [:]
            return try Row.fetchAll(db, sql: "SELECT * FROM results ORDER BY assessment_id").map { row in
                try Self.result(row, levels: &decoded)
            }
        }
    }

    /// The result of one assessment, if scored.
    public func result(assessmentId: String) throws(StoreError) -> ResultRecord? {
        try read("reading a result") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM results WHERE assessment_id = ?", arguments: [assessmentId])
                .map(Self.result)
        }
    }

    /// The result a verification code certifies, if any (the certificate check).
    public func result(verificationCode: String) throws(StoreError) -> ResultRecord? {
        try read("checking a verification code") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM results WHERE verification_code = ?", arguments: [verificationCode])
                .map(Self.result)
        }
    }

    /// Every alert of one assessment, ordered by creation time then id.
    public func alerts(ofAssessment assessmentId: String) throws(StoreError) -> [AlertRecord] {
        try read("reading alerts") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE assessment_id = ? ORDER BY created_seconds, id",
                             arguments: [assessmentId]).map(Self.alert)
        }
    }

    /// Bytes on disk: the database file plus its `-wal` (what a certification day costs).
    public func fileSizeBytes() -> Int64 {
        Self.fileSizeBytes(path: path)
    }

    /// Bytes on disk of a store file plus its `-wal`, 0 for missing files.
    public static func fileSizeBytes(path: String) -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            return total + size
        }
    }

    // MARK: Rows

    private func read<T: Sendable>(_ doing: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw StoreErrors.map(error, path: path, while: doing)
        }
    }

    private static func fetchAnswers(_ db: Database, assessmentId: String) throws -> [AnswerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM answers WHERE assessment_id = ? ORDER BY question_number",
                         arguments: [assessmentId]).map { row in
            AnswerRecord(assessmentId: row["assessment_id"], questionNumber: row["question_number"],
                         challengeId: row["challenge_id"], result: row["result"],
                         recordedSeconds: row["recorded_seconds"])
        }
    }

    private static func session(_ row: Row) -> SessionRecord {
        SessionRecord(id: row["id"], accessCode: row["access_code"],
                      invigilatorPasswordHash: row["invigilator_password_hash"], name: row["name"],
                      centre: row["centre"], nominalDurationSeconds: row["nominal_duration_seconds"],
                      status: row["status"],
                      createdSeconds: row["created_seconds"], firstStartSeconds: row["first_start_seconds"],
                      finalizedSeconds: row["finalized_seconds"], publishedSeconds: row["published_seconds"])
    }

    private static func candidate(_ row: Row) -> CandidateRecord {
        CandidateRecord(sessionId: row["session_id"], candidateId: row["candidate_id"],
                        externalIndex: row["external_index"], status: row["status"],
                        abortReason: row["abort_reason"], needsAccessibility: row["needs_accessibility"],
                        locale: row["locale"], trueAbility: row["true_ability"])
    }

    private static func assessment(_ row: Row) -> AssessmentRecord {
        AssessmentRecord(id: row["id"], sessionId: row["session_id"], candidateId: row["candidate_id"],
                         tokenHash: row["token_hash"], status: row["status"], startedSeconds: row["started_seconds"])
    }

    private static func alert(_ row: Row) -> AlertRecord {
        let kind: String = row["kind"]
        return AlertRecord(id: row["id"], assessmentId: row["assessment_id"], kind: AlertRecord.Kind(rawValue: kind) ?? .live,
                           challengeId: row["challenge_id"], status: row["status"],
                           createdSeconds: row["created_seconds"], resolvedSeconds: row["resolved_seconds"])
    }

    private static func result(_ row: Row) throws -> ResultRecord {
        var decoded: [String: [String: Int]] = [:]
        return try result(row, levels: &decoded)
    }

    private static func result(_ row: Row, levels decoded: inout [String: [String: Int]]) throws -> ResultRecord {
        let json: String = row["competence_levels"]
        let levels: [String: Int]
        if let known = decoded[json] {
            levels = known
        } else {
            levels = try JSONDecoder().decode([String: Int].self, from: Data(json.utf8))
            if decoded.count < 4_096 { decoded[json] = levels }
        }
        return ResultRecord(assessmentId: row["assessment_id"], capacity: row["capacity"], errorRate: row["error_rate"],
                            pixScore: row["pix_score"], meshLevel: row["mesh_level"], competenceLevels: levels,
                            status: row["status"], answersCount: row["answers_count"],
                            verificationCode: row["verification_code"], scoredSeconds: row["scored_seconds"])
    }
}
