import CertCore
import CertStore

/// The candidate API: the HTTP routes and the runner's in-process transport both call it, so
/// both run the same code. Owned by `DaemonCore`.
///
/// Hops per request: `next` and `answer` find their route in the lock-protected
/// `RoutingTable` and run one `CandidateTest` transition in their shard under its lock, in the
/// caller's task (no actor); `answer` then waits for its rows' commit. A start goes through
/// the session's actor (the session's first start is its business too).
///
/// ```swift
/// let started = try await core.candidates.start(sessionId: "S1", candidateId: "c1", accessCode: code)
/// while let challenge = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) {
///     _ = try await core.candidates.answer(assessmentId: started.assessmentId, token: started.token,
///                                          AnswerRequest(challengeId: challenge.challengeId, result: .ok))
/// }
/// ```
public final class CandidateService: Sendable {
    let context: DaemonContext

    init(context: DaemonContext) { self.context = context }

    /// Starts or resumes the candidate's test. Needs an authorisation given by the invigilator
    /// (valid 15 minutes, used up by this call) and the session's access code.
    public func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError)
        -> StartResponse
    {
        try context.enter()
        defer { context.leave() }
        return try await context.session(sessionId).start(candidateId: candidateId, accessCode: accessCode)
    }

    /// The challenge to answer now (the same one again until it is answered); nil when the test
    /// is over (HTTP 204). Once the session's nominal duration has passed since the candidate's
    /// first start, this and `answer` refuse with TEST_DURATION_EXCEEDED (409) and the test
    /// ends (`endedDueToDurationExceeded`, scored at finalisation).
    public func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try context.enter()
        defer { context.leave() }
        let route = try await context.route(assessmentId: assessmentId, token: token)
        let shard = route.shard
        try shard.enter()
        defer { shard.leave() }
        let outcome: CandidateTest.Outcome
        if let quick = try shard.nextWithoutWrites(key: route.key, slot: route.slot) {
            outcome = quick
        } else {
            outcome = try await shard.perform(.next, key: route.key, slot: route.slot)
            context.notify(outcome.notices, sessionId: route.sessionId, candidateId: route.candidateId)
        }
        switch outcome.reply {
        case .challenge(let challenge?, let questionNumber):
            return ChallengeResponse(challengeId: challenge.id, competence: challenge.competence,
                                     questionNumber: questionNumber)
        case .challenge(nil, _), .timeRanOut:
            // The test is over: a candidate enrolled in a complementary certification moves on
            // to its test (DESIGN §3.8).
            if let following = try await route.session.startFollowing(candidateId: route.candidateId, token: token),
               following.assessmentId != assessmentId {
                return try await nextOfFollowing(following)
            }
            if case .timeRanOut = outcome.reply { throw context.refusal(outcome.reply, assessmentId: assessmentId) }
            return nil
        default:
            throw context.refusal(outcome.reply, assessmentId: assessmentId)
        }
    }

    /// The first (or current) challenge of a candidate's complementary test, naming its
    /// assessment and version so that the candidate talks about it from now on.
    private func nextOfFollowing(_ route: RoutingTable.Route) async throws(DaemonError) -> ChallengeResponse? {
        let shard = route.shard
        try shard.enter()
        defer { shard.leave() }
        let outcome = try await shard.perform(.next, key: route.key)
        context.notify(outcome.notices, sessionId: route.sessionId, candidateId: route.candidateId)
        guard case .challenge(let challenge, let questionNumber) = outcome.reply else {
            throw context.refusal(outcome.reply, assessmentId: route.assessmentId)
        }
        let versionId = shard.read(route.key) { $0.rules.version.id }
        return challenge.map {
            ChallengeResponse(challengeId: $0.id, competence: $0.competence, questionNumber: questionNumber,
                              assessmentId: route.assessmentId, certificationVersion: versionId)
        }
    }

    /// Records an answer to the current challenge. Returns once the answer is durable (durable
    /// mode) or enqueued (relaxed mode). The answer that completes the test also scores it, in
    /// the same transaction.
    public func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError)
        -> AnswerResponse
    {
        try context.enter()
        defer { context.leave() }
        let route = try await context.route(assessmentId: assessmentId, token: token)
        let shard = route.shard
        try shard.enter()
        defer { shard.leave() }
        let outcome = try await shard.perform(
            .answer(Answer(challengeId: request.challengeId, result: request.result)), key: route.key, slot: route.slot)
        context.notify(outcome.notices, sessionId: route.sessionId, candidateId: route.candidateId)
        guard case .answered(let questionNumber, let answersCount, let completed) = outcome.reply else {
            throw context.refusal(outcome.reply, assessmentId: assessmentId)
        }
        return AnswerResponse(questionNumber: questionNumber, answersCount: answersCount, completed: completed)
    }

    /// Raises a live alert on the current challenge; the candidate then waits for the
    /// invigilator to validate it (a new challenge) or dismiss it (the same challenge).
    public func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError)
        -> AlertResponse
    {
        try context.enter()
        defer { context.leave() }
        let route = try await context.route(assessmentId: assessmentId, token: token)
        let outcome = try await route.shard.perform(.raiseLiveAlert(challengeId: challengeId), key: route.key, slot: route.slot)
        context.notify(outcome.notices, sessionId: route.sessionId, candidateId: route.candidateId)
        guard case .liveAlert(let raised) = outcome.reply else {
            throw context.refusal(outcome.reply, assessmentId: assessmentId)
        }
        return AlertResponse(status: raised == .raised ? "ongoing" : "ignored")
    }

    /// A published certificate by its verification code (`CERTIFICATE_NOT_FOUND` before publication).
    public func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try context.enter()
        defer { context.leave() }
        let code = Codes.normalizedVerificationCode(verificationCode) ?? verificationCode
        guard let certificate = context.certificates.lookup(code) else {
            throw .notFound(.certificateNotFound, "No published certificate has the verification code \(verificationCode).")
        }
        return certificate
    }
}
