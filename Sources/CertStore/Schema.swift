/// The result store's schema: table definitions and the version this build writes.
///
/// Owned by CertStore. The SQL here is applied by ``Migrations``; the writer and the reader
/// name columns exactly as below. Times are plain `Double` seconds from the daemon's
/// injected clock; statuses are the raw values of CertCore's enums.
public enum Schema {
    /// The schema version this build writes, kept in `PRAGMA user_version`. A file whose
    /// version is higher was written by a newer certsim and is refused (`STORE_NEWER_SCHEMA`).
    public static let version: Int32 = 1

    /// Marks a SQLite file as a certsim store (`PRAGMA application_id`, the ASCII "CSIM"), so a
    /// SQLite file of another program is refused instead of being migrated.
    public static let applicationId: Int32 = 0x4353_494D

    /// Tables of version 1, in creation order (parents first, for the foreign keys).
    static let version1: [String] = [
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY NOT NULL,
            access_code TEXT NOT NULL,
            invigilator_password_hash TEXT NOT NULL,
            name TEXT,
            centre TEXT,
            nominal_duration_seconds REAL NOT NULL CHECK (nominal_duration_seconds > 0),
            status TEXT NOT NULL,
            created_seconds REAL NOT NULL,
            first_start_seconds REAL,
            finalized_seconds REAL,
            published_seconds REAL
        )
        """,
        "CREATE INDEX sessions_access_code ON sessions(access_code)",
        """
        CREATE TABLE candidates (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            candidate_id TEXT NOT NULL,
            external_index INTEGER NOT NULL,
            status TEXT NOT NULL,
            abort_reason TEXT,
            needs_accessibility INTEGER NOT NULL CHECK (needs_accessibility IN (0, 1)),
            locale TEXT NOT NULL,
            true_ability REAL,
            PRIMARY KEY (session_id, candidate_id)
        )
        """,
        """
        CREATE TABLE assessments (
            id TEXT PRIMARY KEY NOT NULL,
            session_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            started_seconds REAL NOT NULL,
            FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, candidate_id)
        )
        """,
        "CREATE INDEX assessments_candidate ON assessments(session_id, candidate_id)",
        // The answer journal. The primary key is the UNIQUE (assessment_id, question_number)
        // itself and the table is WITHOUT ROWID: one B-tree per insert instead of two (table +
        // unique index), which matters on the hot path, and the journal of one assessment is
        // read back in question order straight from the key.
        """
        CREATE TABLE answers (
            assessment_id TEXT NOT NULL REFERENCES assessments(id),
            question_number INTEGER NOT NULL CHECK (question_number >= 1),
            challenge_id TEXT NOT NULL,
            result TEXT NOT NULL,
            recorded_seconds REAL NOT NULL,
            PRIMARY KEY (assessment_id, question_number)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY NOT NULL,
            assessment_id TEXT NOT NULL REFERENCES assessments(id),
            kind TEXT NOT NULL CHECK (kind IN ('live', 'companion')),
            challenge_id TEXT,
            status TEXT NOT NULL,
            created_seconds REAL NOT NULL,
            resolved_seconds REAL
        )
        """,
        "CREATE INDEX alerts_assessment ON alerts(assessment_id)",
        """
        CREATE TABLE results (
            assessment_id TEXT PRIMARY KEY NOT NULL REFERENCES assessments(id),
            capacity REAL NOT NULL,
            error_rate REAL NOT NULL,
            pix_score INTEGER NOT NULL,
            mesh_level INTEGER NOT NULL,
            competence_levels TEXT NOT NULL,
            status TEXT NOT NULL,
            answers_count INTEGER NOT NULL,
            verification_code TEXT NOT NULL UNIQUE,
            scored_seconds REAL NOT NULL
        )
        """,
        """
        CREATE TABLE issue_reports (
            id TEXT PRIMARY KEY NOT NULL,
            assessment_id TEXT NOT NULL REFERENCES assessments(id),
            category TEXT NOT NULL,
            details TEXT NOT NULL,
            created_seconds REAL NOT NULL
        )
        """,
        "CREATE INDEX issue_reports_assessment ON issue_reports(assessment_id)",
    ]
}
