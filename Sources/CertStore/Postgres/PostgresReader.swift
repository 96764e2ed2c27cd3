import CertCore
import Foundation
import PostgresNIO

/// Reads a PostgreSQL store: what ``StoreReader`` reads from a file, in the same order, with the
/// same strictness (a value of the wrong type or a NULL where one is required is `STORE_CORRUPT`
/// naming the table, the row and the column). The recovery read runs in one `REPEATABLE READ`
/// transaction, so its parts agree while other daemons keep writing.
///
/// Owned by the ``ResultWriter`` that made it (it shares the writer's connection pool).
struct PostgresReader: StoreReading {
    let client: PostgresClient
    let location: PostgresLocation

    func recover() async throws(StoreError) -> RecoverySnapshot {
        try await read("recovering") { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: PostgresBackend.logger)
            do {
                let snapshot = try await Self.snapshot(connection)
                try await connection.query("COMMIT", logger: PostgresBackend.logger)
                return snapshot
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: PostgresBackend.logger)
                throw error
            }
        }
    }

    /// The recovery read's queries, inside the caller's transaction. Text keys sort as bytes
    /// (`COLLATE "C"`), as SQLite sorts them, whatever the database's locale.
    private static func snapshot(_ connection: PostgresConnection) async throws -> RecoverySnapshot {
        let sessions = try await Self.rows(connection, "SELECT * FROM sessions ORDER BY created_seconds, id COLLATE \"C\"")
            .map(Self.session)
        let candidates = try await Self.rows(connection, "SELECT * FROM candidates ORDER BY session_id COLLATE \"C\", external_index, candidate_id COLLATE \"C\"")
            .map(Self.candidate)
        let assessments = try await Self.rows(connection, """
            SELECT * FROM assessments
            WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.assessment_id = assessments.id)
            ORDER BY started_seconds, id COLLATE "C"
            """).map(Self.assessment)
        let inProgress = Set(assessments.map(\.id))
        // Every journal of the tests in progress in one query, then split by assessment.
        var answersById: [String: [AnswerRecord]] = [:]
        for row in try await Self.rows(connection, """
            SELECT j.question_number, j.challenge_id, j.result, j.recorded_seconds, a.id AS assessment_id
            FROM answer_journal j JOIN assessments a ON a.seq = j.assessment_seq
            WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.assessment_id = a.id)
            ORDER BY a.id, j.question_number
            """) {
            let answer = try Self.answer(row)
            answersById[answer.assessmentId, default: []].append(answer)
        }
        var alertsById: [String: [String]] = [:]
        for row in try await Self.rows(connection, """
            SELECT assessment_id, challenge_id FROM alerts
            WHERE kind = 'live' AND status = 'validated' AND challenge_id IS NOT NULL
            ORDER BY created_seconds, id COLLATE "C"
            """) {
            let c = PostgresColumns(row, table: "alerts", key: "?")
            let id = try c.text("assessment_id")
            if inProgress.contains(id) { alertsById[id, default: []].append(try c.text("challenge_id")) }
        }
        let events = try await Self.rows(connection, "SELECT * FROM candidate_events ORDER BY session_id COLLATE \"C\", candidate_id COLLATE \"C\", ordinal")
            .map(Self.event)
        return RecoverySnapshot(
            sessions: sessions, candidates: candidates,
            inProgressAssessments: assessments.map {
                RecoveredAssessment(assessment: $0, answers: answersById[$0.id] ?? [],
                                    validatedLiveAlertChallengeIds: alertsById[$0.id] ?? [])
            },
            events: events)
    }

    func assessments() async throws(StoreError) -> [AssessmentRecord] {
        try await read("reading assessments") { connection in
            try await Self.rows(connection, "SELECT * FROM assessments ORDER BY session_id COLLATE \"C\", candidate_id COLLATE \"C\", started_seconds, id COLLATE \"C\"")
                .map(Self.assessment)
        }
    }

    func results() async throws(StoreError) -> [ResultRecord] {
        try await read("reading results") { connection in
            var decoded: [String: [String: Int]] = [:]
            return try await Self.rows(connection, "SELECT * FROM results ORDER BY assessment_id COLLATE \"C\"").map {
                try Self.result($0, levels: &decoded)
            }
        }
    }

    func results(sessionId: String) async throws(StoreError) -> [ResultRecord] {
        try await read("reading a session's results") { connection in
            var decoded: [String: [String: Int]] = [:]
            var rows: [PostgresRandomAccessRow] = []
            for try await row in try await connection.query("""
                SELECT r.* FROM results r JOIN assessments a ON a.id = r.assessment_id
                WHERE a.session_id = \(sessionId) ORDER BY r.assessment_id COLLATE "C"
                """, logger: PostgresBackend.logger) { rows.append(row.makeRandomAccess()) }
            return try rows.map { try Self.result($0, levels: &decoded) }
        }
    }

    func versions() async throws(StoreError) -> [VersionRecord] {
        try await read("reading certification versions") { connection in
            try await Self.rows(connection, "SELECT * FROM versions ORDER BY id COLLATE \"C\"").map {
                try StoredRecords.version(PostgresColumns($0, table: "versions", key: "?"))
            }
        }
    }

    func countResults() async throws(StoreError) -> Int {
        try await read("counting results") { connection in
            try await PostgresMigrations.count(connection, "SELECT count(*) FROM results")
        }
    }

    func countAnswers(assessmentId: String?) async throws(StoreError) -> Int {
        try await read("counting answers") { connection in
            guard let assessmentId else {
                return try await PostgresMigrations.count(connection, "SELECT count(*) FROM answer_journal")
            }
            var count = 0
            for try await (value,) in try await connection.query(
                "SELECT count(*) FROM answers WHERE assessment_id = \(assessmentId)", logger: PostgresBackend.logger)
                .decode((Int,).self) { count = value }
            return count
        }
    }

    // MARK: Rows

    private func read<T: Sendable>(_ doing: String,
                                   _ body: @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw PostgresErrors.map(error, location: location, while: doing)
        }
    }

    private static func rows(_ connection: PostgresConnection, _ sql: String) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresBackend.logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }

    private static func answer(_ row: PostgresRandomAccessRow) throws -> AnswerRecord {
        try StoredRecords.answer(PostgresColumns(row, table: "answer_journal", key: "?"))
    }

    private static func session(_ row: PostgresRandomAccessRow) throws -> SessionRecord {
        try StoredRecords.session(PostgresColumns(row, table: "sessions", key: (try? row["id"].decode(String.self)) ?? "?"))
    }

    private static func candidate(_ row: PostgresRandomAccessRow) throws -> CandidateRecord {
        try StoredRecords.candidate(PostgresColumns(row, table: "candidates", key: "?"))
    }

    private static func assessment(_ row: PostgresRandomAccessRow) throws -> AssessmentRecord {
        try StoredRecords.assessment(PostgresColumns(row, table: "assessments", key: "?"))
    }

    private static func event(_ row: PostgresRandomAccessRow) throws -> CandidateEventRecord {
        try StoredRecords.event(PostgresColumns(row, table: "candidate_events", key: "?"))
    }

    private static func result(_ row: PostgresRandomAccessRow, levels decoded: inout [String: [String: Int]]) throws -> ResultRecord {
        try StoredRecords.result(
            PostgresColumns(row, table: "results", key: (try? row["assessment_id"].decode(String.self)) ?? "?"), levels: &decoded)
    }
}

/// A PostgreSQL row's columns (``StoredColumns``).
struct PostgresColumns: StoredColumns {
    let row: PostgresRandomAccessRow
    let table: String
    let key: String

    init(_ row: PostgresRandomAccessRow, table: String, key: String) {
        self.row = row
        self.table = table
        self.key = key
    }

    func corrupt(_ column: String, _ what: String) -> StoreError {
        StoreError(.storeCorrupt, "Table \(table), row \(key), column \(column): \(what); the store is damaged.")
    }

    private func decode<T: PostgresDecodable>(_ column: String, as type: T.Type, _ what: String) throws -> T {
        guard row.contains(column) else { throw corrupt(column, "missing column") }
        do {
            return try row[column].decode(T.self)
        } catch {
            throw corrupt(column, what)
        }
    }

    func text(_ column: String) throws -> String { try decode(column, as: String.self, "not a text value") }
    func optionalText(_ column: String) throws -> String? { try decode(column, as: String?.self, "not a text value") }
    func int(_ column: String) throws -> Int { try decode(column, as: Int.self, "not an integer") }
    func optionalInt(_ column: String) throws -> Int? { try decode(column, as: Int?.self, "not an integer") }

    func double(_ column: String) throws -> Double {
        let value = try decode(column, as: Double.self, "not a finite number")
        guard value.isFinite else { throw corrupt(column, "not a finite number") }
        return value
    }

    func optionalDouble(_ column: String) throws -> Double? {
        guard let value = try decode(column, as: Double?.self, "not a finite number") else { return nil }
        guard value.isFinite else { throw corrupt(column, "not a finite number") }
        return value
    }
}
