import Foundation
import Testing
import CertCore
@testable import CertStore

@Suite struct RecoveryTests {
    @Test func recoveryReturnsExactlyTheUnscoredAssessmentsWithOrderedJournals() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let writer = try ResultWriter(path: path)
        try await Fixture.seed(writer, assessments: 1..<4)

        // a1: scored. a2: five answers, appended out of question order, one validated and one
        // dismissed live alert, one companion alert. a3: started, no answer yet.
        for question in 1...3 { try await writer.submit(.answer(Fixture.answer(1, question))) }
        #expect(await storeErrorCode { try await writer.submit(.result(Fixture.result(1, code: "P-2346789B"))) } == nil)
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
        try await writer.close()

        let reader = try StoreReader(path: path)
        let snapshot = try reader.recover()
        #expect(snapshot.sessions == [Fixture.session])
        #expect(snapshot.candidates == [Fixture.candidate(1), Fixture.candidate(2), Fixture.candidate(3)])
        #expect(snapshot.inProgressAssessments.map(\.assessment) == [Fixture.assessment(2), Fixture.assessment(3)])

        let a2 = snapshot.inProgressAssessments[0]
        let expectedJournal = (1...5).map { Fixture.answer(2, $0, result: $0 % 2 == 0 ? "ko" : "ok") }
        #expect(a2.answers == expectedJournal)
        #expect(a2.validatedLiveAlertChallengeIds == ["ch-x"])
        #expect(snapshot.inProgressAssessments[1].answers.isEmpty)
        #expect(snapshot.inProgressAssessments[1].validatedLiveAlertChallengeIds.isEmpty)

        // Every assessment, the scored one included, by session, candidate, start time.
        #expect(try reader.assessments() == [Fixture.assessment(1), Fixture.assessment(2), Fixture.assessment(3)])
        #expect(try reader.countResults() == 1)
        #expect(try reader.countAnswers() == 8)
        #expect(try reader.countAnswers(assessmentId: "a2") == 5)
        #expect(try reader.alerts(ofAssessment: "a2").map(\.status) == ["validated", "dismissed", "cleared"])
        #expect(try reader.result(assessmentId: "a1")?.competenceLevels == ["1.1": 3, "2.4": 4])
        #expect(reader.fileSizeBytes() > 0)
    }

}
