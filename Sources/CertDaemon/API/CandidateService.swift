import CertCore

/// The one entry point for candidates. The HTTP routes and the runner's in-process transport
/// both call it, so both run the same code. Owned by the daemon core; built by `DaemonCore`.
///
/// ```swift
/// let started = try await core.candidates.start(sessionId: "S1", candidateId: "c1", accessCode: code)
/// while let challenge = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) {
///     _ = try await core.candidates.answer(assessmentId: started.assessmentId, token: started.token,
///                                          AnswerRequest(challengeId: challenge.challengeId, result: .ok))
/// }
/// ```
public final class CandidateService: Sendable {
    let runtime: DaemonRuntime

    init(runtime: DaemonRuntime) { self.runtime = runtime }

    /// Starts or resumes the candidate's test. Needs an authorisation given by the invigilator
    /// (valid 15 minutes, used up by this call) and the session's access code.
    public func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError)
        -> StartResponse
    {
        try await runtime.start(sessionId: sessionId, candidateId: candidateId, accessCode: accessCode)
    }

    /// The challenge to answer now (the same one again until it is answered); nil when the test
    /// is over (HTTP 204).
    public func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try await runtime.next(assessmentId: assessmentId, token: token)
    }

    /// Records an answer to the current challenge. Returns once the answer is durable (durable
    /// mode) or enqueued (relaxed mode). The answer that completes the test also scores it.
    /// Once the session's nominal duration (105 minutes by default) has passed since the
    /// candidate's first start, this and `next` refuse with TEST_DURATION_EXCEEDED (409) and
    /// the test ends (`endedDueToDurationExceeded`, scored at finalisation).
    public func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError)
        -> AnswerResponse
    {
        try await runtime.answer(assessmentId: assessmentId, token: token, request)
    }

    /// Raises a live alert on the current challenge; the candidate then waits for the
    /// invigilator to validate it (a new challenge) or dismiss it (the same challenge).
    public func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError)
        -> AlertResponse
    {
        try await runtime.raiseLiveAlert(assessmentId: assessmentId, token: token, challengeId: challengeId)
    }

    /// A published certificate by its verification code (`CERTIFICATE_NOT_FOUND` before publication).
    public func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try await runtime.certificate(verificationCode: verificationCode)
    }
}
