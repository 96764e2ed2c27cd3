import Foundation
import Testing
import CertCore
@testable import CertStore

/// What the SQLite reader gives beyond the store contract (``StoreContract``, run on both
/// engines): an assessment's alerts, one result, and the file's size.
@Suite struct RecoveryTests {
    @Test func theFileReaderGivesAlertsOneResultAndItsSize() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<3)
        try await writer.submit(.result(Fixture.result(1, code: "P-2346789B")))
        try await writer.submit(.alert(AlertRecord(id: "al1", assessmentId: "a2", kind: .live, challengeId: "ch-x",
                                                 status: "validated", createdSeconds: 1_001, resolvedSeconds: 1_010)))
        try await writer.submit(.alert(AlertRecord(id: "al3", assessmentId: "a2", kind: .companion, challengeId: nil,
                                                 status: "cleared", createdSeconds: 1_004)))
        try await writer.submit(.alert(AlertRecord(id: "al2", assessmentId: "a2", kind: .live, challengeId: "ch-y",
                                                 status: "dismissed", createdSeconds: 1_002, resolvedSeconds: 1_003)))
        try await writer.close()

        let reader = try StoreReader(path: path)
        // Ordered by creation time, whatever the order written.
        #expect(try reader.alerts(ofAssessment: "a2").map(\.status) == ["validated", "dismissed", "cleared"])
        #expect(try reader.result(assessmentId: "a1")?.competenceLevels == ["1.1": 3, "2.4": 4])
        #expect(try reader.result(assessmentId: "a2") == nil)
        #expect(reader.fileSizeBytes() > 0)
    }
}
