/// The result store's schema: table definitions and the version this build writes.
///
/// Owned by CertStore. The SQL here is applied by ``Migrations``; the writer and the reader
/// name columns exactly as below. Times are plain `Double` seconds from the daemon's
/// injected clock; statuses are the raw values of CertCore's enums.
public enum Schema {
    /// The schema version this build writes, kept in `PRAGMA user_version`. A file whose
    /// version is higher was written by a newer certsim and is refused (`STORE_NEWER_SCHEMA`).
    public static let version: Int32 = 6

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

    /// Version 2: the answer journal is keyed by a small integer per assessment instead of its
    /// text id. Assessments get `seq`, a number given in creation order (`INTEGER PRIMARY KEY`,
    /// so VACUUM keeps it), and the journal `answer_journal` is keyed by
    /// (`assessment_seq`, `question_number`). Why: assessment ids are random, so a text key
    /// scattered a day's inserts over the whole B-tree — each commit rewrote about one page
    /// per answer, and a year-sized journal no longer fit the cache. Keyed in creation order,
    /// the answers of the tests in progress sit together at the end of the tree (measured on the
    /// year's load: about a third of the CPU per insert). `answers` stays readable as a view with
    /// the version 1 columns, so queries by `assessment_id` are unchanged.
    ///
    /// Rebuilt as SQLite's documented table-change procedure: new tables, copy, drop, rename
    /// (the migrator runs it with foreign keys off and checks them at the end).
    static let version2: [String] = [
        """
        CREATE TABLE assessments_v2 (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            started_seconds REAL NOT NULL,
            FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, candidate_id)
        )
        """,
        """
        INSERT INTO assessments_v2 (seq, id, session_id, candidate_id, token_hash, status, started_seconds)
        SELECT rowid, id, session_id, candidate_id, token_hash, status, started_seconds FROM assessments ORDER BY rowid
        """,
        """
        CREATE TABLE answer_journal (
            assessment_seq INTEGER NOT NULL REFERENCES assessments(seq),
            question_number INTEGER NOT NULL CHECK (question_number >= 1),
            challenge_id TEXT NOT NULL,
            result TEXT NOT NULL,
            recorded_seconds REAL NOT NULL,
            PRIMARY KEY (assessment_seq, question_number)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO answer_journal (assessment_seq, question_number, challenge_id, result, recorded_seconds)
        SELECT a.seq, q.question_number, q.challenge_id, q.result, q.recorded_seconds
        FROM answers q JOIN assessments_v2 a ON a.id = q.assessment_id
        """,
        "DROP TABLE answers",
        "DROP TABLE assessments",
        "ALTER TABLE assessments_v2 RENAME TO assessments",
        "CREATE INDEX assessments_candidate ON assessments(session_id, candidate_id)",
        """
        CREATE VIEW answers AS
        SELECT a.id AS assessment_id, j.question_number, j.challenge_id, j.result, j.recorded_seconds
        FROM answer_journal j JOIN assessments a ON a.seq = j.assessment_seq
        """,
    ]

    /// Version 3: the candidates' lifecycle journal. Everything an invigilator or a candidate
    /// did besides answering (authorisations with their time, starts, live and companion alerts
    /// and their outcomes, ends, finalisation) is one row, written in the same transaction as
    /// the change it records, so that recovery replays it with the answer journal through the
    /// same transitions the daemon runs. Keyed by candidate and ordinal: rows of one candidate
    /// sit together, in order.
    static let version3: [String] = [
        """
        CREATE TABLE candidate_events (
            session_id TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
            kind TEXT NOT NULL,
            at_seconds REAL NOT NULL,
            answers_count INTEGER NOT NULL CHECK (answers_count >= 0),
            detail TEXT,
            PRIMARY KEY (session_id, candidate_id, ordinal),
            FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, candidate_id)
        ) WITHOUT ROWID
        """,
    ]

    /// Version 4: certification versions (DESIGN §3.7). Every session and result names the
    /// version it ran under (rows of earlier stores were scored with the 2023 core numbers:
    /// `core-v3-2023`); results of a rejected or cancelled certification carry no score, mesh
    /// level or competence levels (NULL), so the table is rebuilt without those NOT NULLs; a
    /// candidate has an extra time; an issue report has the subcategory, challenge and
    /// question of the live alert that made it.
    static let version4: [String] = [
        """
        CREATE TABLE versions (
            id TEXT PRIMARY KEY NOT NULL,
            content_hash TEXT NOT NULL,
            framework TEXT NOT NULL,
            document TEXT NOT NULL,
            stored_seconds REAL NOT NULL
        )
        """,
        "ALTER TABLE sessions ADD COLUMN version_id TEXT NOT NULL DEFAULT 'core-v3-2023'",
        "ALTER TABLE candidates ADD COLUMN extra_time_percent REAL NOT NULL DEFAULT 0 CHECK (extra_time_percent >= 0)",
        """
        CREATE TABLE results_v4 (
            assessment_id TEXT PRIMARY KEY NOT NULL REFERENCES assessments(id),
            capacity REAL NOT NULL,
            error_rate REAL NOT NULL,
            pix_score INTEGER,
            mesh_level INTEGER,
            level TEXT,
            competence_levels TEXT,
            status TEXT NOT NULL,
            status_reason TEXT,
            version_id TEXT NOT NULL,
            answers_count INTEGER NOT NULL,
            verification_code TEXT NOT NULL UNIQUE,
            scored_seconds REAL NOT NULL
        )
        """,
        """
        INSERT INTO results_v4 (assessment_id, capacity, error_rate, pix_score, mesh_level, level, competence_levels,
                                status, status_reason, version_id, answers_count, verification_code, scored_seconds)
        SELECT assessment_id, capacity, error_rate, pix_score, mesh_level, NULL, competence_levels,
               status, NULL, 'core-v3-2023', answers_count, verification_code, scored_seconds FROM results
        """,
        "DROP TABLE results",
        "ALTER TABLE results_v4 RENAME TO results",
        "ALTER TABLE issue_reports ADD COLUMN subcategory TEXT",
        "ALTER TABLE issue_reports ADD COLUMN challenge_id TEXT",
        "ALTER TABLE issue_reports ADD COLUMN question_number INTEGER",
        "ALTER TABLE issue_reports ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))",
    ]

    /// Pix+ (DESIGN §3.8). A candidate enrolled in a complementary certification has two
    /// candidates rows: the core test's (which names the complementary version) and the
    /// complementary test's, under the key `CANDIDATE#VERSION` with `version_id` set, so that
    /// every test keeps its own status, journal and assessment. The jury's level of a Pix+ Édu
    /// certification is kept beside its result.
    static let version5: [String] = [
        "ALTER TABLE candidates ADD COLUMN version_id TEXT",
        "ALTER TABLE candidates ADD COLUMN complementary_version_id TEXT",
        "ALTER TABLE results ADD COLUMN jury_level TEXT",
        "ALTER TABLE results ADD COLUMN jury_seconds REAL",
    ]

    /// Version 6: several daemons on one store (DESIGN §4). `daemons` lists each daemon and the
    /// addresses candidates and proctors reach it at; `session_leases` says which daemon owns a
    /// session, until when, and under which epoch (raised by every change of owner; every write
    /// batch of a daemon checks it holds the epoch it was given). Used on PostgreSQL, where
    /// several daemons share the store; a SQLite file has one daemon (its lock file says so),
    /// which keeps the tables empty.
    static let version6: [String] = [
        """
        CREATE TABLE daemons (
            id TEXT PRIMARY KEY NOT NULL,
            http_url TEXT NOT NULL,
            control_address TEXT NOT NULL,
            registered_seconds REAL NOT NULL
        )
        """,
        """
        CREATE TABLE session_leases (
            session_id TEXT PRIMARY KEY NOT NULL,
            owner TEXT NOT NULL,
            epoch INTEGER NOT NULL CHECK (epoch >= 1),
            expires_seconds REAL NOT NULL
        )
        """,
        "CREATE INDEX session_leases_expiry ON session_leases(expires_seconds)",
    ]
}

