import CertCore
import CertStore
@testable import CertDaemon
import Foundation
import GRDB
import Testing

/// One request, one transaction; secrets that do not follow from the seed; a damaged store
/// stops recovery with the place it is damaged — never a default.
@Suite("Daemon core: one request, one commit")
struct CoreOneTransactionTests {
    @Test("a 32-answer test: each request one commit, the completing answer (journal row, result, status) one too")
    func commitsPerRequest() async throws {
        let core = try await CoreFixtures.open()
        let session = try await CoreFixtures.session(core, id: "T1", candidates: ["c1"])
        let beforeStart = try #require(await core.proctors.stats().writerCommits)
        let started = try await CoreFixtures.start(core, session, "c1")
        // The authorisation, then the start (candidate status, assessment, session's first start).
        #expect(try #require(await core.proctors.stats().writerCommits) - beforeStart == 2)
        try await CoreFixtures.answer(core, started, candidateId: "c1", count: 31)
        let beforeLast = try #require(await core.proctors.stats().writerCommits)
        try await CoreFixtures.answer(core, started, candidateId: "c1")
        // Requests are sequential here, so no two share a group commit: the last answer is one commit.
        #expect(try #require(await core.proctors.stats().writerCommits) - beforeLast == 1)
        let reader = try StoreReader(path: core.configuration.databasePath)
        #expect(try reader.countAnswers() == 32)
        let result = try #require(try reader.results().first)
        #expect(Codes.isWellFormedVerificationCode(result.verificationCode))
        #expect(try reader.recover().candidates.first?.status == "completed")
        await core.shutdown()
    }

    @Test("two daemons with the same seed give different invigilator passwords; neither is stored in clear")
    func passwordsDoNotFollowFromTheSeed() async throws {
        let first = try await CoreFixtures.open(seed: 1)
        let second = try await CoreFixtures.open(seed: 1)
        let a = try await first.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
        let b = try await second.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
        #expect(a.accessCode == b.accessCode, "access codes stay seeded")
        #expect(a.invigilatorPassword != b.invigilatorPassword)
        #expect(Codes.isWellFormedInvigilatorPassword(a.invigilatorPassword))
        try await first.proctors.checkPassword(sessionId: "S1", password: a.invigilatorPassword)
        #expect(await daemonError { try await first.proctors.checkPassword(sessionId: "S1", password: b.invigilatorPassword) }?.code
            == .invalidCredentials)
        await first.shutdown()
        let stored = try #require(try StoreReader(path: first.configuration.databasePath).recover().sessions.first)
        #expect(stored.invigilatorPasswordHash.hasPrefix("sha256$"))
        #expect(!stored.invigilatorPasswordHash.contains(a.invigilatorPassword))
        await second.shutdown()
    }

    /// A store damaged under a stopped daemon, then reopened.
    static func damaged(_ sql: String) async throws -> CertError? {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await CoreFixtures.open(path: path)
        let session = try await CoreFixtures.session(core, id: "S1", candidates: ["c1"])
        let started = try await CoreFixtures.start(core, session, "c1")
        try await CoreFixtures.answer(core, started, candidateId: "c1", count: 3)
        await core.shutdown()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: sql) }
        try queue.close()
        do {
            let reopened = try await CoreFixtures.open(path: path)
            await reopened.shutdown()
            return nil
        } catch let error as CertError {
            return error
        } catch let error as DaemonError {
            return CertError(error.code, error.message)
        }
    }

    @Test("a damaged journal stops recovery with STORE_CORRUPT naming table, row and column")
    func damagedValuesAreNamed() async throws {
        let answer = try #require(try await Self.damaged("UPDATE answer_journal SET result = 'maybe' WHERE question_number = 2"))
        #expect(answer.code == .storeCorrupt)
        #expect(answer.message.contains("answer_journal") && answer.message.contains("#2") && answer.message.contains("result"))
        let status = try #require(try await Self.damaged("UPDATE candidates SET status = 'lost'"))
        #expect(status.code == .storeCorrupt)
        #expect(status.message.contains("candidates") && status.message.contains("S1/c1") && status.message.contains("status"))
        let kind = try #require(try await Self.damaged("UPDATE candidate_events SET kind = 'teleported' WHERE ordinal = 1"))
        #expect(kind.code == .storeCorrupt)
        #expect(kind.message.contains("candidate_events"))
        let type = try #require(try await Self.damaged("UPDATE answer_journal SET recorded_seconds = 'soon' WHERE question_number = 1"))
        #expect(type.code == .storeCorrupt)
        #expect(type.message.contains("recorded_seconds"))
        // A journal that reads but does not replay (an answer to another challenge): a mismatch.
        let swapped = try #require(try await Self.damaged("""
            UPDATE answer_journal SET challenge_id = (SELECT challenge_id FROM answer_journal WHERE question_number = 1)
            WHERE question_number = 3
            """))
        #expect(swapped.code == .recoveryMismatch)
    }
}
