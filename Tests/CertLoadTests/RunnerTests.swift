import CertCore
import CertDaemon
import Foundation
import Testing
@testable import CertLoad

@Suite(.serialized, .timeLimit(.minutes(5))) struct RunnerTests {
    @Test func aSmallDayRunsInProcessAndEveryoneGetsAResult() async throws {
        let scenario = RunnerFixtures.smallDay()
        let outcome = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
        #expect(outcome.candidates.count == 24)
        #expect(outcome.summary.errors.isEmpty, "errors: \(outcome.summary.errors)")
        #expect(outcome.summary.digest.count == 64)
        // Everyone started; the test ends in a result for all (abandons are scored at finalisation).
        #expect(outcome.summary.certifications.started == 24)
        #expect(outcome.summary.certifications.completed == 24)
        for row in outcome.candidates {
            #expect(["validated", "rejected", "cancelled"].contains(row.status), "\(row.candidateKey): \(row.status)")
            #expect(row.estimatedTheta != nil && row.errorRate != nil)
            // DESIGN §3.5: only a validated certification has a score and a level.
            #expect((row.score != nil) == (row.status == "validated"), "\(row.candidateKey)")
            #expect((row.level != nil) == (row.status == "validated") && row.version == "core-v3")
        }
        // A completed test has the configured length; an unfinished one carries its abort reason.
        for row in outcome.candidates where row.abortReason == nil {
            #expect(row.answers >= 32)
        }
        // Answers counted by the runner are those the daemon acknowledged.
        #expect(outcome.summary.answers == outcome.candidates.reduce(0) { $0 + $1.answers })
        #expect(outcome.summary.latency[LatencyOperation.next]?.count ?? 0 > 0)
        #expect(outcome.summary.latency[LatencyOperation.answer]?.count == UInt64(outcome.summary.answers))
        #expect(outcome.failures == [])
        // The engine's own step was measured at the start (whole tests of the default length),
        // so the report carries the ratio of the CPU per answer to it.
        let engine = try #require(outcome.summary.engine)
        #expect(engine.steps == ScenarioRunner.engineTestsAtStart * ScenarioRunner.engineRoundsAtStart * 32)
        #expect(engine.stepNanoseconds > 0)
        #expect(outcome.summary.cpuPerAnswerOverEngineStep != nil)
    }

    @Test func theDigestDoesNotDependOnConcurrencyOrOnTheRun() async throws {
        let scenario = RunnerFixtures.smallDay(centres: 2, rooms: 2, candidates: 8)
        let one = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions(concurrency: 1))
        let many = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions(concurrency: 64))
        let again = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions(concurrency: 64))
        #expect(one.summary.errors.isEmpty && many.summary.errors.isEmpty && again.summary.errors.isEmpty)
        #expect(one.digest == many.digest)
        #expect(many.digest == again.digest)
        // Not only the hash: every row is the same.
        #expect(one.candidates.map(\.digestRecord.canonicalLine) == many.candidates.map(\.digestRecord.canonicalLine))
        // The simulated timeline too: it follows the candidates' schedule, not the run's speed.
        func simulatedShape(_ outcome: RunOutcome) -> [[Double]] {
            outcome.timeline.filter { $0.clock == .simulated }.map {
                [$0.startSeconds, Double($0.answers), Double($0.activeCandidates), Double($0.certificationsCompleted)]
            }
        }
        #expect(simulatedShape(one) == simulatedShape(many))
        #expect(simulatedShape(one).map { $0[2] }.max() ?? 0 > 0)

        var reseeded = scenario
        reseeded.seed = scenario.seed + 1
        let other = try await ScenarioRunner.run(scenario: reseeded, options: RunnerFixtures.quietOptions())
        #expect(other.digest != one.digest)
    }

    @Test func theBehavioursAreExercised() async throws {
        // High rates so every path of the flow is crossed in a small day.
        var scenario = RunnerFixtures.smallDay(centres: 1, rooms: 2, candidates: 10)
        scenario.behaviour.abandonShare = 0.3
        scenario.behaviour.liveAlertRatePerQuestion = 0.1
        scenario.behaviour.technicalIncidentShare = 0.3
        scenario.behaviour.companionAlertShare = 0.3
        let outcome = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
        #expect(outcome.summary.errors.isEmpty, "errors: \(outcome.summary.errors)")
        #expect(outcome.summary.latency[LatencyOperation.alert]?.count ?? 0 > 0)
        // Starts: one per candidate plus one per resume after an incident.
        let starts = outcome.summary.latency[LatencyOperation.start]?.count ?? 0
        #expect(starts > 20)
        let abandoned = outcome.candidates.filter { $0.abortReason == "candidate" }
        #expect(!abandoned.isEmpty)
        // An abandon before 20 answers is rejected (DESIGN §3.5).
        for row in abandoned where row.answers < 20 { #expect(row.status == "rejected") }
    }

    @Test func aRetestGivesTestRetestFigures() async throws {
        var scenario = RunnerFixtures.smallDay(centres: 1, rooms: 2, candidates: 6)
        scenario.retest = true
        scenario.behaviour.abandonShare = 0
        let outcome = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
        #expect(outcome.candidates.count == 24)
        #expect(Set(outcome.candidates.map(\.personKey)).count == 12)
        let consistency = outcome.summary.consistency
        let pairs = CandidateRow.retestPairs(outcome.candidates)
        #expect(consistency.retestPairs == pairs.count)
        #expect(pairs.count > 0)
        // Independent check of the figures from the rows.
        let meanDelta = Double(pairs.map { abs($0.firstScore - $0.secondScore) }.reduce(0, +)) / Double(pairs.count)
        #expect(abs((consistency.retestMeanAbsoluteDeltaScore ?? -1) - meanDelta) < 1e-9)
        let same = Double(pairs.filter { $0.firstMeshLevel == $0.secondMeshLevel }.count) / Double(pairs.count)
        #expect(abs((consistency.retestSameLevelShare ?? -1) - same) < 1e-9)
        // The two sittings of a person are independent tests: not every score repeats.
        #expect(pairs.contains { $0.firstScore != $0.secondScore })
    }

    @Test func brokenThresholdsFailTheRunAndAreNamed() async throws {
        var scenario = RunnerFixtures.smallDay(centres: 1, rooms: 1, candidates: 6)
        scenario.thresholds.rmseMax = 1e-6
        scenario.thresholds.errorsMax = 0
        scenario.thresholds.digest = String(repeating: "0", count: 64)
        let outcome = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
        #expect(!outcome.failures.isEmpty)
        #expect(outcome.failures.count == 2)
        #expect(outcome.failures.contains { $0.contains("rmse_max") })
        #expect(outcome.failures.contains { $0.hasPrefix("digest") })
        #expect(outcome.summary.thresholds.first { $0.name == "errors_max" }?.passed == true)

        var pinned = scenario
        pinned.thresholds = Thresholds()
        pinned.thresholds.digest = outcome.digest
        let again = try await ScenarioRunner.run(scenario: pinned, options: RunnerFixtures.quietOptions())
        #expect(again.failures == [])
    }

    @Test func theRunWritesItsFiles() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("certsim-runner-test-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = RunnerFixtures.quietOptions()
        options.outDirectory = directory
        let outcome = try await ScenarioRunner.run(scenario: RunnerFixtures.smallDay(centres: 1, rooms: 1), options: options)
        let files = try RunFiles.read(from: directory)
        #expect(files.summary.digest == outcome.digest)
        #expect(files.candidates.count == 6)
        #expect(files.digestMatchesCandidates)
        #expect(files.timeline.contains { $0.clock == .simulated })
        #expect(files.timeline.contains { $0.clock == .real })
        #expect(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(RunFiles.reportFileName)))
    }

    @Test func aGivenStoreIsKeptAndHoldsTheResults() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("certsim-runner-db-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = RunnerFixtures.quietOptions()
        options.databasePath = (directory as NSString).appendingPathComponent("day.sqlite")
        let outcome = try await ScenarioRunner.run(scenario: RunnerFixtures.smallDay(centres: 1, rooms: 1), options: options)
        #expect(FileManager.default.fileExists(atPath: options.databasePath!))
        #expect((outcome.summary.storeBytes ?? 0) > 0)
    }

    @Test func scaledTimeFollowsTheScheduleAndGivesTheSameDigest() async throws {
        // 4 candidates, think times of 5 s, a time scale of 200: a test lasts about 1 s, and the
        // 15-minute authorisation lasts 4.5 s of real time, so a loaded machine's stall of a
        // fraction of a second cannot expire it (at 2,000 it was 0.45 s, and did).
        var scenario = RunnerFixtures.smallDay(centres: 1, rooms: 1, candidates: 4)
        scenario.behaviour.thinkTime.medianSeconds = 5
        scenario.behaviour.thinkTime.minimumSeconds = 1
        scenario.behaviour.thinkTime.maximumSeconds = 10
        scenario.day.arrivalSpreadSeconds = 20
        scenario.proctors.authoriseDelaySeconds = SecondsRange(1, 5)
        scenario.proctors.alertReactionDelaySeconds = SecondsRange(1, 5)
        let fast = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
        var options = RunnerFixtures.quietOptions()
        options.timeScale = 200
        let paced = try await ScenarioRunner.run(scenario: scenario, options: options)
        #expect(paced.summary.errors.isEmpty, "errors: \(paced.summary.errors)")
        #expect(paced.digest == fast.digest)
        #expect(paced.summary.timeScale == 200)
    }

    @Test func badOverridesAreRefused() async {
        var options = RunnerFixtures.quietOptions()
        options.concurrency = 0
        await #expect(throws: RunError.self) {
            _ = try await ScenarioRunner.run(scenario: RunnerFixtures.smallDay(), options: options)
        }
        var scenario = RunnerFixtures.smallDay()
        scenario.bank = .file(path: "/nonexistent/bank.json")
        do throws(RunError) {
            _ = try await ScenarioRunner.run(scenario: scenario, options: RunnerFixtures.quietOptions())
            Issue.record("a missing bank must fail the run")
        } catch {
            #expect(error.code == .runBank)
        }
    }

    @Test func daemonAddressesAreParsed() throws {
        #expect(try DaemonAddress.parse("unix:/tmp/c.sock") == .unix(path: "/tmp/c.sock"))
        #expect(try DaemonAddress.parse("http://127.0.0.1:8080") == .http(host: "127.0.0.1", port: 8080))
        #expect(try DaemonAddress.parse("http://localhost:9/") == .http(host: "localhost", port: 9))
        #expect(throws: RunError.self) { try DaemonAddress.parse("http://10.0.0.1:8080") }
        #expect(throws: RunError.self) { try DaemonAddress.parse("http://127.0.0.1") }
        #expect(throws: RunError.self) { try DaemonAddress.parse("tcp://127.0.0.1:1") }
        #expect(throws: RunError.self) { try DaemonAddress.parse("unix:") }
    }

    @Test func theProgressLineSaysWhereTheRunIs() {
        let line = ProgressLine.render(done: 50, total: 200, answersPerSecond: 1234.4, p99Microseconds: 4_150,
                                       elapsedSeconds: 20)
        #expect(line == "certsim run: 50/200 candidates · 1234 answers/s · p99 4.2 ms · ETA 1:00")
        #expect(ProgressLine.formatDuration(3_725) == "1:02:05")
        #expect(ProgressLine.formatMilliseconds(27.6) == "28 ms")
        #expect(!ProgressLine.render(done: 200, total: 200, answersPerSecond: 0, p99Microseconds: nil, elapsedSeconds: 5).contains("ETA"))
    }
}

/// Scenarios and options for the runner's tests: small days on a small generated bank, so each
/// run takes well under a second in process.
enum RunnerFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func shippedScenario(_ relativePath: String) throws -> Scenario {
        try Scenario.load(path: repositoryRoot.appendingPathComponent("Scenarios").appendingPathComponent(relativePath).path)
    }

    /// A day of `centres` × `rooms` sessions of `candidates` each, every behaviour switched on at
    /// rates high enough that each path is crossed.
    static func smallDay(centres: Int = 2, rooms: Int = 2, candidates: Int = 6, seed: UInt64 = 7) -> Scenario {
        var scenario = Scenario()
        scenario.name = "runner-test"
        scenario.seed = seed
        scenario.bank = .generated(challenges: 600, seed: 3)
        scenario.day.centres = centres
        scenario.day.sessionsPerCentre = rooms
        scenario.day.waves = 1
        scenario.day.candidatesPerSession = CountRange(fixed: candidates)
        scenario.population.accessibilityShare = 0.1
        scenario.behaviour.abandonShare = 0.1
        scenario.behaviour.liveAlertRatePerQuestion = 0.03
        scenario.behaviour.technicalIncidentShare = 0.15
        scenario.behaviour.companionAlertShare = 0.1
        scenario.durability = .relaxed
        scenario.concurrency = 16
        return scenario
    }

    static func quietOptions(concurrency: Int? = nil, transport: Scenario.Transport? = nil) -> RunOptions {
        var options = RunOptions()
        options.progress = .off
        options.concurrency = concurrency
        options.transport = transport
        return options
    }
}

/// The candidate flow against a scripted daemon (no actors, no store): retries, failures, resumes.
@Suite struct RunnerFlowTests {
    /// Serves the bank's challenges in order and completes after `length` answers; refuses the
    /// first `busyAnswers` answers with BUSY and every call with `failing` once `failAfterAnswers` are in.
    actor ScriptedDaemon: CandidateTransport, ProctorTransport {
        let bank: ItemBank
        let length: Int
        var busyAnswers: Int
        var failAfterAnswers: Int?
        var answers = 0
        var starts = 0
        var authorisations = 0
        var served = 0

        init(bank: ItemBank, length: Int, busyAnswers: Int = 0, failAfterAnswers: Int? = nil) {
            self.bank = bank
            self.length = length
            self.busyAnswers = busyAnswers
            self.failAfterAnswers = failAfterAnswers
        }

        func start(sessionId: String, candidateId: String, accessCode: String) throws(DaemonError) -> StartResponse {
            starts += 1
            return StartResponse(assessmentId: "a1", token: "t\(starts)", resumed: starts > 1)
        }
        func next(assessmentId: String, token: String) throws(DaemonError) -> ChallengeResponse? {
            if let limit = failAfterAnswers, answers >= limit {
                throw DaemonError(.internalError, "scripted")  // a failure that is not retryable
            }
            guard answers < length else { return nil }
            served += 1
            let challenge = bank.challenges[answers]
            return ChallengeResponse(challengeId: challenge.id, competence: challenge.competence, questionNumber: answers + 1)
        }
        func answer(assessmentId: String, token: String, _ request: AnswerRequest) throws(DaemonError) -> AnswerResponse {
            if busyAnswers > 0 {
                busyAnswers -= 1
                throw DaemonError.busy("scripted", retryAfterSeconds: 0)
            }
            answers += 1
            return AnswerResponse(questionNumber: answers, answersCount: answers, completed: answers == length)
        }
        func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) -> AlertResponse {
            AlertResponse(status: "ignored")
        }
        func certificate(verificationCode: String) throws(DaemonError) -> CertificateResponse {
            throw DaemonError.notFound(.certificateNotFound, "none")
        }
        func createSession(_ request: CreateSessionRequest) -> SessionCreated {
            SessionCreated(sessionId: request.sessionId ?? "S", accessCode: "BCDF23", invigilatorPassword: "pw")
        }
        func login(sessionId: String, password: String) {}
        func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) {}
        func authorize(sessionId: String, candidateId: String) { authorisations += 1 }
        func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) {}
        func dismissLiveAlert(sessionId: String, candidateId: String) {}
        func raiseCompanionAlert(sessionId: String, candidateId: String) {}
        func clearCompanionAlert(sessionId: String, candidateId: String) {}
        func showSession(_ sessionId: String) throws(DaemonError) -> SessionDetail {
            throw DaemonError.notFound(.sessionNotFound, "none")
        }
        func finalize(sessionId: String, abortReasons: [String: AbortReason]) throws(DaemonError) -> FinalizationSummary {
            throw DaemonError.notFound(.sessionNotFound, "none")
        }
        func publish(sessionId: String) throws(DaemonError) -> [PublishedCertificate] { [] }
        func closeSession(_ sessionId: String) {}
        func close() {}
    }

    static func flow(daemon: ScriptedDaemon, recorder: RunRecorder, incidentShare: Double = 0,
                     limits: FlowLimits = FlowLimits()) -> CandidateFlow {
        var scenario = RunnerFixtures.smallDay()
        scenario.behaviour = Behaviour()
        scenario.behaviour.technicalIncidentShare = incidentShare
        let draws = RunnerDraws(seed: 3)
        let identity = CandidateIdentity(personIndex: 0, sitting: 0, sessionId: "S", candidateId: "k1")
        let candidate = SimulatedCandidate(identity: identity, scenario: scenario, maximumAssessmentLength: 32, draws: draws)
        return CandidateFlow(
            candidate: candidate, session: SessionContext(sessionId: "S", accessCode: "BCDF23", opensAtSeconds: 0),
            proctor: SimulatedProctor(policy: Proctors(), draws: draws), candidates: daemon, proctors: daemon,
            items: TrueItemParameters(bank: daemon.bank, noise: CalibrationNoise(), draws: draws),
            pacing: Pacing(clock: VirtualClock(timeScale: 0)), recorder: recorder, limits: limits)
    }

    @Test func busyRefusalsAreRetriedAndCounted() async {
        let daemon = ScriptedDaemon(bank: BankGenerator.generate(challenges: 100, seed: 1), length: 32, busyAnswers: 3)
        let recorder = RunRecorder(beganUptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        var flow = Self.flow(daemon: daemon, recorder: recorder)
        let outcome = await flow.run()
        #expect(outcome.fate == .completed)
        #expect(outcome.answersGiven == 32)
        #expect(await recorder.retries.byCode == ["BUSY": 3])
        #expect(await recorder.errors.total == 0)
        #expect(await recorder.answers == 32)
        #expect(await daemon.authorisations == 1)
    }

    @Test func refusalsPastTheOutageLimitsFailTheCandidateWithTheCode() async {
        var limits = FlowLimits()
        limits.attemptsMax = 2
        limits.reconnectAttemptsMax = 3
        limits.outageWaitSecondsMin = 0.001
        limits.outageWaitSecondsMax = 0.001
        let daemon = ScriptedDaemon(bank: BankGenerator.generate(challenges: 100, seed: 1), length: 32,
                                    busyAnswers: 1_000)
        let recorder = RunRecorder(beganUptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        var flow = Self.flow(daemon: daemon, recorder: recorder, limits: limits)
        let outcome = await flow.run()
        #expect(outcome.fate == .failed(code: .busy))
        #expect(outcome.abortReason == .technical)
        #expect(await recorder.errors.byCode == ["BUSY": 1])
        // 4 rounds of 2 tries (1 retry in place each); the first 3 rounds end in an outage that
        // is waited out (1 outage, 3 failures counted), the 4th is past the limit.
        #expect(await recorder.retries.byCode == ["BUSY": 4 * 1 + 3, "DAEMON_UNAVAILABLE": 1])
        #expect(await daemon.authorisations == 4)
        #expect(await daemon.answers == 0)
    }

    @Test func aFailureStopsTheCandidate() async {
        let daemon = ScriptedDaemon(bank: BankGenerator.generate(challenges: 100, seed: 1), length: 32, failAfterAnswers: 5)
        let recorder = RunRecorder(beganUptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        var flow = Self.flow(daemon: daemon, recorder: recorder)
        let outcome = await flow.run()
        #expect(outcome.fate == .failed(code: .internalError))
        #expect(outcome.answersGiven == 5)
        #expect(await recorder.errors.byCode == ["INTERNAL_ERROR": 1])
    }

    @Test func anIncidentResumesAfterAFreshAuthorisationOnTheSameQuestion() async {
        let daemon = ScriptedDaemon(bank: BankGenerator.generate(challenges: 100, seed: 1), length: 32)
        let recorder = RunRecorder(beganUptimeNanoseconds: VirtualClock.uptimeNanoseconds())
        var flow = Self.flow(daemon: daemon, recorder: recorder, incidentShare: 1)
        let outcome = await flow.run()
        #expect(outcome.fate == .completed)
        #expect(await daemon.starts == 2)
        #expect(await daemon.authorisations == 2)
        // The question on screen when the connection dropped was served twice.
        #expect(await daemon.served == 33)
    }
}
