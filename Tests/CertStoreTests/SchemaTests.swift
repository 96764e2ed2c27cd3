import CertCore
import Foundation
import GRDB
import Testing
import CertCore
@testable import CertStore

@Suite struct SchemaTests {
    @Test func freshFileIsMigratedToTheCurrentVersionInWALMode() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await writer.close()

        // Checked through an independent connection, not through CertStore.
        let check = try DatabaseQueue(path: path)
        try await check.read { db in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 6)
            #expect(try Int.fetchOne(db, sql: "PRAGMA application_id") == 0x4353_494D)
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name
                """)
            #expect(tables == ["alerts", "answer_journal", "assessments", "candidate_events", "candidates", "daemons",
                               "grdb_migrations", "issue_reports", "results", "session_leases", "sessions", "versions"])
            let views = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'view'")
            #expect(views == ["answers"])
            let answerColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('answers') ORDER BY cid")
            #expect(answerColumns == ["assessment_id", "question_number", "challenge_id", "result", "recorded_seconds"])
            let sessionColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('sessions') ORDER BY cid")
            #expect(sessionColumns == ["id", "access_code", "invigilator_password_hash", "name", "centre",
                                       "nominal_duration_seconds", "status", "created_seconds", "first_start_seconds",
                                       "finalized_seconds", "published_seconds", "version_id"])
            let resultColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('results') WHERE \"notnull\" = 0 ORDER BY cid")
            #expect(resultColumns == ["pix_score", "mesh_level", "level", "competence_levels", "status_reason", "jury_level",
                                      "jury_seconds"])
            let candidateColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('candidates') ORDER BY cid")
            #expect(candidateColumns.suffix(2) == ["version_id", "complementary_version_id"])
        }
    }

    @Test func sessionNameCentreAndDurationRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        let unnamed = SessionRecord(id: "s2", accessCode: "BCDF34", invigilatorPasswordHash: "h", status: "created",
                                    createdSeconds: 200)
        try await writer.submit(.session(Fixture.session))
        try await writer.submit(.session(unnamed))
        var renamed = Fixture.session
        renamed.name = "Salle 13"
        renamed.status = "started"
        try await writer.submit(.session(renamed))
        try await writer.close()

        // Read back through an independent connection, then through the reader.
        let check = try DatabaseQueue(path: path)
        let row = try await check.read { db in
            try Row.fetchOne(db, sql: "SELECT name, centre, nominal_duration_seconds FROM sessions WHERE id = 's1'")
        }
        #expect(row?["name"] == "Salle 13")
        #expect(row?["centre"] == "Lycée Hoche")
        #expect(row?["nominal_duration_seconds"] == 8_400.0)
        try check.close()
        let sessions = try StoreReader(path: path).recover().sessions
        #expect(sessions == [renamed, unnamed])
        #expect(sessions[1].name == nil && sessions[1].centre == nil)
        #expect(sessions[1].nominalDurationSeconds == 105 * 60)
    }

    @Test func synchronousIsFullWhenDurableAndNormalWhenRelaxed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let durable = try ResultWriter(path: directory.file("durable.sqlite"))
        let relaxed = try ResultWriter(path: directory.file("relaxed.sqlite"),
                                       configuration: .init(durability: .relaxed))
        // SQLite's codes: 1 = NORMAL, 2 = FULL.
        #expect(try await durable.pragmaForTesting("synchronous") == 2)
        #expect(try await relaxed.pragmaForTesting("synchronous") == 1)
        try await durable.close()
        try await relaxed.close()
    }

    @Test func reopeningKeepsTheDataAndTheVersion() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let first = try ResultWriter(path: path)
        try await Fixture.seed(first, assessments: 1..<2)
        try await first.submit(.answer(Fixture.answer(1, 1)))
        try await first.close()

        let second = try ResultWriter(path: path)
        try await second.submit(.answer(Fixture.answer(1, 2)))
        try await second.close()

        let reader = try StoreReader(path: path)
        #expect(try reader.answers(ofAssessment: "a1").map(\.questionNumber) == [1, 2])
        #expect(try reader.recover().sessions == [Fixture.session])
    }

    /// A store written by the version 1 schema (the answer journal keyed by the text id) is
    /// migrated in place: the same answers read back through the reader, in question order,
    /// and new answers, results and a second assessment go in after them.
    @Test func versionOneStoreIsMigratedWithItsAnswers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("v1.sqlite")
        // Built with GRDB and the frozen version 1 tables only, as a version 1 certsim did.
        let old = try DatabaseQueue(path: path)
        var v1 = DatabaseMigrator()
        v1.registerMigration("v1") { db in
            for statement in Schema.version1 { try db.execute(sql: statement) }
            try db.execute(sql: "PRAGMA application_id = \(Schema.applicationId)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        try v1.migrate(old)
        try await old.write { db in
            try db.execute(sql: "INSERT INTO sessions (id, access_code, invigilator_password_hash, nominal_duration_seconds, status, created_seconds) VALUES ('s1', 'BCDF23', 'h', 6300, 'started', 100)")
            for candidate in ["c1", "c2"] {
                try db.execute(sql: "INSERT INTO candidates (session_id, candidate_id, external_index, status, needs_accessibility, locale) VALUES ('s1', ?, 1, 'started', 0, 'fr-fr')", arguments: [candidate])
            }
            // Inserted in an order unlike the ids' order, so the copied `seq` must follow insertion.
            try db.execute(sql: "INSERT INTO assessments (id, session_id, candidate_id, token_hash, status, started_seconds) VALUES ('zz', 's1', 'c1', 't', 'started', 200)")
            try db.execute(sql: "INSERT INTO assessments (id, session_id, candidate_id, token_hash, status, started_seconds) VALUES ('aa', 's1', 'c2', 't', 'started', 201)")
            for question in [2, 1, 3] {
                try db.execute(sql: "INSERT INTO answers VALUES ('zz', ?, ?, 'ko', ?)", arguments: [question, "ch\(question)", Double(question)])
            }
            try db.execute(sql: "INSERT INTO answers VALUES ('aa', 1, 'chA', 'ok', 9.5)")
            try db.execute(sql: "INSERT INTO results (assessment_id, capacity, error_rate, pix_score, mesh_level, competence_levels, status, answers_count, verification_code, scored_seconds) VALUES ('aa', 0.5, 0.1, 200, 2, '{}', 'validated', 1, 'P-AAAA2222', 300)")
        }
        try old.close()

        let writer = try ResultWriter(path: path)
        try await writer.submit(.answer(AnswerRecord(assessmentId: "zz", questionNumber: 4, challengeId: "ch4", result: "ok", recordedSeconds: 4)))
        await #expect(throws: StoreError.self) {
            try await writer.submit(.answer(AnswerRecord(assessmentId: "zz", questionNumber: 2, challengeId: "x", result: "ok", recordedSeconds: 5)))
        }
        try await writer.close()

        let reader = try StoreReader(path: path)
        let journal = try reader.answers(ofAssessment: "zz")
        #expect(journal.map(\.questionNumber) == [1, 2, 3, 4])
        #expect(journal.map(\.challengeId) == ["ch1", "ch2", "ch3", "ch4"])
        #expect(journal.map(\.result) == ["ko", "ko", "ko", "ok"])
        #expect(journal.map(\.recordedSeconds) == [1, 2, 3, 4])
        #expect(try reader.answers(ofAssessment: "aa") == [AnswerRecord(assessmentId: "aa", questionNumber: 1, challengeId: "chA", result: "ok", recordedSeconds: 9.5)])
        #expect(try reader.countAnswers() == 5)
        #expect(try reader.results().map(\.verificationCode) == ["P-AAAA2222"])
        #expect(try reader.recover().inProgressAssessments.map(\.assessment.id) == ["zz"])

        let check = try DatabaseQueue(path: path)
        let (version, order, violations) = try await check.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version"),
             try String.fetchAll(db, sql: "SELECT id FROM assessments ORDER BY seq"),
             try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
        }
        #expect(version == 6)
        #expect(order == ["zz", "aa"])
        #expect(violations == 0)
    }

    @Test func newerSchemaIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        try await ResultWriter(path: path).close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "close must checkpoint the WAL")

        // user_version is the big-endian 32-bit integer at offset 60 of the database header.
        try patchHeader(path, offset: 60, value: UInt32(Schema.version + 1))

        #expect(await storeErrorCode { _ = try ResultWriter(path: path) } == ErrorCode.storeNewerSchema)
        #expect(await storeErrorCode { _ = try StoreReader(path: path) } == ErrorCode.storeNewerSchema)
    }

    @Test func sqliteFileOfAnotherProgramIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("other.sqlite")
        let other = try DatabaseQueue(path: path)
        try await other.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT)") }
        try other.close()

        #expect(await storeErrorCode { _ = try ResultWriter(path: path) } == ErrorCode.storeCorrupt)
    }

    @Test func garbageFileIsRefusedAsCorrupt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("garbage.sqlite")
        let garbage = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage))

        #expect(await storeErrorCode { _ = try ResultWriter(path: path) } == ErrorCode.storeCorrupt)
        #expect(await storeErrorCode { _ = try StoreReader(path: path) } == ErrorCode.storeCorrupt)
    }

    @Test func errorsNameThePath() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("garbage.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 4_096)))
        do {
            _ = try ResultWriter(path: path)
            Issue.record("a garbage file was accepted")
        } catch {
            #expect(error.message.contains(path))
        }
    }

    @Test func missingDirectoryCannotBeOpened() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("absent/store.sqlite")
        #expect(await storeErrorCode { _ = try ResultWriter(path: path) } == ErrorCode.storeCannotOpen)
        #expect(await storeErrorCode { _ = try StoreReader(path: directory.file("none.sqlite")) } == ErrorCode.storeCannotOpen)
    }

    // The tests run as root, and root ignores permission bits: chmod 0444 would not stop
    // it. The immutable attribute (chattr +i) does — the kernel refuses writes to an
    // immutable inode even to root (EPERM), as a read-only file system does (EROFS). These
    // tests need chattr and a file system that supports the attribute, else they are skipped.
    @Test(.enabled(if: Immutable.isSupported, "needs chattr +i on the temporary file system"))
    func immutableFileIsRefusedAsReadOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        try await ResultWriter(path: path).close()
        #expect(Immutable.set(path, true))
        defer { _ = Immutable.set(path, false) }

        #expect(await storeErrorCode { _ = try ResultWriter(path: path) } == ErrorCode.storeReadOnly)
    }

    @Test(.enabled(if: Immutable.isSupported, "needs chattr +i on the temporary file system"))
    func immutableDirectoryIsRefusedAsReadOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(Immutable.set(directory.path, true))
        defer { _ = Immutable.set(directory.path, false) }

        #expect(await storeErrorCode { _ = try ResultWriter(path: directory.file("new.sqlite")) } == ErrorCode.storeReadOnly)
    }

    private func patchHeader(_ path: String, offset: UInt64, value: UInt32) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        handle.write(Data([UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]))
    }
}
