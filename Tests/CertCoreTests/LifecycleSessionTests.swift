import Foundation
import Testing
@testable import CertCore

func makeSession(id: String = "S1") -> SessionState {
    SessionState(id: id, accessCode: "BCDF23", centre: "Lycée Hoche", name: "Matin")
}

/// A session already started by one candidate at `firstStartSeconds`.
func startedSession(firstStartSeconds: Double = 100) throws -> SessionState {
    var session = makeSession()
    var first = CandidateState(id: "C0", sessionId: session.id)
    try first.authorizeToStart(nowSeconds: firstStartSeconds)
    try session.start(&first, nowSeconds: firstStartSeconds)
    return session
}

func makeSession(in status: SessionStatus) throws -> SessionState {
    var session = makeSession()
    switch status {
    case .created: return session
    case .started: return try startedSession()
    case .finalized: try session.finalize(nowSeconds: 1)
    case .inProcess:
        try session.finalize(nowSeconds: 1)
        try session.beginProcessing()
    case .processed:
        try session.finalize(nowSeconds: 1)
        try session.publish(nowSeconds: 2)
    }
    return session
}

@Suite("Lifecycle: session")
struct LifecycleSessionTests {
    @Test func constantsMatchTheRules() {
        #expect(SessionState.defaultNominalDurationSeconds == 6_300)   // 105 min
        #expect(SessionState.expirySeconds == 86_400)                   // 24 h
    }

    @Test func newSessionIsCreated() {
        let session = makeSession()
        #expect(session.status == .created)
        #expect(session.firstStartSeconds == nil)
        #expect(session.expiresAtSeconds == nil)
        #expect(session.nominalDurationSeconds == 6_300)
        #expect(session.centre == "Lycée Hoche")
        #expect(!session.isExpired(nowSeconds: 1e9))
        #expect(session.acceptsScoring)
    }

    @Test func firstCandidateStartStartsTheSession() throws {
        var session = makeSession()
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try session.authorize(&candidate, nowSeconds: 10)
        let kind = try session.start(&candidate, nowSeconds: 70)
        #expect(kind == .firstStart)
        #expect(session.status == .started)
        #expect(session.firstStartSeconds == 70)
        #expect(session.expiresAtSeconds == 86_470.0)   // 70 s + 24 h
        #expect(candidate.status == .started)
    }

    @Test func laterStartsKeepTheFirstStartTime() throws {
        var session = try startedSession(firstStartSeconds: 100)
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try session.authorize(&candidate, nowSeconds: 500)
        try session.start(&candidate, nowSeconds: 600)
        #expect(session.firstStartSeconds == 100)
        #expect(session.status == .started)
    }

    @Test func expiresExactly24HoursAfterFirstStart() throws {
        let session = try startedSession(firstStartSeconds: 100)
        #expect(!session.isExpired(nowSeconds: 100 + 86_399.5))
        #expect(session.isExpired(nowSeconds: 100 + 86_400))
    }

    @Test func startAfterExpiryIsRefusedAndChangesNothing() throws {
        var session = try startedSession(firstStartSeconds: 0)
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try candidate.authorizeToStart(nowSeconds: 86_350)
        let before = (session, candidate)
        do {
            try session.start(&candidate, nowSeconds: 86_400)
            Issue.record("start after expiry accepted")
        } catch {
            #expect(error.code == .sessionExpired)
        }
        #expect(session == before.0)
        #expect(candidate == before.1)
    }

    @Test func authoriseAfterExpiryIsRefused() throws {
        let session = try startedSession(firstStartSeconds: 0)
        expectRefusal(CandidateState(id: "C1", sessionId: "S1"), .sessionExpired) { (candidate: inout CandidateState) throws(LifecycleError) in
            try session.authorize(&candidate, nowSeconds: 90_000)
        }
    }

    @Test func resumeAfterExpiryIsRefused() throws {
        var session = makeSession()
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try session.authorize(&candidate, nowSeconds: 0)
        try session.start(&candidate, nowSeconds: 0)
        try candidate.authorizeToResume(nowSeconds: 86_399)
        let frozen = session
        expectRefusal(candidate, .sessionExpired) { (candidate: inout CandidateState) throws(LifecycleError) in
            var copy = frozen
            try copy.start(&candidate, nowSeconds: 86_400)
        }
    }

    @Test func candidateRefusalLeavesTheSessionUntouched() {
        var session = makeSession()
        var candidate = CandidateState(id: "C1", sessionId: "S1")   // not authorised
        do {
            try session.start(&candidate, nowSeconds: 5)
            Issue.record("unauthorised start accepted")
        } catch {
            #expect(error.code == .candidateNotAuthorized)
        }
        #expect(session == makeSession())
        #expect(candidate == CandidateState(id: "C1", sessionId: "S1"))
    }

    @Test func candidateOfAnotherSessionIsRefused() throws {
        var candidate = CandidateState(id: "C1", sessionId: "S2")
        try candidate.authorizeToStart(nowSeconds: 0)
        expectRefusal(makeSession(), .candidateNotInSession) { (session: inout SessionState) throws(LifecycleError) in
            var c = candidate
            try session.start(&c, nowSeconds: 1)
        }
        expectRefusal(CandidateState(id: "C1", sessionId: "S2"), .candidateNotInSession) { (c: inout CandidateState) throws(LifecycleError) in
            try makeSession().authorize(&c, nowSeconds: 1)
        }
    }

    @Test(arguments: [(SessionStatus.finalized, ErrorCode.sessionAlreadyFinalized),
                      (.inProcess, .sessionAlreadyFinalized), (.processed, .sessionAlreadyPublished)])
    func noStartOnceFinalised(status: SessionStatus, code: ErrorCode) throws {
        let closed = try makeSession(in: status)
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try candidate.authorizeToStart(nowSeconds: 0)
        expectRefusal(closed, code) { (session: inout SessionState) throws(LifecycleError) in
            var c = candidate
            try session.start(&c, nowSeconds: 1)
        }
        expectRefusal(CandidateState(id: "C2", sessionId: "S1"), code) { (c: inout CandidateState) throws(LifecycleError) in
            try closed.authorize(&c, nowSeconds: 1)
        }
    }

    @Test(arguments: [SessionStatus.created, .started])
    func finalizeOpenSession(status: SessionStatus) throws {
        var session = try makeSession(in: status)
        try session.finalize(nowSeconds: 7_000)
        #expect(session.status == .finalized)
        #expect(session.finalizedSeconds == 7_000)
    }

    @Test(arguments: [(SessionStatus.finalized, ErrorCode.sessionAlreadyFinalized),
                      (.inProcess, .sessionAlreadyFinalized), (.processed, .sessionAlreadyPublished)])
    func finalizeTwiceIsRefused(status: SessionStatus, code: ErrorCode) throws {
        expectRefusal(try makeSession(in: status), code) { (s: inout SessionState) throws(LifecycleError) in
            try s.finalize(nowSeconds: 9)
        }
    }

    @Test func beginProcessingAfterFinalisation() throws {
        var session = try makeSession(in: .finalized)
        try session.beginProcessing()
        #expect(session.status == .inProcess)
    }

    @Test(arguments: [(SessionStatus.created, ErrorCode.sessionNotFinalized),
                      (.started, .sessionNotFinalized), (.inProcess, .sessionAlreadyInProcess),
                      (.processed, .sessionAlreadyPublished)])
    func beginProcessingRefusals(status: SessionStatus, code: ErrorCode) throws {
        expectRefusal(try makeSession(in: status), code) { (s: inout SessionState) throws(LifecycleError) in
            try s.beginProcessing()
        }
    }

    @Test(arguments: [SessionStatus.finalized, .inProcess])
    func publishAfterFinalisation(status: SessionStatus) throws {
        var session = try makeSession(in: status)
        try session.publish(nowSeconds: 10_000)
        #expect(session.status == .processed)
        #expect(session.publishedSeconds == 10_000)
        #expect(!session.acceptsScoring)
    }

    @Test(arguments: [(SessionStatus.created, ErrorCode.sessionNotFinalized),
                      (.started, .sessionNotFinalized), (.processed, .sessionAlreadyPublished)])
    func publishRefusals(status: SessionStatus, code: ErrorCode) throws {
        expectRefusal(try makeSession(in: status), code) { (s: inout SessionState) throws(LifecycleError) in
            try s.publish(nowSeconds: 11)
        }
    }

    @Test func scoringAllowedUntilPublication() throws {
        for status in SessionStatus.allCases {
            #expect(try makeSession(in: status).acceptsScoring == (status != .processed), "\(status)")
        }
    }

    @Test func restoringKeepsStoredFields() {
        let session = SessionState(
            restoring: "S9", accessCode: "BCDF23", centre: nil, name: nil,
            nominalDurationSeconds: 5_400, status: .started, firstStartSeconds: 42,
            finalizedSeconds: nil, publishedSeconds: nil)
        #expect(session.status == .started)
        #expect(session.firstStartSeconds == 42)
        #expect(session.nominalDurationSeconds == 5_400)
        #expect(session.isExpired(nowSeconds: 42 + 86_400))
    }

    @Test func statusRawValuesAreTheStoredOnes() throws {
        #expect(SessionStatus.inProcess.rawValue == "in_process")
        let session = try makeSession(in: .inProcess)
        let decoded = try JSONDecoder().decode(SessionState.self, from: JSONEncoder().encode(session))
        #expect(decoded == session)
    }
}
