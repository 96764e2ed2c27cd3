import CertCore
import CertDaemon
import CertLoad
import CertStore
import Foundation
import Synchronization
import Testing
import CertTestSupport

/// Crash chaos through the runner: a multi-session scenario runs with `ScenarioRunner.run`
/// against an external `certsim serve`, which the test kills with SIGKILL at K seeded moments
/// (once the daemon has acknowledged a seeded number of answers, read from /metrics) and
/// restarts on the same store, socket and port each time. The runner's candidates ride the
/// outages out as technical incidents (re-authorisation by their session's simulated proctor,
/// resume, the daemon's question number as the truth). At the end: the run reports no error,
/// every certification is scored, every journal holds questions 1…n once each, and the journals
/// and the digest are those of the same scenario run against a daemon never killed.
@Suite(.serialized) struct ChaosRunnerTests {
    /// Kills per run: 3 by default; `CERTSIM_CHAOS_KILLS=N` for longer local runs.
    static let kills = max(0, Int(ProcessInfo.processInfo.environment["CERTSIM_CHAOS_KILLS"] ?? "") ?? 3)
    /// `CERTSIM_CHAOS_KILL_AT=74,236` replays given kill points (answer counts) instead of seeded ones.
    static let killAtOverride: [Int]? = ProcessInfo.processInfo.environment["CERTSIM_CHAOS_KILL_AT"]
        .map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    static let chaosSeed: UInt64 = 20_260_301
    /// Longest a run may take before the test stops its daemon and gives up.
    static let runSecondsMax = 300.0
    /// Answers acknowledged before the first kill may land (the day is under way).
    static let firstKillAnswersMin = 20
    /// Share of the uninterrupted run's answers after which no kill is planned (the run must
    /// still be going when the last one is due).
    static let lastKillShare = 0.7
    /// How often the test reads the daemon's answer count.
    static let pollMilliseconds = 3

    /// Three sessions of six candidates; every behaviour on, so alerts, incidents and
    /// abandonments meet the outages too.
    static func scenario(bankPath: String) -> Scenario {
        var scenario = Scenario()
        scenario.name = "chaos-runner"
        scenario.seed = 20_260_302
        scenario.bank = .file(path: bankPath)
        scenario.day.centres = 1
        scenario.day.sessionsPerCentre = 3
        scenario.day.waves = 1
        scenario.day.candidatesPerSession = CountRange(fixed: 6)
        scenario.behaviour.abandonShare = 0.1
        scenario.behaviour.liveAlertRatePerQuestion = 0.03
        scenario.behaviour.technicalIncidentShare = 0.15
        scenario.behaviour.companionAlertShare = 0.15
        scenario.durability = .durable
        scenario.timeScale = 0
        scenario.concurrency = 6
        return scenario
    }

    /// What the store holds after a run: per "session/candidate", the journal as
    /// "questionNumber:challengeId:result" and the result as "pixScore/meshLevel/status".
    struct Stored: Equatable {
        var journals: [String: [String]] = [:]
        var results: [String: String] = [:]
        /// Tests without a result: "session/candidate: session status, candidate status, answers".
        var unscored: [String] = []
        var answers: Int { journals.values.reduce(0) { $0 + $1.count } }
    }

    struct Run {
        var outcome: RunOutcome
        var stored: Stored
        var killedAfterAnswers: [Int]
    }

    /// Runs the scenario against a fresh `certsim serve` in a new directory, killing and
    /// restarting it once the acknowledged answers reach each of `killAt`.
    static func run(binary: String, killAt: [Int]) async throws -> Run {
        let directory = try ServeChild.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bankPath = directory + "/bank.json"
        try ServeChild.bank.encoded().write(to: URL(fileURLWithPath: bankPath))
        let scenario = scenario(bankPath: bankPath)
        let port = try FixedPortServe.freePort()
        var serve = try await FixedPortServe.launch(binary: binary, directory: directory, port: port, seed: scenario.seed)

        var options = RunOptions()
        options.progress = .off
        options.daemon = .http(host: "127.0.0.1", port: port)
        options.controlSocketPath = serve.socketPath
        options.databasePath = serve.databasePath
        let (runner, finished) = RunFinished.start(scenario, options)

        var pending = killAt.sorted()
        var killedAfter: [Int] = []
        do {
            var metrics: ChaosHTTP?
            let deadline = ContinuousClock.now + .seconds(runSecondsMax)
            while !finished.value {
                guard ContinuousClock.now < deadline else {
                    throw ChaosFailure("the run did not finish within \(runSecondsMax) s; daemon log: \(serve.log().suffix(800))")
                }
                if let threshold = pending.first {
                    if metrics == nil { metrics = try? ChaosHTTP(port: port, timeoutSeconds: 5) }
                    var acknowledged: Int?
                    if let metrics { acknowledged = await answersTotal(metrics) }
                    if acknowledged == nil { metrics = nil }
                    if let acknowledged, acknowledged >= threshold {
                        pending.removeFirst()
                        killedAfter.append(acknowledged)
                        metrics = nil
                        serve.signal(SIGKILL)
                        serve.waitForExit(seconds: 30)
                        serve = try await FixedPortServe.launch(binary: binary, directory: directory, port: port, seed: scenario.seed)
                    }
                }
                try await Task.sleep(for: .milliseconds(pollMilliseconds))
            }
        } catch {
            // Kill everything: without a daemon the candidates fail within their outage limit.
            serve.signal(SIGKILL)
            serve.waitForExit(seconds: 30)
            _ = await runner.value
            throw error
        }
        let result = await runner.value
        serve.signal(SIGTERM)
        let stopped = serve.waitForExit(seconds: 60)
        let outcome: RunOutcome
        switch result {
        case .success(let value): outcome = value
        case .failure(let error): throw ChaosFailure("the run failed: \(error); daemon log: \(serve.log().suffix(800))")
        }
        #expect(stopped, "certsim serve stops on SIGTERM")
        #expect(pending.isEmpty, "every planned kill happened (left: \(pending))")
        return Run(outcome: outcome, stored: try stored(serve.databasePath), killedAfterAnswers: killedAfter)
    }

    /// `certsim_answers_total` from /metrics; nil when the daemon does not answer.
    static func answersTotal(_ http: ChaosHTTP) async -> Int? {
        guard let reply = await http.exchange("GET", "/metrics"), reply.status == 200 else { return nil }
        let text = String(decoding: reply.body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("certsim_answers_total ") {
            return Double(line.split(separator: " ").last ?? "").map { Int($0) }
        }
        return nil
    }

    /// The store's journals and results, checking that each journal holds questions 1…n once.
    static func stored(_ path: String) throws -> Stored {
        let reader = try StoreReader(path: path)
        var stored = Stored()
        let snapshot = try reader.recover()
        let sessionStatus = Dictionary(snapshot.sessions.map { ($0.id, $0.status) }, uniquingKeysWith: { $1 })
        let candidateStatus = Dictionary(snapshot.candidates.map { ("\($0.sessionId)/\($0.candidateId)", $0.status) },
                                         uniquingKeysWith: { $1 })
        for assessment in try reader.assessments() {
            let key = "\(assessment.sessionId)/\(assessment.candidateId)"
            let answers = try reader.answers(ofAssessment: assessment.id)
            #expect(answers.map(\.questionNumber) == (0..<answers.count).map { $0 + 1 },
                    "\(key): the journal holds questions 1…\(answers.count), each once")
            stored.journals[key] = answers.map { "\($0.questionNumber):\($0.challengeId):\($0.result)" }
            if let result = try reader.result(assessmentId: assessment.id) {
                stored.results[key] = "\(result.pixScore)/\(result.meshLevel)/\(result.status)"
            } else {
                stored.unscored.append("\(key): session \(sessionStatus[assessment.sessionId] ?? "?"), candidate \(candidateStatus[key] ?? "?"), \(answers.count) answers")
            }
        }
        return stored
    }

    /// K seeded answer counts in [firstKillAnswersMin, lastKillShare × total], one in the middle
    /// half of each of K equal slots (so two kills are at least half a slot apart).
    static func killPoints(count: Int, totalAnswers: Int) -> [Int] {
        guard count > 0 else { return [] }
        let low = Double(firstKillAnswersMin)
        let high = max(low + Double(count), Double(totalAnswers) * lastKillShare)
        let slot = (high - low) / Double(count)
        var random = SeededRandom(seed: chaosSeed, 1)
        return (0..<count).map { index in
            let start = low + slot * Double(index)
            return Int((start + slot * (0.25 + 0.5 * random.nextUnitInterval())).rounded())
        }
    }

    @Test(.enabled(if: ServeChild.binary != nil, "needs the certsim binary (swift build)"), .timeLimit(.minutes(15)))
    func theRunnerRidesOutKSigkillsAndGivesTheDigestOfTheUninterruptedRun() async throws {
        let binary = try #require(ServeChild.binary)
        let reference = try await Self.run(binary: binary, killAt: [])
        #expect(reference.outcome.summary.errors.isEmpty, "reference run: \(reference.outcome.summary.errors)")
        let candidates = reference.outcome.candidates.count
        #expect(candidates == 18)

        let killAt = Self.killAtOverride ?? Self.killPoints(count: Self.kills, totalAnswers: reference.stored.answers)
        let chaos = try await Self.run(binary: binary, killAt: killAt)
        let outcome = chaos.outcome
        print("ChaosRunnerTests: K=\(chaos.killedAfterAnswers.count) SIGKILLs (planned after \(killAt) acknowledged answers, landed after \(chaos.killedAfterAnswers)); \(chaos.stored.answers) answers stored; retries \(outcome.retries.sorted { $0.key < $1.key }); errors \(outcome.summary.errors); digests \(outcome.digest == reference.outcome.digest ? "equal" : "DIFFER")")

        #expect(chaos.killedAfterAnswers.count == killAt.count)
        #expect(outcome.summary.errors.isEmpty, "no candidate failed: \(outcome.summary.errors)")
        if Self.kills > 0 { #expect((outcome.retries["DAEMON_UNAVAILABLE"] ?? 0) > 0, "the outages were lived through") }
        // Every certification is scored: a result row for each candidate, a result in the store
        // for each test.
        #expect(outcome.candidates.count == candidates)
        for row in outcome.candidates {
            #expect(row.status == "validated" || row.status == "rejected", "\(row.candidateKey): \(row.status)")
        }
        #expect(chaos.stored.unscored.isEmpty, "tests without a result: \(chaos.stored.unscored)")
        #expect(chaos.stored.results.count == chaos.stored.journals.count)
        #expect(chaos.stored.journals.count == candidates)
        // The same answers to the same challenges, the same results, the same digest.
        for key in reference.stored.journals.keys.sorted() {
            #expect(chaos.stored.journals[key] == reference.stored.journals[key], "\(key): the journal of the uninterrupted run")
        }
        #expect(chaos.stored.results == reference.stored.results)
        #expect(outcome.digest == reference.outcome.digest)
    }

    @Test func killPointsAreSpreadOverTheRun() {
        // 3 kills over 600 answers: slots of (420 - 20) / 3 = 133.3 from 20; each point in the
        // middle half of its slot.
        let points = Self.killPoints(count: 3, totalAnswers: 600)
        #expect(points.count == 3)
        for (index, point) in points.enumerated() {
            let start = 20 + 400.0 / 3 * Double(index)
            #expect(Double(point) >= (start + 400.0 / 12).rounded(.down) && Double(point) <= (start + 400.0 / 4).rounded(.up))
        }
        #expect(Self.killPoints(count: 0, totalAnswers: 600).isEmpty)
    }
}

/// Set once the runner's task is over.
final class RunFinished: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var value: Bool { state.withLock { $0 } }

    /// Runs the scenario in a task of its own; the flag says when it is over.
    static func start(_ scenario: Scenario, _ options: RunOptions) -> (Task<Result<RunOutcome, RunError>, Never>, RunFinished) {
        let finished = RunFinished()
        let runner = Task { () -> Result<RunOutcome, RunError> in
            defer { finished.set() }
            do throws(RunError) {
                return .success(try await ScenarioRunner.run(scenario: scenario, options: options))
            } catch {
                return .failure(error)
            }
        }
        return (runner, finished)
    }
}

/// A `certsim serve` child on a given loopback port (so a restart is found where the runner
/// left it), store and socket in `directory`, the test bank `ServeChild.bank`.
final class FixedPortServe: Sendable {
    let process: Process
    let port: Int
    let directory: String
    var socketPath: String { directory + "/c.sock" }
    var databasePath: String { directory + "/store.sqlite" }
    /// Longest wait for the daemon to listen.
    static let listenSecondsMax = 60.0
    /// Launch tries when the port is not free yet after a kill.
    static let launchAttemptsMax = 20

    private init(process: Process, port: Int, directory: String) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// A port nothing listens on now (the kernel's pick for port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChaosFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ChaosFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `store` replaces the SQLite file's `--db` (e.g. a PostgreSQL URL and a daemon id).
    static func launch(binary: String, directory: String, port: Int, seed: UInt64,
                       store: [String]? = nil) async throws -> FixedPortServe {
        var lastFailure = ""
        for _ in 0..<launchAttemptsMax {
            let outPath = directory + "/serve.out"
            FileManager.default.createFile(atPath: outPath, contents: nil)
            let logPath = directory + "/serve.log"
            if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "serve"] + (store ?? ["--db", directory + "/store.sqlite"]) + ["--socket", directory + "/c.sock",
                "--http", "127.0.0.1:\(port)", "--bank", directory + "/bank.json", "--seed", String(seed),
                "--durability", "durable", "--engines", "2", "--log-level", "warning",
            ]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            log.seekToEndOfFile()
            process.standardError = log
            try process.run()
            let deadline = ContinuousClock.now + .seconds(listenSecondsMax)
            while ContinuousClock.now < deadline {
                let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
                if text.contains("candidate API on http://127.0.0.1:\(port)\n") {
                    return FixedPortServe(process: process, port: port, directory: directory)
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw ChaosFailure("certsim serve did not listen on port \(port) within \(listenSecondsMax) s")
            }
            lastFailure = "exit \(process.terminationStatus): \((try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(400) ?? "")"
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChaosFailure("certsim serve could not start on port \(port): \(lastFailure)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    @discardableResult
    func waitForExit(seconds: Double) -> Bool { process.waitForExit(seconds: seconds) }

    func log() -> String { (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "" }
}
