import CertCore
import CertTestSupport
import Foundation
import Testing
@testable import CertStore

/// One engine's fresh store for one test: a file in a temporary directory, or a new database on
/// the test PostgreSQL server.
enum TestEngine: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    func makeStore() async throws -> (location: StoreLocation, cleanUp: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            return (.sqlite(path: directory.file("store.sqlite")), { directory.remove() })
        case .postgres:
            return (.postgres(try await PostgresTestServer.makeDatabase()), {})
        }
    }
}

/// What every engine of the result store must do alike: the writer's refusals and outcomes,
/// one request's rows all or nothing, the recovery read, and a store reopened after a crash.
/// Run on SQLite always and on PostgreSQL when the test server is there (``PostgresStoreTests``).
enum StoreContract: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case concurrentAppendsAreCommittedExactlyOnce
    case duplicateAnswerIsRefusedAlone
    case unknownReferencesAreRefused
    case oneRequestsRowsCommitTogetherOrNotAtAll
    case verificationCodeCollisionAndDuplicateResultAreDistinct
    case statusChangesAreStored
    case recoveryReadsTheUnscoredTestsAndTheirJournals
    case relaxedModeFlushCommits
    case changedVersionUnderTheSameIdIsRefused
    case juryLevelIsWrittenOnce
    case aStoreLeftWithoutCloseReopensWithEveryAcknowledgedRow

    var testDescription: String { rawValue }

    func run(on engine: TestEngine) async throws {
        let (location, cleanUp) = try await engine.makeStore()
        defer { cleanUp() }
        switch self {
        case .concurrentAppendsAreCommittedExactlyOnce:
            let writer = try await ResultWriter.open(location)
            let assessments = 20, questions = 16
            try await Fixture.seed(writer, assessments: 0..<assessments)
            let before = await writer.stats()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for assessment in 0..<assessments {
                    for question in 1...questions {
                        group.addTask { try await writer.submit(.answer(Fixture.answer(assessment, question))) }
                    }
                }
                try await group.waitForAll()
            }
            let after = await writer.stats()
            #expect(after.rowsCommitted - before.rowsCommitted == assessments * questions)
            #expect(after.commits - before.commits < assessments * questions, "group commit gathered rows")
            let snapshot = try await writer.reader().recover()
            #expect(snapshot.inProgressAssessments.count == assessments)
            for recovered in snapshot.inProgressAssessments {
                #expect(recovered.answers.map(\.questionNumber) == Array(1...questions))
            }
            #expect(try await writer.reader().countAnswers(assessmentId: nil) == assessments * questions)
            try await writer.close()

        case .duplicateAnswerIsRefusedAlone:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<2)
            try await writer.submit(.answer(Fixture.answer(1, 1)))
            #expect(await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, 1, result: "ko"))) }
                    == .storeDuplicateAnswer)
            let codes = await withTaskGroup(of: ErrorCode?.self, returning: [ErrorCode?].self) { group in
                for question in 1...11 {
                    group.addTask { await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, question))) } }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes.filter { $0 == .storeDuplicateAnswer }.count == 1)
            #expect(codes.filter { $0 == nil }.count == 10)
            let journal = try await writer.reader().recover().inProgressAssessments[0].answers
            #expect(journal.map(\.questionNumber) == Array(1...11))
            #expect(journal.first?.result == "ok")
            #expect(await writer.isHealthy)
            try await writer.close()

        case .unknownReferencesAreRefused:
            let writer = try await ResultWriter.open(location)
            #expect(await storeErrorCode { try await writer.submit(.answer(Fixture.answer(9, 1))) } == .storeUnknownReference)
            #expect(await storeErrorCode { try await writer.submit(.assessmentStatus(assessmentId: "a9", status: "completed")) }
                    == .storeUnknownReference)
            #expect(await storeErrorCode { try await writer.submit(.candidate(Fixture.candidate(1))) } == .storeUnknownReference)
            #expect(await storeErrorCode {
                try await writer.submit(.candidateStatus(sessionId: "s1", candidateId: "c9", status: "ended", abortReason: nil))
            } == .storeUnknownReference)
            #expect(await writer.isHealthy)
            try await writer.close()

        case .oneRequestsRowsCommitTogetherOrNotAtAll:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<3)
            #expect(await storeErrorCode {
                try await writer.submit([.answer(Fixture.answer(1, 1)), .answer(Fixture.answer(1, 1))])
            } == .storeDuplicateAnswer)
            try await writer.submit([.answer(Fixture.answer(2, 1)), .answer(Fixture.answer(2, 2)),
                                     .assessmentStatus(assessmentId: "a2", status: "completed")])
            let reader = try writer.reader()
            #expect(try await reader.countAnswers(assessmentId: "a1") == 0)
            #expect(try await reader.countAnswers(assessmentId: "a2") == 2)
            #expect(try await reader.assessments().first { $0.id == "a2" }?.status == "completed")
            #expect(await writer.isHealthy)
            try await writer.close()

        case .verificationCodeCollisionAndDuplicateResultAreDistinct:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<3)
            #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(1, code: "P-23467BCD"))) } == nil)
            #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(2, code: "P-23467BCD"))) }
                    == .storeVerificationCodeTaken)
            #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(2, code: "P-89BCDFGH"))) } == nil)
            #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(1, code: "P-MPQRTVWX"))) }
                    == .storeDuplicateResult)
            let results = try await writer.reader().results()
            #expect(results == [Fixture.result(1, code: "P-23467BCD"), Fixture.result(2, code: "P-89BCDFGH")])
            #expect(try await writer.reader().countResults() == 2)
            try await writer.close()

        case .statusChangesAreStored:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<2)
            var session = Fixture.session
            session.status = "finalized"
            session.finalizedSeconds = 900
            try await writer.submit(.session(session))
            try await writer.submit(.candidateStatus(sessionId: "s1", candidateId: "c1", status: "endedDueToFinalization",
                                                     abortReason: "technical"))
            try await writer.submit(.assessmentStatus(assessmentId: "a1", status: "endedDueToFinalization"))
            try await writer.submit(.issueReport(IssueReportRecord(id: "r1", assessmentId: "a1", category: "technical",
                                                                   details: "screen froze", createdSeconds: 800)))
            let snapshot = try await writer.reader().recover()
            #expect(snapshot.sessions == [session])
            #expect(snapshot.candidates.first?.status == "endedDueToFinalization")
            #expect(snapshot.candidates.first?.abortReason == "technical")
            #expect(snapshot.inProgressAssessments.first?.assessment.status == "endedDueToFinalization")
            try await writer.close()

        case .recoveryReadsTheUnscoredTestsAndTheirJournals:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<4)
            // a1: scored. a2: five answers out of question order, a validated, a dismissed live
            // alert and a companion alert. a3: started, no answer.
            for question in 1...3 { try await writer.submit(.answer(Fixture.answer(1, question))) }
            try await writer.submit(.result(Fixture.result(1, code: "P-2346789B")))
            for question in [3, 1, 5, 2, 4] {
                try await writer.submit(.answer(Fixture.answer(2, question, result: question % 2 == 0 ? "ko" : "ok")))
            }
            try await writer.submit(.alert(AlertRecord(id: "al1", assessmentId: "a2", kind: .live, challengeId: "ch-x",
                                                       status: "ongoing", createdSeconds: 1_001)))
            try await writer.submit(.alert(AlertRecord(id: "al1", assessmentId: "a2", kind: .live, challengeId: "ch-x",
                                                       status: "validated", createdSeconds: 1_001, resolvedSeconds: 1_010)))
            try await writer.submit(.alert(AlertRecord(id: "al2", assessmentId: "a2", kind: .live, challengeId: "ch-y",
                                                       status: "dismissed", createdSeconds: 1_002, resolvedSeconds: 1_003)))
            try await writer.submit(.alert(AlertRecord(id: "al3", assessmentId: "a2", kind: .companion, challengeId: nil,
                                                       status: "cleared", createdSeconds: 1_004)))
            try await writer.submit(.candidateEvent(CandidateEventRecord(
                sessionId: "s1", candidateId: "c2", ordinal: 1, kind: "authorized", atSeconds: 150, answersCount: 0, detail: "x")))
            #expect(await storeErrorCode {
                try await writer.submit(.candidateEvent(CandidateEventRecord(
                    sessionId: "s1", candidateId: "c2", ordinal: 1, kind: "started", atSeconds: 151, answersCount: 0)))
            } == .storeConstraint)
            let reader = try writer.reader()
            let snapshot = try await reader.recover()
            #expect(snapshot.sessions == [Fixture.session])
            #expect(snapshot.candidates == [Fixture.candidate(1), Fixture.candidate(2), Fixture.candidate(3)])
            #expect(snapshot.inProgressAssessments.map(\.assessment) == [Fixture.assessment(2), Fixture.assessment(3)])
            #expect(snapshot.inProgressAssessments[0].answers
                    == (1...5).map { Fixture.answer(2, $0, result: $0 % 2 == 0 ? "ko" : "ok") })
            #expect(snapshot.inProgressAssessments[0].validatedLiveAlertChallengeIds == ["ch-x"])
            #expect(snapshot.inProgressAssessments[1].answers.isEmpty)
            #expect(snapshot.events == [CandidateEventRecord(
                sessionId: "s1", candidateId: "c2", ordinal: 1, kind: "authorized", atSeconds: 150, answersCount: 0, detail: "x")])
            #expect(try await reader.assessments() == [Fixture.assessment(1), Fixture.assessment(2), Fixture.assessment(3)])
            #expect(try await reader.countAnswers(assessmentId: nil) == 8)
            #expect(try await reader.countAnswers(assessmentId: "a2") == 5)
            try await writer.close()

        case .relaxedModeFlushCommits:
            let writer = try await ResultWriter.open(location, configuration: .init(durability: .relaxed))
            try await Fixture.seed(writer, assessments: 1..<2)
            for question in 1...32 { try await writer.submit(.answer(Fixture.answer(1, question))) }
            try await writer.flush()
            #expect(try await writer.reader().countAnswers(assessmentId: "a1") == 32)
            try await writer.close()

        case .changedVersionUnderTheSameIdIsRefused:
            let writer = try await ResultWriter.open(location)
            let version = VersionRecord(id: "v1", contentHash: "aaaa", framework: "crcn", document: "{}", storedSeconds: 1)
            try await writer.submit(.version(version))
            try await writer.submit(.version(version))
            var changed = version
            changed.contentHash = "bbbb"
            #expect(await storeErrorCode { try await writer.submit(.version(changed)) } == .versionConflict)
            #expect(try await writer.reader().versions() == [version])
            try await writer.close()

        case .juryLevelIsWrittenOnce:
            let writer = try await ResultWriter.open(location)
            try await Fixture.seed(writer, assessments: 1..<2)
            try await writer.submit(.result(Fixture.result(1, code: "P-BCDFGHJK")))
            try await writer.submit(.juryLevel(assessmentId: "a1", level: "avance", decidedSeconds: 9_000))
            #expect(await storeErrorCode { try await writer.submit(.juryLevel(assessmentId: "a1", level: "expert", decidedSeconds: 9_001)) }
                    == .storeUnknownReference)
            let stored = try await writer.reader().results().first
            #expect(stored?.juryLevel == "avance" && stored?.jurySeconds == 9_000)
            try await writer.close()

        case .aStoreLeftWithoutCloseReopensWithEveryAcknowledgedRow:
            // The writer is never closed, as after kill -9; a new writer opens the same store.
            let crashed = try await ResultWriter.open(location)
            try await Fixture.seed(crashed, assessments: 1..<2)
            for question in 1...4 { try await crashed.submit(.answer(Fixture.answer(1, question))) }
            crashed.releaseLockAsACrashWould()
            let reopened = try await ResultWriter.open(location)
            let snapshot = try await reopened.reader().recover()
            #expect(snapshot.inProgressAssessments.count == 1)
            #expect(snapshot.inProgressAssessments.first?.answers.map(\.questionNumber) == [1, 2, 3, 4])
            try await reopened.close()
        }
    }
}

@Suite struct SQLiteStoreContractTests {
    @Test(arguments: StoreContract.allCases)
    func contract(_ rule: StoreContract) async throws {
        try await rule.run(on: .sqlite)
    }
}

@Suite(.enabled(if: PostgresTestServer.isConfigured, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresStoreTests {
    @Test(arguments: StoreContract.allCases)
    func contract(_ rule: StoreContract) async throws {
        try await rule.run(on: .postgres)
    }

    @Test func aNewDatabaseIsMigratedToThisBuildsVersionAndANewerOneIsRefused() async throws {
        let location = try await PostgresTestServer.makeDatabase()
        let writer = try await ResultWriter.open(.postgres(location))
        try await writer.close()
        #expect(try await PostgresTestServer.integer("SELECT version FROM certsim_schema", on: location) == Int(Schema.version))
        // Opening again changes nothing.
        try await ResultWriter.open(.postgres(location)).close()
        try await PostgresTestServer.execute("UPDATE certsim_schema SET version = version + 1", on: location)
        #expect(await storeErrorCode { _ = try await ResultWriter.open(.postgres(location)) } == .storeNewerSchema)
    }

    @Test func aDatabaseOfAnotherProgramIsRefusedUntouched() async throws {
        let location = try await PostgresTestServer.makeDatabase()
        try await PostgresTestServer.execute("CREATE TABLE invoices (id INTEGER)", on: location)
        #expect(await storeErrorCode { _ = try await ResultWriter.open(.postgres(location)) } == .storeCorrupt)
        #expect(try await PostgresTestServer.integer(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sessions'", on: location) == 0)
    }

    @Test func aWrongPasswordIsUnreachableAndTheMessageHoldsNoPassword() async throws {
        var location = try await PostgresTestServer.makeDatabase()
        location.password = "not-the-password-\(UUID().uuidString.prefix(6))"
        let failure = await storeFailure { _ = try await ResultWriter.open(.postgres(location)) }
        #expect(failure?.code == .storeUnreachable)
        #expect(failure?.message.contains(location.password!) == false)
        #expect(failure?.message.contains(location.description) == true)
    }

    @Test func severalWritersShareOneDatabase() async throws {
        let location = try await PostgresTestServer.makeDatabase()
        let first = try await ResultWriter.open(.postgres(location))
        let second = try await ResultWriter.open(.postgres(location))
        try await Fixture.seed(first, assessments: 1..<3)
        try await first.submit(.answer(Fixture.answer(1, 1)))
        try await second.submit(.answer(Fixture.answer(2, 1)))
        // The same answer from the other writer is the duplicate the constraint refuses.
        #expect(await storeErrorCode { try await second.submit(.answer(Fixture.answer(1, 1, result: "ko"))) } == .storeDuplicateAnswer)
        #expect(try await second.reader().countAnswers(assessmentId: nil) == 2)
        try await first.close()
        try await second.close()
    }
}

/// CI sets CERTSIM_REQUIRE_PG=1: there, a missing PostgreSQL server fails the run instead of
/// skipping its suites.
@Suite struct PostgresPresenceTests {
    @Test func theServerIsThereWhenTheRunRequiresIt() {
        if PostgresTestServer.isRequired {
            #expect(PostgresTestServer.isConfigured, "CERTSIM_REQUIRE_PG=1 but CERTSIM_PG_URL is not set")
        }
    }
}

@Suite struct StoreLocationTests {
    @Test func aPostgresURLIsParsedAndShownWithoutPassword() throws {
        let location = try PostgresLocation.parse("postgres://certsim@127.0.0.1:6543/exams", password: "secret")
        #expect(location == PostgresLocation(user: "certsim", host: "127.0.0.1", port: 6543, database: "exams", password: "secret"))
        #expect(location.description == "postgres://certsim@127.0.0.1:6543/exams")
        #expect(try PostgresLocation.parse("postgresql://u@db.example/x").port == 5432)
        #expect(try PostgresLocation.parse("postgres://u@[::1]:7000/x").host == "::1")
        #expect(try StoreLocation.parse("day.sqlite") == .sqlite(path: "day.sqlite"))
    }

    @Test(arguments: [
        "postgres://certsim:hunter2@127.0.0.1:5432/exams",
        "postgres://127.0.0.1:5432/exams",
        "postgres://certsim@127.0.0.1:5432",
        "postgres://certsim@127.0.0.1:99999/exams",
        "postgres://certsim@127.0.0.1:5432/exams?sslmode=require",
    ])
    func aBadURLIsRefusedWithoutEchoingAPassword(_ url: String) {
        do {
            _ = try StoreLocation.parse(url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.code == .storeBadURL)
            #expect(!error.message.contains("hunter2"))
        }
    }

    @Test func thePasswordComesFromTheFileBeforeTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("pw")
        try "from-file\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try PostgresLocation.password(file: file, environment: ["PGPASSWORD": "from-env"]) == "from-file")
        #expect(try PostgresLocation.password(file: nil, environment: ["PGPASSWORD": "from-env"]) == "from-env")
        #expect(try PostgresLocation.password(file: nil, environment: [:]) == nil)
        #expect(throws: StoreError.self) { try PostgresLocation.password(file: directory.file("missing"), environment: [:]) }
    }
}
