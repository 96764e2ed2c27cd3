import Foundation
import GRDB
import Testing
import CertCore
@testable import CertStore

@Suite struct ResultWriterTests {
    @Test func concurrentAppendsAreAllCommittedExactlyOnceInFewerCommits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        let assessments = 50, questions = 20
        try await Fixture.seed(writer, assessments: 0..<assessments)
        let before = await writer.stats()

        let acknowledged = try await withThrowingTaskGroup(of: Void.self, returning: Int.self) { group in
            for assessment in 0..<assessments {
                for question in 1...questions {
                    group.addTask { try await writer.submit(.answer(Fixture.answer(assessment, question))) }
                }
            }
            var count = 0
            for try await _ in group { count += 1 }
            return count
        }
        #expect(acknowledged == 1_000)

        let after = await writer.stats()
        #expect(after.rowsCommitted - before.rowsCommitted == 1_000)
        #expect(after.commits - before.commits < 1_000)
        #expect(after.rowsRefused == 0 && after.rowsFailed == 0 && after.isHealthy)

        // Every (assessment, question) exactly once, read through a second connection.
        let check = try DatabaseQueue(path: path)
        let rows = try await check.read { db in
            try Row.fetchAll(db, sql: "SELECT assessment_id, question_number FROM answers")
                .map { "\($0["assessment_id"] as String)#\($0["question_number"] as Int)" }
        }
        var expected: Set<String> = []
        for assessment in 0..<assessments { for question in 1...questions { expected.insert("a\(assessment)#\(question)") } }
        #expect(rows.count == 1_000)
        #expect(Set(rows) == expected)
        try await writer.close()
    }

    @Test func acknowledgedAnswerIsVisibleToASecondConnectionWhileTheWriterIsOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<2)
        try await writer.submit(.answer(Fixture.answer(1, 1, result: "ko")))

        // Opened after the acknowledgement, while the writer still holds the file.
        let reader = try StoreReader(path: path)
        #expect(try reader.answers(ofAssessment: "a1") == [Fixture.answer(1, 1, result: "ko")])
        try await writer.close()
    }

    @Test func duplicateAnswerIsRefusedAndItsBatchMatesCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<2)
        try await writer.submit(.answer(Fixture.answer(1, 1)))

        #expect(await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, 1, result: "ko"))) }
                == ErrorCode.storeDuplicateAnswer)

        // A duplicate among concurrent appends fails alone.
        let codes = await withTaskGroup(of: ErrorCode?.self, returning: [ErrorCode?].self) { group in
            for question in 1...11 {
                group.addTask { await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, question))) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes.filter { $0 == ErrorCode.storeDuplicateAnswer }.count == 1)
        #expect(codes.filter { $0 == nil }.count == 10)

        let reader = try StoreReader(path: path)
        #expect(try reader.answers(ofAssessment: "a1").map(\.questionNumber) == Array(1...11))
        #expect(try reader.answers(ofAssessment: "a1").first?.result == "ok")
        try await writer.close()
    }

    @Test func answerToAnUnknownAssessmentIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try ResultWriter(path: directory.file("store.sqlite"))
        #expect(await storeErrorCode { try await writer.submit(.answer(Fixture.answer(9, 1))) } == ErrorCode.storeUnknownReference)
        #expect(await storeErrorCode {
            try await writer.submit(.assessmentStatus(assessmentId: "a9", status: "completed"))
        } == ErrorCode.storeUnknownReference)
        #expect(await writer.isHealthy)
        try await writer.close()
    }

    @Test func oneRequestsRowsCommitTogetherOrNotAtAll() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<3)
        // The second row is refused: the first one of the same request goes with it.
        #expect(await storeErrorCode {
            try await writer.submit([.answer(Fixture.answer(1, 1)), .answer(Fixture.answer(1, 1))])
        } == ErrorCode.storeDuplicateAnswer)
        // Another request queued beside it is not touched.
        try await writer.submit([.answer(Fixture.answer(2, 1)), .answer(Fixture.answer(2, 2)),
                                 .assessmentStatus(assessmentId: "a2", status: "completed")])
        let reader = try StoreReader(path: path)
        #expect(try reader.countAnswers(assessmentId: "a1") == 0)
        #expect(try reader.countAnswers(assessmentId: "a2") == 2)
        #expect(await writer.isHealthy)
        try await writer.close()
    }

    @Test func verificationCodeCollisionIsReportedDistinctly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<3)

        #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(1, code: "P-23467BCD"))) } == nil)
        #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(2, code: "P-23467BCD"))) } == ErrorCode.storeVerificationCodeTaken)
        #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(2, code: "P-89BCDFGH"))) } == nil)
        #expect(await storeErrorCode { _ = try await writer.submit(.result(Fixture.result(1, code: "P-MPQRTVWX"))) }
                == ErrorCode.storeDuplicateResult)

        let reader = try StoreReader(path: path)
        #expect(try reader.result(verificationCode: "P-23467BCD") == Fixture.result(1, code: "P-23467BCD"))
        #expect(try reader.result(verificationCode: "P-89BCDFGH")?.assessmentId == "a2")
        #expect(try reader.result(verificationCode: "P-MPQRTVWX") == nil)
        #expect(try reader.results().map(\.assessmentId) == ["a1", "a2"])
        try await writer.close()
    }

    @Test func failedCommitMakesTheWriterUnhealthyForEveryLaterAppend() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<2)
        try await writer.submit(.answer(Fixture.answer(1, 1)))

        // Pull the table from under the writer through a second connection: its next
        // commit fails with "no such table", which is not a per-row refusal.
        let saboteur = try DatabaseQueue(path: path)
        try await saboteur.write { db in try db.execute(sql: "DROP TABLE answer_journal") }
        try saboteur.close()

        let codes = await withTaskGroup(of: ErrorCode?.self, returning: [ErrorCode?].self) { group in
            for question in 2...21 {
                group.addTask { await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, question))) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes.count == 20)
        #expect(codes.allSatisfy { $0 == ErrorCode.storeUnhealthy })
        #expect(await !writer.isHealthy)
        #expect(await writer.lastFailure?.message.contains(path) == true)
        // Later calls of every kind fail the same way, fast.
        #expect(await storeErrorCode { try await writer.submit(.answer(Fixture.answer(1, 30))) } == ErrorCode.storeUnhealthy)
        #expect(await storeErrorCode { try await writer.submit(.session(Fixture.session)) } == ErrorCode.storeUnhealthy)
        #expect(await storeErrorCode { try await writer.flush() } == ErrorCode.storeUnhealthy)
        let stats = await writer.stats()
        #expect(!stats.isHealthy && stats.rowsFailed == 20)
        #expect(await storeErrorCode { try await writer.close() } == ErrorCode.storeUnhealthy)
    }

    @Test func relaxedModeAcknowledgesOnQueueingAndFlushCommits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path, configuration: .init(durability: .relaxed))
        try await Fixture.seed(writer, assessments: 1..<2)
        for question in 1...32 { try await writer.submit(.answer(Fixture.answer(1, question))) }
        try await writer.flush()
        #expect(try StoreReader(path: path).countAnswers(assessmentId: "a1") == 32)
        try await writer.close()
    }

    @Test func fullQueueFailsFastWithRetryableBusy() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        var configuration = ResultWriter.Configuration(durability: .relaxed)
        configuration.pendingRowsMax = 4
        configuration.batchRowsMax = 8
        // Long enough that no second commit starts before close(): after the first commit
        // the queue only grows, so it must fill (the first batch holds at most 4 rows).
        configuration.commitIntervalMicroseconds = 60_000_000
        let writer = try ResultWriter(path: path, configuration: configuration)
        try await writer.submit(.session(Fixture.session))

        var accepted = 0
        var busy: StoreError?
        for index in 1...12 {
            do throws(StoreError) {
                try await writer.submit(.candidate(Fixture.candidate(index)))
                accepted += 1
            } catch {
                #expect(error.code == ErrorCode.storeBusy)
                busy = error
            }
        }
        #expect(busy?.isRetryable == true)
        #expect(accepted < 12)
        try await writer.close() // flushes without waiting out the interval
        #expect(try StoreReader(path: path).recover().candidates.count == accepted)
    }

    @Test func closedWriterRefusesWrites() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try ResultWriter(path: directory.file("store.sqlite"))
        try await writer.close()
        #expect(await storeErrorCode { try await writer.submit(.session(Fixture.session)) } == ErrorCode.storeClosed)
    }

    @Test func statusChangesAreStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
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
        let snapshot = try StoreReader(path: path).recover()
        #expect(snapshot.sessions == [session])
        #expect(snapshot.candidates.first?.status == "endedDueToFinalization")
        #expect(snapshot.candidates.first?.abortReason == "technical")
        #expect(snapshot.inProgressAssessments.first?.assessment.status == "endedDueToFinalization")
        try await writer.close()
    }

    @Test func latencyPercentilesMatchANaiveNearestRank() {
        var window = CommitLatencyWindow(capacity: 100)
        // 150 samples; the window keeps the last 100: 51...150 scrambled.
        let samples = (1...150).map { ($0 * 37) % 151 }
        for sample in samples { window.record(sample) }
        let kept = Array(samples.suffix(100)).sorted()
        // Nearest rank over 100 samples: p50 is the 50th smallest, p99 the 99th.
        #expect(window.percentile(0.50) == kept[49])
        #expect(window.percentile(0.99) == kept[98])
        #expect(window.percentile(1.0) == kept[99])
        #expect(CommitLatencyWindow(capacity: 4).percentile(0.5) == 0)
    }
}
