import Foundation
import GRDB
import Testing
import CertCore
@testable import CertStore

@Suite struct ResultWriterTests {
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
