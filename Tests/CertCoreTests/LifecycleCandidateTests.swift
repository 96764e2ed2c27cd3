import Foundation
import Testing
@testable import CertCore

/// A candidate brought to `status` through the real transitions (started at 100 s).
func makeCandidate(in status: CandidateStatus, id: String = "C1") throws -> CandidateState {
    var candidate = CandidateState(id: id, sessionId: "S1")
    if status == .enrolled { return candidate }
    try candidate.authorizeToStart(nowSeconds: 50)
    if status == .authorizedToStart { return candidate }
    try candidate.start(nowSeconds: 100)
    switch status {
    case .enrolled, .authorizedToStart, .started: break
    case .completed: try candidate.complete(nowSeconds: 5_000)
    case .endedByInvigilator: try candidate.endByInvigilator(nowSeconds: 5_000)
    case .endedDueToFinalization: try candidate.endDueToFinalization(abortReason: .technical, nowSeconds: 5_000)
    case .endedDueToDurationExceeded:
        try candidate.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 6_400)
    }
    return candidate
}

let endedStatuses: [CandidateStatus] = [.endedByInvigilator, .endedDueToFinalization, .endedDueToDurationExceeded]

/// The code a transition on a test that is over must give.
func overCode(_ status: CandidateStatus) -> ErrorCode {
    status == .completed ? .candidateAlreadyCompleted : .candidateAlreadyEnded
}

@Suite("Lifecycle: candidate")
struct LifecycleCandidateTests {
    @Test func authorisationIsValidFifteenMinutes() {
        #expect(CandidateAuthorization.validitySeconds == 900)
        let authorization = CandidateAuthorization(purpose: .start, grantedAtSeconds: 1_000)
        #expect(authorization.expiresAtSeconds == 1_900)
        #expect(authorization.isValid(nowSeconds: 1_899.5))
        #expect(!authorization.isValid(nowSeconds: 1_900))
    }

    @Test func newCandidateIsEnrolled() {
        let candidate = CandidateState(id: "C1", sessionId: "S1")
        #expect(candidate.status == .enrolled)
        #expect(candidate.authorization == nil)
        #expect(candidate.startCount == 0)
        #expect(!candidate.status.hasStarted && !candidate.status.isOver)
    }

    // MARK: authorise to start

    @Test func authoriseToStart() throws {
        var candidate = CandidateState(id: "C1", sessionId: "S1")
        try candidate.authorizeToStart(nowSeconds: 30)
        #expect(candidate.status == .authorizedToStart)
        #expect(candidate.authorization == CandidateAuthorization(purpose: .start, grantedAtSeconds: 30))
    }

    @Test func authorisingAgainRefreshesTheWindow() throws {
        var candidate = try makeCandidate(in: .authorizedToStart)
        try candidate.authorizeToStart(nowSeconds: 2_000)
        #expect(candidate.authorization?.grantedAtSeconds == 2_000)
        try candidate.start(nowSeconds: 2_800)
        #expect(candidate.status == .started)
    }

    @Test func authoriseToStartWhenStartedIsRefused() throws {
        expectRefusal(try makeCandidate(in: .started), .candidateAlreadyStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.authorizeToStart(nowSeconds: 200)
        }
    }

    @Test(arguments: [CandidateStatus.completed] + endedStatuses)
    func authoriseWhenOverIsRefused(status: CandidateStatus) throws {
        let candidate = try makeCandidate(in: status)
        expectRefusal(candidate, overCode(status)) { (c: inout CandidateState) throws(LifecycleError) in
            try c.authorizeToStart(nowSeconds: 9_000)
        }
        expectRefusal(candidate, overCode(status)) { (c: inout CandidateState) throws(LifecycleError) in
            try c.authorizeToResume(nowSeconds: 9_000)
        }
        expectRefusal(candidate, overCode(status)) { (c: inout CandidateState) throws(LifecycleError) in
            try c.authorize(nowSeconds: 9_000)
        }
    }

    // MARK: start

    @Test func startWithValidAuthorisation() throws {
        var candidate = try makeCandidate(in: .authorizedToStart)   // authorised at 50
        let kind = try candidate.start(nowSeconds: 50 + 899.5)
        #expect(kind == .firstStart)
        #expect(candidate.status == .started)
        #expect(candidate.firstStartSeconds == 949.5)
        #expect(candidate.lastStartSeconds == 949.5)
        #expect(candidate.startCount == 1)
        #expect(candidate.authorization == nil)          // used up
        #expect(candidate.isInProgress)
    }

    @Test func startWithoutAuthorisationIsRefused() {
        expectRefusal(CandidateState(id: "C1", sessionId: "S1"), .candidateNotAuthorized) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 10)
        }
    }

    @Test func startAfterFifteenMinutesIsRefused() throws {
        expectRefusal(try makeCandidate(in: .authorizedToStart), .authorizationExpired) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 50 + 900)
        }
    }

    @Test func authorisationIsUsedUpByTheStart() throws {
        expectRefusal(try makeCandidate(in: .started), .candidateNotAuthorized) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 200)
        }
    }

    @Test(arguments: [CandidateStatus.completed] + endedStatuses)
    func startWhenOverIsRefused(status: CandidateStatus) throws {
        expectRefusal(try makeCandidate(in: status), overCode(status)) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 9_000)
        }
    }

    // MARK: resume

    @Test func resumeAfterFreshAuthorisation() throws {
        var candidate = try makeCandidate(in: .started)   // started at 100
        try candidate.authorizeToResume(nowSeconds: 1_000)
        #expect(candidate.isAuthorizedToResume)
        #expect(candidate.status == .started)
        let kind = try candidate.start(nowSeconds: 1_200)
        #expect(kind == .resume)
        #expect(candidate.firstStartSeconds == 100)
        #expect(candidate.lastStartSeconds == 1_200)
        #expect(candidate.startCount == 2)
        #expect(candidate.authorization == nil)
        #expect(!candidate.isAuthorizedToResume)
    }

    @Test func everyResumeNeedsItsOwnAuthorisation() throws {
        var candidate = try makeCandidate(in: .started)
        try candidate.authorizeToResume(nowSeconds: 1_000)
        try candidate.start(nowSeconds: 1_100)
        expectRefusal(candidate, .candidateNotAuthorized) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 1_200)
        }
    }

    @Test func resumeAfterFifteenMinutesIsRefused() throws {
        var candidate = try makeCandidate(in: .started)
        try candidate.authorizeToResume(nowSeconds: 1_000)
        expectRefusal(candidate, .authorizationExpired) { (c: inout CandidateState) throws(LifecycleError) in
            try c.start(nowSeconds: 1_900)
        }
    }

    @Test(arguments: [CandidateStatus.enrolled, .authorizedToStart])
    func authoriseToResumeBeforeStartIsRefused(status: CandidateStatus) throws {
        expectRefusal(try makeCandidate(in: status), .candidateNotStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.authorizeToResume(nowSeconds: 60)
        }
    }

    @Test func authoriseChoosesStartOrResume() throws {
        var enrolled = CandidateState(id: "C1", sessionId: "S1")
        try enrolled.authorize(nowSeconds: 10)
        #expect(enrolled.authorization?.purpose == .start)
        #expect(enrolled.status == .authorizedToStart)
        var started = try makeCandidate(in: .started)
        try started.authorize(nowSeconds: 500)
        #expect(started.authorization?.purpose == .resume)
        #expect(started.status == .started)
    }

    // MARK: complete

    @Test func completeAStartedTest() throws {
        var candidate = try makeCandidate(in: .started)
        try candidate.authorizeToResume(nowSeconds: 300)   // pending authorisation is dropped
        try candidate.complete(nowSeconds: 4_000)
        #expect(candidate.status == .completed)
        #expect(candidate.endedSeconds == 4_000)
        #expect(candidate.authorization == nil)
        #expect(candidate.abortReason == nil)
        #expect(candidate.status.isOver)
    }

    @Test(arguments: [CandidateStatus.enrolled, .authorizedToStart])
    func endingBeforeStartIsRefused(status: CandidateStatus) throws {
        let candidate = try makeCandidate(in: status)
        expectRefusal(candidate, .candidateNotStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.complete(nowSeconds: 1)
        }
        expectRefusal(candidate, .candidateNotStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endByInvigilator(abortReason: .candidate, nowSeconds: 1)
        }
        expectRefusal(candidate, .candidateNotStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endDueToFinalization(abortReason: .technical, nowSeconds: 1)
        }
        expectRefusal(candidate, .candidateNotStarted) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 99_999)
        }
    }

    @Test(arguments: [CandidateStatus.completed] + endedStatuses)
    func endingTwiceIsRefused(status: CandidateStatus) throws {
        let candidate = try makeCandidate(in: status)
        let code = overCode(status)
        expectRefusal(candidate, code) { (c: inout CandidateState) throws(LifecycleError) in
            try c.complete(nowSeconds: 9_000)
        }
        expectRefusal(candidate, code) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endByInvigilator(nowSeconds: 9_000)
        }
        expectRefusal(candidate, code) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endDueToFinalization(abortReason: .candidate, nowSeconds: 9_000)
        }
        expectRefusal(candidate, code) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 99_999)
        }
    }

    // MARK: end by invigilator, finalisation, duration

    @Test func endByInvigilatorWithAndWithoutReason() throws {
        var withReason = try makeCandidate(in: .started)
        try withReason.endByInvigilator(abortReason: .candidate, nowSeconds: 3_000)
        #expect(withReason.status == .endedByInvigilator)
        #expect(withReason.abortReason == .candidate)
        #expect(withReason.endedSeconds == 3_000)
        var withoutReason = try makeCandidate(in: .started)
        try withoutReason.endByInvigilator(nowSeconds: 3_000)
        #expect(withoutReason.status == .endedByInvigilator)
        #expect(withoutReason.abortReason == nil)
    }

    @Test func endDueToFinalization() throws {
        var candidate = try makeCandidate(in: .started)
        try candidate.endDueToFinalization(abortReason: .technical, nowSeconds: 6_000)
        #expect(candidate.status == .endedDueToFinalization)
        #expect(candidate.abortReason == .technical)
        #expect(candidate.endedSeconds == 6_000)
    }

    @Test func endDueToDurationExceededAtTheLimit() throws {
        var candidate = try makeCandidate(in: .started)   // first start at 100
        try candidate.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 6_400)
        #expect(candidate.status == .endedDueToDurationExceeded)
        #expect(candidate.endedSeconds == 6_400)
    }

    @Test func endDueToDurationBeforeTheLimitIsRefused() throws {
        expectRefusal(try makeCandidate(in: .started), .durationNotExceeded) { (c: inout CandidateState) throws(LifecycleError) in
            try c.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 6_399.5)
        }
    }

    @Test func durationCountsFromTheFirstStartNotTheResume() throws {
        var candidate = try makeCandidate(in: .started)   // first start at 100
        try candidate.authorizeToResume(nowSeconds: 6_000)
        try candidate.start(nowSeconds: 6_100)
        try candidate.endDueToDurationExceeded(durationLimitSeconds: 6_300, nowSeconds: 6_400)
        #expect(candidate.status == .endedDueToDurationExceeded)
    }

    // MARK: abort reason

    @Test(arguments: [CandidateStatus.started] + endedStatuses)
    func abortReasonOnStartedUncompletedTest(status: CandidateStatus) throws {
        var candidate = try makeCandidate(in: status)
        try candidate.setAbortReason(.candidate)
        #expect(candidate.abortReason == .candidate)
        #expect(candidate.status == status)
    }

    @Test(arguments: [(CandidateStatus.enrolled, ErrorCode.candidateNotStarted),
                      (.authorizedToStart, .candidateNotStarted), (.completed, .candidateAlreadyCompleted)])
    func abortReasonRefusals(status: CandidateStatus, code: ErrorCode) throws {
        expectRefusal(try makeCandidate(in: status), code) { (c: inout CandidateState) throws(LifecycleError) in
            try c.setAbortReason(.technical)
        }
    }

    // MARK: storage

    @Test func restoringDropsPendingAuthorisations() {
        let candidate = CandidateState(
            restoring: "C1", sessionId: "S1", status: .authorizedToStart, firstStartSeconds: nil,
            lastStartSeconds: nil, endedSeconds: nil, startCount: 0, abortReason: nil)
        #expect(candidate.status == .enrolled)
        #expect(candidate.authorization == nil)
        let started = CandidateState(
            restoring: "C2", sessionId: "S1", status: .started, firstStartSeconds: 10,
            lastStartSeconds: 10, endedSeconds: nil, startCount: 1, abortReason: nil)
        #expect(started.status == .started)
        #expect(started.authorization == nil)
    }

    @Test func candidateRoundTripsAsJSON() throws {
        var candidate = try makeCandidate(in: .started)
        try candidate.authorizeToResume(nowSeconds: 700)
        let decoded = try JSONDecoder().decode(CandidateState.self, from: JSONEncoder().encode(candidate))
        #expect(decoded == candidate)
    }
}
