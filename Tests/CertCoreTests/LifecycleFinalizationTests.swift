import Testing
@testable import CertCore

/// Expects `Finalization.plan` to refuse with `code`; returns the message.
@discardableResult
func expectFinalizationRefusal(
    _ code: ErrorCode, session: SessionState, candidates: [CandidateState],
    abortReasons: [String: AbortReason], sourceLocation: SourceLocation = #_sourceLocation
) -> String {
    do {
        _ = try Finalization.plan(session: session, candidates: candidates, abortReasons: abortReasons, nowSeconds: 7_000)
        Issue.record("expected \(code.rawValue)", sourceLocation: sourceLocation)
        return ""
    } catch {
        #expect(error.code == code, sourceLocation: sourceLocation)
        return error.message
    }
}

@Suite("Lifecycle: finalisation")
struct LifecycleFinalizationTests {
    /// C1 completed, C2 started, C3 ended by the invigilator with a recorded reason, C4 enrolled,
    /// C5 authorised but not started, C6 out of time.
    func mixedSession() throws -> (SessionState, [CandidateState]) {
        let session = try startedSession()
        var c3 = try makeCandidate(in: .endedByInvigilator, id: "C3")
        try c3.setAbortReason(.candidate)
        return (session, [
            try makeCandidate(in: .completed, id: "C1"),
            try makeCandidate(in: .started, id: "C2"),
            c3,
            try makeCandidate(in: .enrolled, id: "C4"),
            try makeCandidate(in: .authorizedToStart, id: "C5"),
            try makeCandidate(in: .endedDueToDurationExceeded, id: "C6"),
        ])
    }

    @Test func finalisationPlansTheScoringOfEveryUnfinishedTest() throws {
        let (session, candidates) = try mixedSession()
        let plan = try Finalization.plan(session: session, candidates: candidates,
                                         abortReasons: ["C2": .technical, "C6": .candidate], nowSeconds: 7_000)
        #expect(plan.session.status == .finalized)
        #expect(plan.session.finalizedSeconds == 7_000)
        #expect(plan.toScore == [
            ScoringOrder(candidateId: "C2", abortReason: .technical, finalStatus: .endedDueToFinalization),
            ScoringOrder(candidateId: "C3", abortReason: .candidate, finalStatus: .endedByInvigilator),
            ScoringOrder(candidateId: "C6", abortReason: .candidate, finalStatus: .endedDueToDurationExceeded),
        ])
        #expect(plan.absentCandidateIds == ["C4", "C5"])
        #expect(plan.candidates.map(\.id) == ["C1", "C2", "C3", "C4", "C5", "C6"])
        let c2 = plan.candidates[1]
        #expect(c2.status == .endedDueToFinalization)
        #expect(c2.abortReason == .technical)
        #expect(c2.endedSeconds == 7_000)
        #expect(plan.candidates[0] == candidates[0])        // completed: untouched
        #expect(plan.candidates[3] == candidates[3])        // absent: untouched
        #expect(plan.candidates[5].abortReason == .candidate)
    }

    @Test func missingAbortReasonsAreNamed() throws {
        let (session, candidates) = try mixedSession()
        let message = expectFinalizationRefusal(.finalizationMissingAbortReason, session: session,
                                                candidates: candidates, abortReasons: [:])
        #expect(message.hasSuffix("C2, C6."))
        #expect(!message.contains("C3"))   // recorded earlier
    }

    @Test func aReasonGivenAtFinalisationWinsOverARecordedOne() throws {
        let (session, candidates) = try mixedSession()
        let plan = try Finalization.plan(session: session, candidates: candidates,
                                         abortReasons: ["C2": .technical, "C3": .technical, "C6": .technical],
                                         nowSeconds: 7_000)
        #expect(plan.toScore.first { $0.candidateId == "C3" }?.abortReason == .technical)
        #expect(plan.candidates[2].abortReason == .technical)
    }

    @Test func reasonForAnUnknownCandidateIsRefused() throws {
        let (session, candidates) = try mixedSession()
        let message = expectFinalizationRefusal(.finalizationUnknownCandidate, session: session, candidates: candidates,
                                                abortReasons: ["C2": .technical, "C6": .technical, "C99": .candidate])
        #expect(message.contains("C99"))
    }

    @Test(arguments: ["C1", "C4", "C5"])
    func reasonForACompletedOrAbsentCandidateIsRefused(id: String) throws {
        let (session, candidates) = try mixedSession()
        expectFinalizationRefusal(.finalizationUnexpectedAbortReason, session: session, candidates: candidates,
                                  abortReasons: ["C2": .technical, "C6": .technical, id: .candidate])
    }

    @Test func candidateOfAnotherSessionIsRefused() throws {
        let (session, candidates) = try mixedSession()
        expectFinalizationRefusal(.candidateNotInSession, session: session,
                                  candidates: candidates + [CandidateState(id: "X1", sessionId: "S2")],
                                  abortReasons: ["C2": .technical, "C6": .technical])
    }

    @Test func duplicateCandidateIsRefused() throws {
        let (session, candidates) = try mixedSession()
        expectFinalizationRefusal(.finalizationDuplicateCandidate, session: session,
                                  candidates: candidates + [candidates[0]],
                                  abortReasons: ["C2": .technical, "C6": .technical])
    }

    @Test(arguments: [(SessionStatus.finalized, ErrorCode.sessionAlreadyFinalized),
                      (.inProcess, .sessionAlreadyFinalized), (.processed, .sessionAlreadyPublished)])
    func finalisingAClosedSessionIsRefused(status: SessionStatus, code: ErrorCode) throws {
        expectFinalizationRefusal(code, session: try makeSession(in: status), candidates: [], abortReasons: [:])
    }

    /// DESIGN §3.6: finalisation needs at least one started certification.
    @Test func aSessionWhereNobodyStartedIsNotFinalised() throws {
        expectFinalizationRefusal(.finalizationNoStartedCandidate, session: try makeSession(), candidates: [],
                                  abortReasons: [:])
        let (session, candidates) = try mixedSession()
        let neverStarted = candidates.filter { !$0.status.hasStarted }
        try #require(!neverStarted.isEmpty)
        expectFinalizationRefusal(.finalizationNoStartedCandidate, session: session, candidates: neverStarted,
                                  abortReasons: [:])
    }

    @Test func noOneStartsAfterFinalisation() throws {
        let (session, candidates) = try mixedSession()
        let plan = try Finalization.plan(session: session, candidates: candidates,
                                         abortReasons: ["C2": .technical, "C6": .candidate], nowSeconds: 7_000)
        let c5 = plan.candidates[4]   // authorised to start before finalisation
        expectRefusal(plan.session, .sessionAlreadyFinalized) { (s: inout SessionState) throws(LifecycleError) in
            var c = c5
            try s.start(&c, nowSeconds: 7_001)
        }
    }
}
