import CertCore
import CertStore
import Synchronization

/// One engine of the pool: holds the adaptive tests (CertCore `AdaptiveTest` values) of the
/// assessments sharded to it, picks their challenges, records their answers (journalled
/// through the `ResultWriter` before they are acknowledged), scores them and writes their
/// results. Owned by the daemon core; reached through `EnginePool`, whose admission counter
/// bounds the requests queued here.
///
/// Not an actor: its tests sit behind a lock, held only for the computation (an estimate
/// update and a selection take well under a microsecond), never across an await. So `next`
/// runs in the caller's task without a hop, and `answer` computes in place and then waits for
/// the writer. Profiled on an academy day, the task switches around an engine actor (two hops
/// in per answer, one back after the commit) took a larger share of the CPU than the engine's
/// own computation.
/// The same interleavings as an actor's: the state can change at each `await`, nowhere else.
/// The candidate's request never goes through the supervisor or the session actor, except
/// for the answer that completes the test (the session then records the completion).
final class AdaptiveEngine: Sendable {
    fileprivate struct Entry {
        let sessionId: String
        let candidateId: String
        let sessionKey: UInt64
        let candidateKey: UInt64
        /// The test while it can still change; nil once its result is written (`evictTest`):
        /// a finished test's buffers (estimator, selection masks, answers) are several KB, and
        /// a year's run holds 150,000 of them.
        var test: AdaptiveTest?
        /// Answers given, kept when the test is evicted.
        var answersCount = 0
        /// The time limit: the test ends once `durationLimitSeconds` have passed since the
        /// candidate's first start (the session's nominal duration). Checked on every request.
        let firstStartSeconds: Double
        let durationLimitSeconds: Double
        /// No more answers accepted (completed, ended by the invigilator or by finalisation).
        var isClosed = false
        /// Closed because the time limit passed: requests get TEST_DURATION_EXCEEDED.
        var timeRanOut = false
        var isCompleted = false
        /// The challenge of the live alert awaiting the invigilator; answers wait for it.
        var pendingAlertChallengeId: String?
        var scored: ScoredResult?
        /// Bumped by every change, so that a failed journal write rolls back only its own change.
        var version = 0
    }

    /// What `answer` did.
    struct AnswerOutcome: Sendable {
        var response: AnswerResponse
        /// Set when this answer completed the test (scored and written).
        var completedResult: ScoredResult?
    }

    /// What the engine knows when a candidate raises a live alert.
    struct AlertHold: Sendable {
        var currentChallengeId: String?
        var answeredChallengeIds: Set<String>
        /// True when this call put the candidate on hold (answers wait for the invigilator).
        var held: Bool
    }

    let index: Int
    private let environment: EngineEnvironment
    private let meters: EngineMeters
    private let entries = Mutex<[String: Entry]>([:])

    init(index: Int, environment: EngineEnvironment, meters: EngineMeters) {
        self.index = index
        self.environment = environment
        self.meters = meters
    }

    // MARK: Assessments

    /// Creates the adaptive test of a first start; a no-op if the assessment exists (resume).
    func create(
        assessmentId: String, sessionId: String, candidateId: String, locale: String, needsAccessibility: Bool,
        firstStartSeconds: Double, durationLimitSeconds: Double
    ) {
        guard !exists(assessmentId) else { return }
        let test = AdaptiveTest(
            bank: environment.bank, configuration: environment.algorithm, locale: locale,
            needsAccessibility: needsAccessibility)
        let entry = Entry(
            sessionId: sessionId, candidateId: candidateId, sessionKey: SeededRandom.key(sessionId),
            candidateKey: SeededRandom.key(candidateId), test: test, firstStartSeconds: firstStartSeconds,
            durationLimitSeconds: durationLimitSeconds)
        entries.withLock { entries in
            if entries.index(forKey: assessmentId) == nil { entries[assessmentId] = entry }
        }
    }

    private func exists(_ assessmentId: String) -> Bool {
        entries.withLock { $0.index(forKey: assessmentId) != nil }
    }

    /// Rebuilds a test from its journal (recovery). The pending challenge is not stored: the
    /// next call re-picks it with the same seeded draw, so it is the one served before.
    func restore(
        assessmentId: String, sessionId: String, candidateId: String, locale: String, needsAccessibility: Bool,
        answers: [Answer], validatedAlertChallengeIds: [String], pendingAlertChallengeId: String?,
        firstStartSeconds: Double, durationLimitSeconds: Double, isClosed: Bool, timeRanOut: Bool,
        scored: ScoredResult?
    ) throws(DaemonError) {
        let test: AdaptiveTest
        do {
            test = try AdaptiveTest.replay(
                bank: environment.bank, configuration: environment.algorithm, locale: locale,
                needsAccessibility: needsAccessibility, answers: answers,
                validatedAlertChallengeIds: Set(validatedAlertChallengeIds), currentChallengeId: nil)
        } catch {
            throw DaemonError(
                .recoveryFailed, "Assessment \(assessmentId) cannot be rebuilt from its journal: \(error.message)")
        }
        var entry = Entry(
            sessionId: sessionId, candidateId: candidateId, sessionKey: SeededRandom.key(sessionId),
            candidateKey: SeededRandom.key(candidateId), test: test, answersCount: test.answers.count,
            firstStartSeconds: firstStartSeconds, durationLimitSeconds: durationLimitSeconds)
        entry.isCompleted = test.isComplete
        entry.isClosed = isClosed || test.isComplete
        entry.timeRanOut = timeRanOut && !test.isComplete
        entry.scored = scored
        if entry.isClosed, var written = scored, written.written {
            written.result.history = []
            entry.scored = written
            entry.test = nil
        }
        if !entry.isClosed, let pendingAlertChallengeId {
            // Serve the challenge again so the ongoing alert still concerns the one on screen.
            var random = pickRandom(entry)
            _ = try? entry.test!.nextChallenge(using: &random)
            if entry.test!.currentChallengeId == pendingAlertChallengeId {
                entry.pendingAlertChallengeId = pendingAlertChallengeId
            }
        }
        entries.withLock { $0[assessmentId] = entry }
    }

    func progress(assessmentId: String) -> AssessmentProgress? {
        try? withEntry(assessmentId) { entry in
            AssessmentProgress(
                answersCount: entry.answersCount, isClosed: entry.isClosed, isCompleted: entry.isCompleted,
                scored: entry.scored, pendingAlertChallengeId: entry.pendingAlertChallengeId)
        }
    }

    // MARK: Candidate requests

    /// The challenge on screen (the same until answered), or nil once the test is over.
    func next(assessmentId: String) throws(DaemonError) -> ChallengeResponse? {
        let started = ContinuousClock.now
        defer { meters.addBusy(since: started) }
        let nowSeconds = environment.clock.nowSeconds()
        let seed = environment.seed
        return try withEntry(assessmentId) { entry throws(DaemonError) -> ChallengeResponse? in
            try entry.checkTimeLimit(assessmentId: assessmentId, nowSeconds: nowSeconds)
            if entry.isClosed { return nil }
            if let pending = entry.pendingAlertChallengeId { throw .liveAlertOngoing(pending) }
            guard entry.test != nil else { return nil }
            var random = entry.pickRandom(seed: seed)
            let challenge: Challenge?
            do throws(SelectionError) {
                challenge = try entry.test!.nextChallenge(using: &random)
            } catch {
                throw DaemonError(error)
            }
            guard let challenge else { return nil }
            entry.version += 1
            return ChallengeResponse(
                challengeId: challenge.id, competence: challenge.competence,
                questionNumber: entry.answersCount + 1)
        }
    }

    /// Records an answer to the challenge on screen, journals it (returning once durable in
    /// durable mode), and scores and writes the result when it completes the test.
    func answer(assessmentId: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerOutcome {
        let started = ContinuousClock.now
        let nowSeconds = environment.clock.nowSeconds()
        let (questionNumber, version, isCompleted) = try withEntry(assessmentId) {
            entry throws(DaemonError) -> (Int, Int, Bool) in
            try entry.checkTimeLimit(assessmentId: assessmentId, nowSeconds: nowSeconds)
            if entry.isClosed { throw .testFinished(assessmentId) }
            if let pending = entry.pendingAlertChallengeId { throw .liveAlertOngoing(pending) }
            guard entry.test != nil else { throw .testFinished(assessmentId) }
            let questionNumber = entry.answersCount + 1
            do throws(SelectionError) {
                try entry.test!.record(Answer(challengeId: request.challengeId, result: request.result))
            } catch {
                throw DaemonError(error)
            }
            entry.answersCount += 1
            entry.version += 1
            if entry.test!.isComplete {
                entry.isClosed = true
                entry.isCompleted = true
            }
            return (questionNumber, entry.version, entry.isCompleted)
        }
        let record = AnswerRecord(
            assessmentId: assessmentId, questionNumber: questionNumber, challengeId: request.challengeId,
            result: request.result.rawValue, recordedSeconds: nowSeconds)
        meters.addBusy(since: started)

        do {
            try await environment.writer.appendAnswer(record)
        } catch {
            // Not journalled, so not acknowledged: undo it unless something else changed the
            // test meanwhile (then the in-memory state wins; the store has failed anyway).
            // The undo replays the journal without this answer: a rare path, so the hot path
            // keeps no copy of the test (which would copy its buffers at every answer).
            entries.withLock { entries in
                guard let index = entries.index(forKey: assessmentId), entries.values[index].version == version else { return }
                Self.undoLastAnswer(&entries.values[index])
            }
            throw DaemonError(error)
        }
        var completed: ScoredResult?
        if isCompleted {
            completed = try await scoreAndWrite(assessmentId: assessmentId, abortReason: nil)
        }
        // Read through `withEntry` (in place): `entries.values[i].answersCount` would copy the
        // whole entry, retaining every buffer of its test, to read one integer.
        let answersCount = (try? withEntry(assessmentId) { $0.answersCount }) ?? questionNumber
        return AnswerOutcome(
            response: AnswerResponse(questionNumber: questionNumber, answersCount: answersCount, completed: isCompleted),
            completedResult: completed)
    }

    /// Takes back the last answer recorded in memory (its journal write failed): the test is
    /// replayed from its other answers, with the answered challenge on screen again.
    private static func undoLastAnswer(_ entry: inout Entry) {
        guard let test = entry.test, let last = test.answers.last else { return }
        guard let replayed = try? AdaptiveTest.replay(
            bank: test.bank, configuration: test.configuration, locale: test.locale,
            needsAccessibility: test.needsAccessibility, answers: Array(test.answers.dropLast()),
            validatedAlertChallengeIds: test.validatedAlertChallengeIds, currentChallengeId: last.challengeId)
        else { return }
        entry.test = replayed
        entry.answersCount = replayed.answers.count
        entry.isClosed = false
        entry.isCompleted = false
        entry.version += 1
    }

    /// Runs `body` on the entry in place, under the lock. Mutating a copy
    /// (`var entry = entries[id]`) would give the test's buffers two owners and copy them at
    /// every request.
    private func withEntry<Result: Sendable>(
        _ assessmentId: String, _ body: (inout Entry) throws(DaemonError) -> Result
    ) throws(DaemonError) -> Result {
        try entries.withLock { entries throws(DaemonError) -> Result in
            // Looked up by index: `entries[id] != nil` would copy the whole entry (and retain
            // every buffer of its test) just to test for presence.
            guard let index = entries.index(forKey: assessmentId) else { throw .assessmentNotFound(assessmentId) }
            return try body(&entries.values[index])
        }
    }

    // MARK: Live alerts

    /// Puts the candidate on hold for a live alert on `challengeId` if it is the challenge on
    /// screen and none is pending, and returns what the session's alert ledger needs to judge.
    func holdForLiveAlert(assessmentId: String, challengeId: String) throws(DaemonError) -> AlertHold {
        let nowSeconds = environment.clock.nowSeconds()
        return try withEntry(assessmentId) { entry throws(DaemonError) -> AlertHold in
            try entry.checkTimeLimit(assessmentId: assessmentId, nowSeconds: nowSeconds)
            if entry.isClosed { throw .testFinished(assessmentId) }
            guard let test = entry.test else { throw .testFinished(assessmentId) }
            let answered = Set(test.answers.map(\.challengeId))
            var held = false
            if entry.pendingAlertChallengeId == nil, test.currentChallengeId == challengeId,
                !answered.contains(challengeId)
            {
                entry.pendingAlertChallengeId = challengeId
                entry.version += 1
                held = true
            }
            return AlertHold(currentChallengeId: test.currentChallengeId, answeredChallengeIds: answered, held: held)
        }
    }

    /// Lets the candidate go on with the same challenge (alert dismissed or refused).
    func releaseLiveAlert(assessmentId: String, challengeId: String) {
        _ = try? withEntry(assessmentId) { entry in
            guard entry.pendingAlertChallengeId == challengeId else { return }
            entry.pendingAlertChallengeId = nil
            entry.version += 1
        }
    }

    /// The invigilator validated the alert: the skill leaves the pool, the pending challenge is
    /// dropped, and the next call serves a new one.
    func validateLiveAlert(assessmentId: String, challengeId: String) throws(DaemonError) {
        let bank = environment.bank
        try withEntry(assessmentId) { entry throws(DaemonError) in
            if entry.test == nil {
                // The result is written and the test evicted: nothing can change it any more.
                // The same refusal as the test's own for a challenge the bank does not hold.
                if bank.challenge(withId: challengeId) == nil {
                    throw DaemonError(SelectionError(.unknownChallenge, "challenge \"\(challengeId)\" is not in the bank"))
                }
            } else {
                do throws(SelectionError) {
                    try entry.test!.validateLiveAlert(challengeId: challengeId)
                } catch {
                    throw DaemonError(error)
                }
            }
            if entry.pendingAlertChallengeId == challengeId { entry.pendingAlertChallengeId = nil }
            entry.version += 1
        }
    }

    // MARK: Ending and scoring

    /// Closes a test (ended by the invigilator or by finalisation) and scores it with
    /// `abortReason`. With `write`, the result is final and written with a verification code;
    /// without, it is kept as provisional (re-scored at finalisation once the reason is known).
    /// A test already completed keeps its result. Never re-scores a written result.
    func close(assessmentId: String, abortReason: AbortReason?, write: Bool, timeRanOut: Bool = false)
        async throws(DaemonError) -> AssessmentProgress
    {
        let needsScore = try withEntry(assessmentId) { entry -> Bool in
            if timeRanOut, !entry.isCompleted, !entry.timeRanOut {
                entry.timeRanOut = true
            }
            if !entry.isClosed {
                entry.isClosed = true
                entry.pendingAlertChallengeId = nil
                entry.version += 1
            }
            return !entry.isCompleted && entry.scored?.written != true
        }
        if needsScore {
            if write {
                _ = try await scoreAndWrite(assessmentId: assessmentId, abortReason: abortReason)
            } else {
                let provisional = try score(assessmentId: assessmentId, abortReason: abortReason)
                _ = try? withEntry(assessmentId) { entry in entry.scored = provisional }
            }
        }
        return progress(assessmentId: assessmentId)!
    }

    /// Scores and writes a completed test whose result is missing (recovery after a crash
    /// between its last answer and its result).
    func writeCompletedResult(assessmentId: String) async throws(DaemonError) -> ScoredResult {
        guard progress(assessmentId: assessmentId)?.isCompleted == true else {
            throw .internalError("Assessment \(assessmentId) is not complete.")
        }
        return try await scoreAndWrite(assessmentId: assessmentId, abortReason: nil)
    }

    private func score(assessmentId: String, abortReason: AbortReason?) throws(DaemonError) -> ScoredResult {
        let started = ContinuousClock.now
        defer { meters.addBusy(since: started) }
        // A copy of the test (its buffers shared, not copied): scoring runs outside the lock.
        let (test, sessionId, candidateId) = try withEntry(assessmentId) {
            entry throws(DaemonError) -> (AdaptiveTest, String, String) in
            guard let test = entry.test else {
                throw .internalError("Assessment \(assessmentId) already has a written result.")
            }
            return (test, entry.sessionId, entry.candidateId)
        }
        let result: CertificationResult
        do {
            result = try Scoring.score(
                answers: test.answers, abortReason: abortReason,
                validatedAlertChallengeIds: test.validatedAlertChallengeIds, bank: environment.bank,
                configuration: environment.algorithm, locale: test.locale,
                needsAccessibility: test.needsAccessibility)
        } catch {
            throw DaemonError(scoring: error)
        }
        return ScoredResult(
            assessmentId: assessmentId, sessionId: sessionId, candidateId: candidateId, result: result,
            abortReason: abortReason, verificationCode: nil)
    }

    /// Scores and writes the result with a verification code unique in the store: codes are
    /// drawn from (seed, assessment) and checked against the registry, and a code the store
    /// still refuses is replaced, at most `verificationCodeAttemptsMax` times in all.
    private func scoreAndWrite(assessmentId: String, abortReason: AbortReason?) async throws(DaemonError)
        -> ScoredResult
    {
        if let scored = progress(assessmentId: assessmentId)?.scored, scored.written { return scored }
        var scored = try score(assessmentId: assessmentId, abortReason: abortReason)
        scored.result.competenceLevels = environment.competenceLevels.intern(scored.result.competenceLevels)
        let attemptsMax = environment.limits.verificationCodeAttemptsMax
        var random = Draws.verificationCodes(seed: environment.seed, assessmentId: assessmentId)
        let registry = environment.verificationCodes
        for _ in 0..<attemptsMax {
            let code: String
            do {
                code = try Codes.unique(.verificationCode, using: &random, limit: attemptsMax) { !registry.reserve($0) }
            } catch {
                throw DaemonError(error)
            }
            let record = ResultRecord(
                assessmentId: assessmentId, capacity: scored.result.capacity, errorRate: scored.result.errorRate,
                pixScore: scored.result.pixScore, meshLevel: scored.result.meshLevel,
                competenceLevels: scored.result.competenceLevels, status: scored.result.status.rawValue,
                answersCount: scored.result.answersCount, verificationCode: code,
                scoredSeconds: environment.clock.nowSeconds())
            let insertion: ResultWriter.ResultInsertion
            do {
                insertion = try await environment.writer.insertResult(record)
            } catch {
                throw DaemonError(error)
            }
            if insertion == .inserted {
                scored.verificationCode = code
                evictTest(assessmentId: assessmentId, written: scored)
                return scored
            }
        }
        throw DaemonError(
            .verificationCodeExhausted,
            "No free verification code found for assessment \(assessmentId) after \(attemptsMax) draws.")
    }

    /// Keeps what later requests need once the result is written — the closed flags, the
    /// answers count and the result without its estimate history (as recovery rebuilds it) —
    /// and frees the test. A written result is never re-scored, so nothing reads the test again.
    private func evictTest(assessmentId: String, written: ScoredResult) {
        var kept = written
        kept.result.history = []
        _ = try? withEntry(assessmentId) { entry in
            entry.scored = kept
            entry.test = nil
        }
    }

    private func pickRandom(_ entry: Entry) -> SeededRandom {
        entry.pickRandom(seed: environment.seed)
    }
}

extension AdaptiveEngine.Entry {
    /// The generator of this candidate's next pick: keyed by question number, so a test
    /// rebuilt after a crash picks what it would have picked.
    func pickRandom(seed: UInt64) -> SeededRandom {
        Draws.challengePick(
            seed: seed, sessionKey: sessionKey, candidateKey: candidateKey, questionNumber: answersCount + 1)
    }

    /// Refuses the request with TEST_DURATION_EXCEEDED once the test's time is up, closing a
    /// test still open (the session records the end when the refusal reaches it). The same
    /// comparison as CertCore's `CandidateState.endDueToDurationExceeded`.
    mutating func checkTimeLimit(assessmentId: String, nowSeconds: Double) throws(DaemonError) {
        if timeRanOut { throw .testDurationExceeded(assessmentId, limitSeconds: durationLimitSeconds) }
        guard !isClosed, nowSeconds - firstStartSeconds >= durationLimitSeconds else { return }
        isClosed = true
        timeRanOut = true
        pendingAlertChallengeId = nil
        version += 1
        throw .testDurationExceeded(assessmentId, limitSeconds: durationLimitSeconds)
    }
}
