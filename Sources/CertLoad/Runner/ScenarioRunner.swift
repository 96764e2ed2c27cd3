import CertCore
import CertDaemon
import CertStore
import Foundation

/// `certsim run SCENARIO`: plays a scenario's certification day through a daemon and reports what
/// it measured.
///
/// 1. Opens the daemon: embedded in this process (same actors, same store code; `inproc` calls
///    its services directly, `http` goes through its real HTTP server and control socket), or an
///    external `certsim serve` (`RunOptions.daemon`).
/// 2. Builds the day (`DayPlan`): sessions with stable ids, simulated candidates and proctors.
///    Each session's invigilator creates it, logs in and enrols its candidates.
/// 3. Runs the candidates (`CandidateFlow`): with `time_scale: 0` as fast as possible, at most
///    `concurrency` in flight; with `time_scale: k` on the day's schedule, k times faster than
///    real time. When a session's last candidate is done its invigilator finalises and publishes.
/// 4. Reads every candidate's final result from the daemon (capacity, error rate, score, levels,
///    status), computes the measures and the digest, checks the thresholds, and writes
///    summary.json, candidates.csv, timeline.csv and report.html when asked.
///
/// Every draw comes from generators keyed by (seed, person, sitting, purpose…), and the daemon's
/// picks are keyed by the runner's ids, so the digest is the same for `inproc` and `http`, for
/// any concurrency, and from run to run.
///
/// Owned by the runner.
///
/// ```swift
/// let scenario = try Scenario.load(path: "Scenarios/smoke.yaml")
/// let outcome = try await ScenarioRunner.run(scenario: scenario, options: RunOptions())
/// print(outcome.summary.digest, outcome.passed)
/// ```
public enum ScenarioRunner {
    /// Sessions set up at once before the day starts.
    public static let setupParallelismMax = 8

    /// Runs the scenario with the options' overrides. Throws only when the run cannot be carried
    /// out; broken thresholds are reported in the outcome (`passed == false`).
    public static func run(scenario input: Scenario, options: RunOptions) async throws(RunError) -> RunOutcome {
        let scenario = try effectiveScenario(input, options: options)
        let draws = RunnerDraws(seed: scenario.seed)
        let groups = try RunGroups(scenario: scenario, draws: draws)
        let rules = groups.groups[0].rules
        // The engine's own speed on this run's bank and settings, before the day loads the
        // machine. Its draws are its own: the run's digest does not depend on it.
        let engine = measureEngine(rules: rules, banks: groups.banks)
        let plan = DayPlan(scenario: scenario, draws: draws)
        let proctor = SimulatedProctor(policy: scenario.proctors, draws: draws)
        let clock = VirtualClock(timeScale: scenario.timeScale)
        let runBegan = VirtualClock.uptimeNanoseconds()

        let connection = try await DaemonConnection.open(
            scenario: scenario, options: options, groups: groups, clock: clock)
        let sessions = plan.sessions.map { session in
            let group = groups.groups[session.group]
            let sitsSecondTest = if case .test = group.complementary { true } else { false }
            return SessionRun(plan: session,
                       simulated: session.candidates.map {
                           SimulatedCandidate(identity: $0, scenario: scenario,
                                              maximumAssessmentLength: group.rules.configuration.maximumAssessmentLength,
                                              draws: draws, group: group.definition, sitsComplementaryTest: sitsSecondTest)
                       },
                       proctors: connection.proctors, version: group.rules.version,
                       complementaryVersionId: group.complementary?.versionId)
        }

        let playedDay: PlayedDay
        do {
            let contexts = try await setUp(sessions)
            let setupSeconds = seconds(since: runBegan)
            playedDay = await play(
                sessions: sessions, contexts: contexts, connection: connection, proctor: proctor, groups: groups,
                clock: clock, scenario: scenario, options: options, setupSeconds: setupSeconds)
        } catch {
            await connection.shutdown()
            connection.cleanUp()
            throw error
        }

        let resultsBegan = VirtualClock.uptimeNanoseconds()
        var played = playedDay
        let certificates = played.closed.values.flatMap(\.certificates)
        var results: [String: FinalResult] = [:]
        var storeBytes: Int?
        if let storePath = connection.storePath {
            // An embedded daemon is shut down first: that flushes its store.
            await connection.shutdown()
            do {
                results = try await FinalResults.fromStore(path: storePath, expected: Set(certificates.map(\.assessmentId)))
            } catch {
                connection.cleanUp()
                throw error
            }
            storeBytes = Int(StoreReader.fileSizeBytes(path: storePath))
        } else {
            // The daemon's stored results (capacity and error rate included), through its control
            // socket; what it cannot give comes from the published certificates.
            let stored = await FinalResults.fromDaemon(sessionIds: played.closed.keys.sorted(), proctors: connection.proctors)
            results = stored.results
            // A session whose stored results could not be read is counted: its certificates
            // give no θ̂ or error rate, so the digest cannot match the same run read whole.
            for _ in 0..<stored.refused { played.errors.record(.runResults) }
            let missing = certificates.filter { results[$0.assessmentId] == nil }
            if !missing.isEmpty {
                let fetched = await FinalResults.fromCertificates(missing, candidates: connection.candidates)
                results.merge(fetched.results) { stored, _ in stored }
                played.errors.merge(fetched.errors)
            }
            await connection.shutdown()
        }
        connection.cleanUp()

        let rows = candidateRows(sessions: sessions, played: played, results: results, groups: groups)
        var summary = makeSummary(scenario: scenario, transportName: connection.transportName, played: played,
                                  rows: rows, storeBytes: storeBytes)
        summary.certificationVersion = rules.version.id
        summary.engine = engine
        summary.certificationVersionHash = rules.version.contentHash
        if groups.isMixed {
            var breakdown = VersionBreakdown.make(rows: rows, versions: groups.versions, wallSeconds: played.wallSeconds)
            for group in groups.groups {
                guard case .clea(let clea) = group.complementary,
                      let entry = VersionBreakdown.clea(clea, core: group.rules.version,
                                                        rows: rows.filter { $0.group == group.name || groups.groups.count == 1 },
                                                        wallSeconds: played.wallSeconds)
                else { continue }
                breakdown.append(entry)
            }
            summary.byVersion = breakdown
        }
        let security = itemSecurity(sessions: sessions, played: played, groups: groups, scenario: scenario)
        summary.itemSecurity = security.measures.first
        if security.measures.count > 1 { summary.itemSecurityByBank = security.measures }
        summary.thresholds = ThresholdCheck.evaluate(summary, against: scenario.thresholds)
        if let baseline = scenario.thresholds.baseline {
            summary.thresholds = BaselineCheck.explain(summary.thresholds, candidates: rows, baseline: baseline,
                                                       outDirectory: options.outDirectory)
        }
        let timeline = played.simulatedTimeline.rows + played.realTimeline.rows
        let outcome = RunOutcome(
            summary: summary, candidates: rows, timeline: timeline, exposure: security.rows, retries: played.retries.byCode,
            failures: ThresholdCheck.failures(summary.thresholds), setupSeconds: played.setupSeconds,
            resultsSeconds: seconds(since: resultsBegan), outDirectory: options.outDirectory)
        if let directory = options.outDirectory {
            do {
                try RunFiles(summary: summary, candidates: rows, timeline: timeline, exposure: security.rows).write(to: directory)
            } catch {
                throw RunError(.runOutput, "cannot write the run's files to \(directory): \(error)")
            }
        }
        return outcome
    }

    /// Whole tests of the engine timed at the start of a run, in each of `engineRoundsAtStart`
    /// rounds (32 steps a test with the default settings: about 18,000 steps in all, some
    /// 10 ms). The median of 9 rounds: with 3 rounds of 32 tests the figure moved by up to 2×
    /// from run to run on one machine (461–1,012 ns), which moved every run's ratio with it.
    public static let engineTestsAtStart = 64
    public static let engineRoundsAtStart = 9

    /// The engine step's CPU time on the first group's bank and settings; nil when they cannot
    /// play the seeded test (a tiny bank, say): the run then reports no ratio.
    static func measureEngine(rules: CertificationRules, banks: [ItemBank]) -> EngineSpeed? {
        guard let bank = try? rules.version.servingBank(from: banks) else { return nil }
        return try? EngineSpeed.measure(bank: bank, configuration: rules.configuration,
                                        wholeTests: engineTestsAtStart, rounds: engineRoundsAtStart)
    }

    // MARK: - Phases

    /// What the candidate phase produced.
    struct PlayedDay: Sendable {
        var closed: [String: ClosedSession]
        var outcomes: [String: CandidateOutcome]
        var latency: LatencyRecorder
        var errors: ErrorCounts
        var retries: ErrorCounts
        var simulatedTimeline: Timeline
        var realTimeline: Timeline
        var answers: Int
        var peakActiveCandidates: Int
        var simulatedEndSeconds: Double
        var wallSeconds: Double
        var cpuSeconds: Double
        var setupSeconds: Double
    }

    /// Creates every session, logs in and enrols, a few sessions at a time.
    static func setUp(_ sessions: [SessionRun]) async throws(RunError) -> [SessionContext] {
        let finished = await withTaskGroup(of: SessionSetUp.self) { group in
            var finished: [SessionSetUp] = []
            finished.reserveCapacity(sessions.count)
            var launched = 0
            var failed = false
            while launched < min(sessions.count, setupParallelismMax) {
                let (index, session) = (launched, sessions[launched])
                launched += 1
                group.addTask { await session.setUpOutcome(index: index) }
            }
            while let done = await group.next() {
                finished.append(done)
                if done.error != nil { failed = true }
                if !failed, launched < sessions.count {
                    let (index, session) = (launched, sessions[launched])
                    launched += 1
                    group.addTask { await session.setUpOutcome(index: index) }
                }
            }
            return finished
        }
        if let failure = finished.filter({ $0.error != nil }).min(by: { $0.index < $1.index }), let error = failure.error {
            throw RunError(.runSetup, "cannot set up session \(sessions[failure.index].plan.sessionId): \(error)")
        }
        var contexts = [SessionContext?](repeating: nil, count: sessions.count)
        for done in finished { contexts[done.index] = done.context }
        return contexts.map { $0! }
    }

    /// Runs every candidate and closes every session.
    static func play(sessions: [SessionRun], contexts: [SessionContext], connection: DaemonConnection,
                     proctor: SimulatedProctor, groups: RunGroups, clock: VirtualClock, scenario: Scenario,
                     options: RunOptions, setupSeconds: Double) async -> PlayedDay {
        clock.begin()
        let began = clock.beganUptimeNanoseconds ?? VirtualClock.uptimeNanoseconds()
        let cpuBefore = ResourceUsage.current().cpuSeconds
        let recorder = RunRecorder(beganUptimeNanoseconds: began)
        let pacing = Pacing(clock: clock)
        let limits = FlowLimits()
        let total = sessions.reduce(0) { $0 + $1.simulated.count }
        let progress: Task<Void, Never>? = ProgressLine.shouldShow(options.progress)
            ? Task { await ProgressLine.run(recorder: recorder, total: total, beganUptimeNanoseconds: began,
                                            terminal: options.progress != .always) }
            : nil

        enum Finished: Sendable {
            case candidate(CandidateOutcome, ClosedSession?)
            case sessionClosed(ClosedSession?)
        }
        /// Closes a session; a failure is counted and leaves its candidates without results.
        @Sendable func close(_ session: SessionRun) async -> ClosedSession? {
            do throws(DaemonError) {
                return try await session.close()
            } catch {
                await recorder.recordError(error.code)
                return nil
            }
        }

        var closed: [String: ClosedSession] = [:]
        var outcomes: [String: CandidateOutcome] = [:]
        func collect(_ finished: Finished) {
            switch finished {
            case .candidate(let outcome, let session):
                outcomes[outcome.identity.candidateId] = outcome
                if let session { closed[session.detail.sessionId] = session }
            case .sessionClosed(let session):
                if let session { closed[session.detail.sessionId] = session }
            }
        }

        // With time_scale 0 the bound keeps `concurrency` candidates in flight; with k > 0 every
        // candidate waits for its own time and real concurrency follows the day's shape.
        let inFlightMax = scenario.timeScale > 0 ? Int.max : max(1, scenario.concurrency)
        await withTaskGroup(of: Finished.self) { group in
            var inFlight = 0
            for (index, session) in sessions.enumerated() {
                let context = contexts[index]
                if session.simulated.isEmpty {
                    group.addTask { .sessionClosed(await close(session)) }
                    continue
                }
                for candidate in session.simulated {
                    if inFlight >= inFlightMax, let finished = await group.next() {
                        collect(finished)
                        inFlight -= 1
                    }
                    inFlight += 1
                    let runGroup = groups.groups[session.plan.group]
                    let complementaryItems: TrueItemParameters? = if case .test(_, let items) = runGroup.complementary { items } else { nil }
                    group.addTask {
                        var flow = CandidateFlow(
                            candidate: candidate, session: context, proctor: proctor, candidates: connection.candidates,
                            proctors: connection.proctors, items: runGroup.items, complementaryItems: complementaryItems,
                            pacing: pacing, recorder: recorder, limits: limits)
                        let outcome = await flow.run()
                        let last = await session.candidateFinished(outcome)
                        return .candidate(outcome, last ? await close(session) : nil)
                    }
                }
            }
            while let finished = await group.next() { collect(finished) }
        }
        progress?.cancel()
        await progress?.value

        let wallSeconds = seconds(since: began)
        let cpuSeconds = ResourceUsage.current().cpuSeconds - cpuBefore
        var simulatedTimeline = await recorder.simulatedTimeline
        recordActiveCandidates(Array(outcomes.values), into: &simulatedTimeline)
        return PlayedDay(
            closed: closed, outcomes: outcomes, latency: await recorder.latency, errors: await recorder.errors,
            retries: await recorder.retries, simulatedTimeline: simulatedTimeline,
            realTimeline: await recorder.realTimeline, answers: await recorder.answers,
            peakActiveCandidates: await recorder.peakActiveCandidates,
            simulatedEndSeconds: await recorder.simulatedEndSeconds, wallSeconds: wallSeconds, cpuSeconds: cpuSeconds,
            setupSeconds: setupSeconds)
    }

    /// Tests in progress over simulated time, from each candidate's [start, end] interval: the
    /// same for every run of the scenario, however fast or concurrent.
    static func recordActiveCandidates(_ outcomes: [CandidateOutcome], into timeline: inout Timeline) {
        var events: [(seconds: Double, delta: Int)] = []
        events.reserveCapacity(outcomes.count * 2)
        for outcome in outcomes {
            guard let started = outcome.startedAtSeconds else { continue }
            events.append((started, 1))
            events.append((outcome.endedAtSeconds, -1))
        }
        // At equal times an end counts before a start.
        events.sort { $0.seconds == $1.seconds ? $0.delta < $1.delta : $0.seconds < $1.seconds }
        var active = 0
        for (offset, event) in events.enumerated() {
            active += event.delta
            // The count holds until the next event, through the buckets in between.
            let until = offset + 1 < events.count ? events[offset + 1].seconds : event.seconds
            timeline.recordActiveCandidates(active, fromSeconds: event.seconds, toSeconds: until)
        }
    }

    // MARK: - Results

    /// Word for a certification without a result: the test never started, or never ended in a
    /// result (e.g. its session could not be closed).
    public static let unfinishedStatus = "unfinished"
    /// Word for a certification whose flow failed on an error.
    public static let errorStatus = "error"

    static func candidateRows(sessions: [SessionRun], played: PlayedDay, results: [String: FinalResult],
                              groups: RunGroups) -> [CandidateRow] {
        var rows: [CandidateRow] = []
        rows.reserveCapacity(played.outcomes.count)
        for session in sessions {
            let group = groups.groups[session.plan.group]
            let closed = played.closed[session.plan.sessionId]
            // A candidate's rows by (candidate, version): the session's test and a complementary one.
            var summaries: [String: CandidateSummary] = [:]
            for summary in closed?.detail.candidates ?? [] {
                summaries[summary.candidateId + "\u{0}" + (summary.certificationVersion ?? group.rules.version.id)] = summary
            }
            var assessments: [String: String] = [:]
            for certificate in closed?.certificates ?? [] {
                assessments[certificate.candidateId + "\u{0}" + certificate.certificationVersion] = certificate.assessmentId
            }
            var tests: [(version: CertificationVersion, suffix: String, complementary: Bool)] = [
                (group.rules.version, "", false),
            ]
            if case .test(let rules, _) = group.complementary {
                tests.append((rules.version, "#" + rules.version.framework.rawValue, true))
            }
            for candidate in session.simulated {
                let identity = candidate.identity
                let outcome = played.outcomes[identity.candidateId]
                for test in tests {
                    let key = identity.candidateId + "\u{0}" + test.version.id
                    let summary = summaries[key]
                    let assessmentId = assessments[key] ?? summary?.assessmentId
                        ?? (test.complementary ? outcome?.complementaryAssessmentId : nil)
                    let result = assessmentId.flatMap { results[$0] }
                    let status: String
                    if let result {
                        status = result.status
                    } else if case .failed = outcome?.fate {
                        status = errorStatus
                    } else {
                        status = unfinishedStatus
                    }
                    let trueTheta = test.complementary ? (candidate.complementaryAbility ?? candidate.trueAbility) : candidate.trueAbility
                    let answers = summary?.answersCount
                        ?? (test.complementary ? outcome?.complementaryAnswers : outcome?.answersGiven) ?? 0
                    rows.append(CandidateRow(
                        candidateKey: identity.candidateId + test.suffix, personKey: personKey(identity.personIndex),
                        sitting: identity.sitting + 1, sessionIndex: session.plan.index, centre: session.plan.centre,
                        wave: session.plan.wave, needsAccessibility: candidate.needsAccessibility,
                        trueTheta: trueTheta, status: status, answers: answers,
                        abortReason: summary?.abortReason?.rawValue, estimatedTheta: result?.capacity,
                        errorRate: result?.errorRate, score: result?.pixScore, meshLevel: result?.meshLevel,
                        meshLevelFromTrueTheta: Scoring.grade(capacity: trueTheta, version: test.version).intervalIndex ?? -1,
                        competenceLevels: result?.competenceLevels ?? [:],
                        startedAtSeconds: test.complementary ? nil : outcome?.startedAtSeconds,
                        endedAtSeconds: test.complementary ? nil : outcome?.endedAtSeconds, version: result?.version,
                        statusReason: result?.statusReason, level: result?.level,
                        group: groups.groups.count > 1 ? group.name : nil, framework: test.version.framework.rawValue))
                }
            }
        }
        return rows
    }

    /// Exposure and test overlap from the challenges each candidate was served, in the rows' order
    /// (sessions in plan order, candidates in session order), which fixes the overlap's pair sample.
    /// Item security of each bank the run served (DESIGN §7): the scenario's own bank first, then
    /// each further bank that served a test; a complementary test counts for its own bank. The
    /// exposure rows of every measured bank, in that order (challenge ids differ across banks).
    static func itemSecurity(sessions: [SessionRun], played: PlayedDay, groups: RunGroups, scenario: Scenario)
        -> (measures: [ItemSecurity], rows: [ExposureRow])
    {
        var servedByBank: [String: [[Int32]]] = [:]
        for session in sessions {
            let group = groups.groups[session.plan.group]
            for candidate in session.simulated {
                guard let outcome = played.outcomes[candidate.identity.candidateId] else { continue }
                servedByBank[group.items.bank.version, default: []].append(outcome.served)
                if case .test(_, let items) = group.complementary {
                    servedByBank[items.bank.version, default: []].append(outcome.complementaryServed)
                }
            }
        }
        var measures: [ItemSecurity] = []
        var rows: [ExposureRow] = []
        for (index, bank) in groups.banks.enumerated() {
            let served = servedByBank[bank.version] ?? []
            guard index == 0 || served.contains(where: { !$0.isEmpty }) else { continue }
            let measured = ItemSecurity.measure(bank: bank, served: served, settings: scenario.itemSecurity, seed: scenario.seed)
            measures.append(measured.summary)
            rows += measured.rows
        }
        return (measures, rows)
    }

    static func personKey(_ index: Int) -> String {
        let text = String(index)
        return "p" + String(repeating: "0", count: max(0, 6 - text.count)) + text
    }

    static func makeSummary(scenario: Scenario, transportName: String, played: PlayedDay, rows: [CandidateRow],
                            storeBytes: Int?) -> Summary {
        // Counted in one pass: filtered copies of a year's 150,000 rows cost about 200 MB at the
        // moment the peak RSS is read.
        var started = 0, completed = 0, validated = 0, rejected = 0, cancelled = 0
        for row in rows {
            let status = CertificationStatus(rawValue: row.status)
            // A Pix+ test's row has no times of its own (the candidate's are on the first
            // test's row): it counts as started once it has a result.
            if row.startedAtSeconds != nil || status != nil { started += 1 }
            guard let status else { continue }
            completed += 1
            switch status {
            case .validated: validated += 1
            case .rejected: rejected += 1
            case .cancelled: cancelled += 1
            }
        }
        let wall = max(played.wallSeconds, 1e-9)
        return Summary(
            scenario: scenario.name, seed: scenario.seed, transport: transportName,
            estimator: scenario.estimator.rawValue, timeScale: scenario.timeScale, concurrency: scenario.concurrency,
            wallSeconds: played.wallSeconds, simulatedSeconds: played.simulatedEndSeconds,
            cpuSeconds: played.cpuSeconds, peakRSSBytes: ResourceUsage.current().peakRSSBytes, storeBytes: storeBytes,
            certifications: Summary.Certifications(
                started: started, completed: completed, validated: validated, rejected: rejected,
                cancelled: cancelled),
            answers: played.answers, answersPerSecond: Double(played.answers) / wall,
            certificationsPerSecond: Double(completed) / wall,
            peakConcurrentCandidates: played.peakActiveCandidates, latency: played.latency.allPercentiles(),
            errors: played.errors.byCode, consistency: CandidateRow.consistency(rows), digest: CandidateRow.digest(rows))
    }

    // MARK: - Inputs

    /// The scenario with the options' overrides applied and checked.
    static func effectiveScenario(_ input: Scenario, options: RunOptions) throws(RunError) -> Scenario {
        var scenario = input
        if let seed = options.seed { scenario.seed = seed }
        if let versionPath = options.versionPath { scenario.version = versionPath }
        if let transport = options.transport { scenario.transport = transport }
        if let concurrency = options.concurrency { scenario.concurrency = concurrency }
        if let timeScale = options.timeScale { scenario.timeScale = timeScale }
        if options.daemon != nil { scenario.transport = .http }
        guard scenario.concurrency >= 1, scenario.concurrency <= Scenario.concurrencyMax else {
            throw RunError.badOption("concurrency", "must be between 1 and \(Scenario.concurrencyMax), got \(scenario.concurrency)")
        }
        guard scenario.timeScale >= 0, scenario.timeScale.isFinite else {
            throw RunError.badOption("time scale", "must be 0 (as fast as possible) or a positive number, got \(scenario.timeScale)")
        }
        return scenario
    }

    static func loadBank(_ source: BankSource) throws(RunError) -> ItemBank {
        switch source {
        case .generated(let challenges, let seed):
            return BankGenerator.generate(challenges: challenges, seed: seed)
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                // A relative `bank:` was resolved against the scenario file's folder when it was loaded.
                throw RunError(.runBank, "the item bank \(path) does not exist (tried "
                    + "\(URL(fileURLWithPath: path).standardizedFileURL.path)); a relative bank path is read from the "
                    + "scenario file's folder")
            }
            do {
                return try ItemBank.load(path: path)
            } catch {
                throw RunError(.runBank, "cannot load the item bank \(path): \(error.message)")
            }
        }
    }

    static func seconds(since uptime: UInt64) -> Double {
        let now = VirtualClock.uptimeNanoseconds()
        return now > uptime ? Double(now - uptime) / 1e9 : 0
    }
}

/// What `ScenarioRunner.run` returns: the summary (with threshold outcomes), one row per
/// candidate, the timelines, and the broken thresholds as sentences.
///
/// Owned by the runner.
public struct RunOutcome: Sendable {
    public var summary: Summary
    public var candidates: [CandidateRow]
    /// Simulated-minute rows, then real-second rows.
    public var timeline: [TimelineRow]
    /// One row per challenge of the bank: times given and exposure rate.
    public var exposure: [ExposureRow] = []
    /// Retried refusals by code (BUSY, TOO_MANY_PENDING…); not errors unless the retries ran out.
    public var retries: [String: Int]
    /// One sentence per broken threshold, naming it.
    public var failures: [String]
    /// Real seconds spent opening the daemon and setting up sessions before the day began.
    public var setupSeconds: Double
    /// Real seconds spent shutting down and reading the results after the day.
    public var resultsSeconds: Double
    public var outDirectory: String?

    /// True when every threshold held.
    public var passed: Bool { failures.isEmpty }
    public var digest: String { summary.digest }
}
