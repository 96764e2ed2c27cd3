/// The result store's schema on PostgreSQL: the same tables, columns, keys and versions as the
/// SQLite file (``Schema``), in PostgreSQL's types.
///
/// Owned by CertStore; applied by ``PostgresMigrations``. The version lives in the one-row
/// table `certsim_schema` (PostgreSQL has no `user_version`), whose `application` column marks
/// the database as a certsim store. A database first opened at version N starts from the
/// version-N tables in one step (the SQLite file's earlier steps reshaped files that PostgreSQL
/// never held); each later version appends a step here and in ``Schema``, together.
enum PostgresSchema {
    /// What `certsim_schema.application` holds in a certsim store.
    static let application = "certsim"

    static let versionTable = """
        CREATE TABLE IF NOT EXISTS certsim_schema (
            only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
            version INTEGER NOT NULL,
            application TEXT NOT NULL
        )
        """

    /// The tables of ``Schema`` version 5, as the SQLite file has them after its five steps.
    static let version5: [String] = [
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            access_code TEXT NOT NULL,
            invigilator_password_hash TEXT NOT NULL,
            name TEXT,
            centre TEXT,
            nominal_duration_seconds DOUBLE PRECISION NOT NULL CHECK (nominal_duration_seconds > 0),
            status TEXT NOT NULL,
            created_seconds DOUBLE PRECISION NOT NULL,
            first_start_seconds DOUBLE PRECISION,
            finalized_seconds DOUBLE PRECISION,
            published_seconds DOUBLE PRECISION,
            version_id TEXT NOT NULL DEFAULT 'core-v3-2023'
        )
        """,
        "CREATE INDEX sessions_access_code ON sessions(access_code)",
        """
        CREATE TABLE candidates (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            candidate_id TEXT NOT NULL,
            external_index BIGINT NOT NULL,
            status TEXT NOT NULL,
            abort_reason TEXT,
            needs_accessibility BIGINT NOT NULL CHECK (needs_accessibility IN (0, 1)),
            locale TEXT NOT NULL,
            true_ability DOUBLE PRECISION,
            extra_time_percent DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (extra_time_percent >= 0),
            version_id TEXT,
            complementary_version_id TEXT,
            PRIMARY KEY (session_id, candidate_id)
        )
        """,
        """
        CREATE TABLE assessments (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            started_seconds DOUBLE PRECISION NOT NULL,
            FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, candidate_id)
        )
        """,
        "CREATE INDEX assessments_candidate ON assessments(session_id, candidate_id)",
        """
        CREATE TABLE answer_journal (
            assessment_seq BIGINT NOT NULL REFERENCES assessments(seq),
            question_number BIGINT NOT NULL CHECK (question_number >= 1),
            challenge_id TEXT NOT NULL,
            result TEXT NOT NULL,
            recorded_seconds DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (assessment_seq, question_number)
        )
        """,
        """
        CREATE VIEW answers AS
        SELECT a.id AS assessment_id, j.question_number, j.challenge_id, j.result, j.recorded_seconds
        FROM answer_journal j JOIN assessments a ON a.seq = j.assessment_seq
        """,
        """
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            assessment_id TEXT NOT NULL REFERENCES assessments(id),
            kind TEXT NOT NULL CHECK (kind IN ('live', 'companion')),
            challenge_id TEXT,
            status TEXT NOT NULL,
            created_seconds DOUBLE PRECISION NOT NULL,
            resolved_seconds DOUBLE PRECISION
        )
        """,
        "CREATE INDEX alerts_assessment ON alerts(assessment_id)",
        """
        CREATE TABLE results (
            assessment_id TEXT PRIMARY KEY REFERENCES assessments(id),
            capacity DOUBLE PRECISION NOT NULL,
            error_rate DOUBLE PRECISION NOT NULL,
            pix_score BIGINT,
            mesh_level BIGINT,
            level TEXT,
            competence_levels TEXT,
            status TEXT NOT NULL,
            status_reason TEXT,
            version_id TEXT NOT NULL,
            answers_count BIGINT NOT NULL,
            verification_code TEXT NOT NULL,
            scored_seconds DOUBLE PRECISION NOT NULL,
            jury_level TEXT,
            jury_seconds DOUBLE PRECISION,
            CONSTRAINT results_verification_code UNIQUE (verification_code)
        )
        """,
        """
        CREATE TABLE issue_reports (
            id TEXT PRIMARY KEY,
            assessment_id TEXT NOT NULL REFERENCES assessments(id),
            category TEXT NOT NULL,
            details TEXT NOT NULL,
            created_seconds DOUBLE PRECISION NOT NULL,
            subcategory TEXT,
            challenge_id TEXT,
            question_number BIGINT,
            resolved BIGINT NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
        )
        """,
        "CREATE INDEX issue_reports_assessment ON issue_reports(assessment_id)",
        """
        CREATE TABLE candidate_events (
            session_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            ordinal BIGINT NOT NULL CHECK (ordinal >= 1),
            kind TEXT NOT NULL,
            at_seconds DOUBLE PRECISION NOT NULL,
            answers_count BIGINT NOT NULL CHECK (answers_count >= 0),
            detail TEXT,
            PRIMARY KEY (session_id, candidate_id, ordinal),
            FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, candidate_id)
        )
        """,
        """
        CREATE TABLE versions (
            id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            framework TEXT NOT NULL,
            document TEXT NOT NULL,
            stored_seconds DOUBLE PRECISION NOT NULL
        )
        """,
    ]

    /// Steps by the version they bring the database to; the first step a new database takes is
    /// ``firstVersion``.
    static let firstVersion: Int32 = 5
    static let steps: [Int32: [String]] = [5: version5, 6: version6]

    /// ``Schema/version6``. Lease times are PostgreSQL's own clock (`now()`), in seconds since
    /// the epoch: the daemons' clocks (possibly simulated) never decide who owns a session.
    static let version6: [String] = [
        """
        CREATE TABLE daemons (
            id TEXT PRIMARY KEY,
            http_url TEXT NOT NULL,
            control_address TEXT NOT NULL,
            registered_seconds DOUBLE PRECISION NOT NULL
        )
        """,
        """
        CREATE TABLE session_leases (
            session_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            epoch BIGINT NOT NULL CHECK (epoch >= 1),
            expires_seconds DOUBLE PRECISION NOT NULL
        )
        """,
        "CREATE INDEX session_leases_expiry ON session_leases(expires_seconds)",
    ]
}
