import CertCore
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
    /// Every candidate's lifecycle journal, ordered by session, candidate, then ordinal.
    public var events: [CandidateEventRecord] = []
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
                .map { try Self.session($0) }
            let candidates = try Row.fetchAll(db, sql: "SELECT * FROM candidates ORDER BY session_id, external_index, candidate_id")
                .map { try Self.candidate($0) }
            let assessments = try Row.fetchAll(db, sql: """
                SELECT * FROM assessments
                WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.assessment_id = assessments.id)
                ORDER BY started_seconds, id
                """).map { try Self.assessment($0) }
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
            let events = try Row.fetchAll(db, sql: """
                SELECT * FROM candidate_events ORDER BY session_id, candidate_id, ordinal
                """).map { try Self.event($0) }
            return RecoverySnapshot(sessions: sessions, candidates: candidates, inProgressAssessments: recovered,
                                    events: events)
        }
    }

    /// Every assessment, scored or not, ordered by session, candidate, start time, then id:
    /// what a restarted daemon re-attaches its candidates' finished tests from.
    public func assessments() throws(StoreError) -> [AssessmentRecord] {
        try read("reading assessments") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM assessments ORDER BY session_id, candidate_id, started_seconds, id")
                .map { try Self.assessment($0) }
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

    /// The results of one session's assessments, ordered by assessment id.
    public func results(sessionId: String) throws(StoreError) -> [ResultRecord] {
        try read("reading a session's results") { db in
            var decoded: [String: [String: Int]] = [:]
            return try Row.fetchAll(db, sql: """
                SELECT r.* FROM results r JOIN assessments a ON a.id = r.assessment_id
                WHERE a.session_id = ? ORDER BY r.assessment_id
                """, arguments: [sessionId]).map { row in try Self.result(row, levels: &decoded) }
        }
    }

    /// The result of one assessment, if scored.
    public func result(assessmentId: String) throws(StoreError) -> ResultRecord? {
        try read("reading a result") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM results WHERE assessment_id = ?", arguments: [assessmentId])
                .map { try Self.result($0) }
        }
    }

    /// The result a verification code certifies, if any (the certificate check).
    public func result(verificationCode: String) throws(StoreError) -> ResultRecord? {
        try read("checking a verification code") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM results WHERE verification_code = ?", arguments: [verificationCode])
                .map { try Self.result($0) }
        }
    }

    /// Every issue report, in creation order.
    public func issueReports() throws(StoreError) -> [IssueReportRecord] {
        try read("reading issue reports") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM issue_reports ORDER BY created_seconds, id").map(Self.issueReport)
        }
    }

    /// Every certification version the store holds.
    public func versions() throws(StoreError) -> [VersionRecord] {
        try read("reading certification versions") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM versions ORDER BY id").map(Self.version)
        }
    }

    /// Every alert of one assessment, ordered by creation time then id.
    public func alerts(ofAssessment assessmentId: String) throws(StoreError) -> [AlertRecord] {
        try read("reading alerts") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE assessment_id = ? ORDER BY created_seconds, id",
                             arguments: [assessmentId]).map { try Self.alert($0) }
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
            try StoredRecords.answer(Columns(row, table: "answer_journal", key: "\(assessmentId)#\(row["question_number"] ?? "?")"))
        }
    }

    private static func session(_ row: Row) throws -> SessionRecord {
        try StoredRecords.session(Columns(row, table: "sessions", key: row["id"] ?? "?"))
    }

    private static func candidate(_ row: Row) throws -> CandidateRecord {
        try StoredRecords.candidate(Columns(row, table: "candidates", key: "\(row["session_id"] ?? "?")/\(row["candidate_id"] ?? "?")"))
    }

    private static func assessment(_ row: Row) throws -> AssessmentRecord {
        try StoredRecords.assessment(Columns(row, table: "assessments", key: row["id"] ?? "?"))
    }

    private static func event(_ row: Row) throws -> CandidateEventRecord {
        try StoredRecords.event(Columns(row, table: "candidate_events",
                                        key: "\(row["session_id"] ?? "?")/\(row["candidate_id"] ?? "?")#\(row["ordinal"] ?? "?")"))
    }

    private static func alert(_ row: Row) throws -> AlertRecord {
        try StoredRecords.alert(Columns(row, table: "alerts", key: row["id"] ?? "?"))
    }

    private static func result(_ row: Row) throws -> ResultRecord {
        var decoded: [String: [String: Int]] = [:]
        return try result(row, levels: &decoded)
    }

    private static func result(_ row: Row, levels decoded: inout [String: [String: Int]]) throws -> ResultRecord {
        try StoredRecords.result(Columns(row, table: "results", key: row["assessment_id"] ?? "?"), levels: &decoded)
    }

    private static func issueReport(_ row: Row) throws -> IssueReportRecord {
        try StoredRecords.issueReport(Columns(row, table: "issue_reports", key: row["id"] ?? "?"))
    }

    private static func version(_ row: Row) throws -> VersionRecord {
        try StoredRecords.version(Columns(row, table: "versions", key: row["id"] ?? "?"))
    }
}

/// A SQLite row's columns (``StoredColumns``).
struct Columns: StoredColumns {
    let row: Row
    let table: String
    let key: String

    init(_ row: Row, table: String, key: String) {
        self.row = row
        self.table = table
        self.key = key
    }

    func corrupt(_ column: String, _ what: String) -> StoreError {
        StoreError(.storeCorrupt, "Table \(table), row \(key), column \(column): \(what); the store is damaged.")
    }

    private func value(_ column: String) throws -> DatabaseValue {
        guard row.hasColumn(column) else { throw corrupt(column, "missing column") }
        let value: DatabaseValue = row[column]
        return value
    }

    func text(_ column: String) throws -> String {
        guard case .string(let text) = try value(column).storage else { throw corrupt(column, "not a text value") }
        return text
    }

    func optionalText(_ column: String) throws -> String? {
        let value = try value(column)
        if value.isNull { return nil }
        guard case .string(let text) = value.storage else { throw corrupt(column, "not a text value") }
        return text
    }

    func int(_ column: String) throws -> Int {
        guard case .int64(let number) = try value(column).storage else { throw corrupt(column, "not an integer") }
        return Int(number)
    }

    func optionalInt(_ column: String) throws -> Int? {
        let value = try value(column)
        if value.isNull { return nil }
        guard case .int64(let number) = value.storage else { throw corrupt(column, "not an integer") }
        return Int(number)
    }

    func double(_ column: String) throws -> Double {
        switch try value(column).storage {
        case .double(let number) where number.isFinite: return number
        case .int64(let number): return Double(number)
        default: throw corrupt(column, "not a finite number")
        }
    }

    func optionalDouble(_ column: String) throws -> Double? {
        let value = try value(column)
        if value.isNull { return nil }
        switch value.storage {
        case .double(let number) where number.isFinite: return number
        case .int64(let number): return Double(number)
        default: throw corrupt(column, "not a finite number")
        }
    }
}
