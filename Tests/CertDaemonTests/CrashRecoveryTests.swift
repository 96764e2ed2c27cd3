import CertCore
import CertDaemon
import Foundation
import Synchronization
import Testing
import CertTestSupport

/// Kills a real `certsim serve` process with SIGKILL in the middle of a session, restarts it on
/// the same store, and checks that every acknowledged answer survived and that the tests resume
/// to the same final results as an uninterrupted run with the same seed.
@Suite(.serialized) struct CrashRecoveryTests {
    static let candidates = ["c1", "c2"]

    @Test(.enabled(if: ServeProcess.binary != nil, "needs the certsim binary with its serve verb (swift build)"))
    func killedMidSessionResumesToTheSameResults() async throws {
        let binary = try #require(ServeProcess.binary)

        // The reference: one uninterrupted run.
        let reference = try TestDirectory()
        defer { reference.remove() }
        let uninterrupted = try await ServeProcess.launch(binary: binary, directory: reference)
        var referenceRun = try await SessionDriver.prepare(uninterrupted, candidates: Self.candidates)
        try await referenceRun.answerAll(untilCounts: ["c1": 32, "c2": 32])
        let expected = try await referenceRun.finish()
        try await uninterrupted.terminate()
        #expect(expected.results.count == 2)
        #expect(expected.servedChallenges.values.allSatisfy { $0.count == 32 })

        // The same session, killed after c1 has 12 acknowledged answers and c2 has 11, with one
        // more answer of c1 on the wire.
        let crashed = try TestDirectory()
        defer { crashed.remove() }
        let first = try await ServeProcess.launch(binary: binary, directory: crashed)
        var run = try await SessionDriver.prepare(first, candidates: Self.candidates)
        try await run.answerAll(untilCounts: ["c1": 12, "c2": 11])
        let acknowledged = run.acknowledgedCounts
        try await run.sendAnswerWithoutWaiting(candidate: "c1")
        first.kill()
        #expect(FileManager.default.fileExists(atPath: first.socketPath), "SIGKILL leaves the socket file behind")

        let second = try await ServeProcess.launch(binary: binary, directory: crashed)
        run = try await run.reconnect(to: second)
        let recovered = try await run.answerCounts()
        #expect(recovered["c2"] == acknowledged["c2"])
        let c1 = try #require(recovered["c1"])
        #expect(c1 == acknowledged["c1"]! || c1 == acknowledged["c1"]! + 1, "acknowledged answers are durable")

        try await run.resumeAll()
        try await run.answerAll(untilCounts: ["c1": 32, "c2": 32])
        let actual = try await run.finish()
        try await second.terminate()

        #expect(actual.servedChallenges == expected.servedChallenges)
        #expect(actual.results == expected.results)
        #expect(actual.certificates == expected.certificates)
    }

    /// Everything a proctor did survives a SIGKILL: an authorisation not yet used (with its
    /// expiry), an ongoing live alert, a validated one, an ongoing companion alert, an end by
    /// the invigilator. Each is checked after the restart through the control socket and HTTP.
    @Test(.enabled(if: ServeProcess.binary != nil, "needs the certsim binary with its serve verb (swift build)"))
    func everythingTheProctorDidSurvivesAKill() async throws {
        let binary = try #require(ServeProcess.binary)
        let directory = try TestDirectory()
        defer { directory.remove() }
        let first = try await ServeProcess.launch(binary: binary, directory: directory)
        var control = try ControlClient(socketPath: first.socketPath, timeoutSeconds: 20)
        var http = try LoopbackHTTPClient(port: first.port)
        let created = try await control.call("session.create", ["sessionId": "S1"]).result()
        let password = try #require(created["invigilatorPassword"]?.stringValue)
        let accessCode = try #require(created["accessCode"]?.stringValue)
        let candidates = ["authorised", "alerted", "validated", "companion", "ended"]
        for candidate in candidates {
            _ = try await control.call("candidate.enrol", ["sessionId": "S1", "candidateId": .string(candidate)]).result()
            _ = try await control.call("candidate.authorize", ["sessionId": "S1", "candidateId": .string(candidate)]).result()
        }
        var tokens: [String: (id: String, token: String)] = [:]
        var onScreen: [String: String] = [:]
        for candidate in candidates.dropFirst() {
            let started = try await http.json("POST", "/sessions/S1/candidates/\(candidate)/start", ["accessCode": .string(accessCode)])
            #expect(started.status == 200)
            let body = try started.json()
            let assessment = (try #require(body["assessmentId"]?.stringValue), try #require(body["token"]?.stringValue))
            tokens[candidate] = assessment
            let next = try await http.request("GET", "/assessments/\(assessment.0)/next", token: assessment.1)
            onScreen[candidate] = try #require(try next.json()["challengeId"]?.stringValue)
        }
        for candidate in ["alerted", "validated"] {
            let raised = try await http.json(
                "POST", "/assessments/\(tokens[candidate]!.id)/alerts", ["challengeId": .string(onScreen[candidate]!)],
                token: tokens[candidate]!.token)
            #expect(raised.status == 201 || raised.status == 200)
        }
        _ = try await control.call("alert.validate", ["sessionId": "S1", "candidateId": "validated",
                                                      "reason": "IMAGE_NOT_DISPLAYING"]).result()
        _ = try await control.call("companion.raise", ["sessionId": "S1", "candidateId": "companion"]).result()
        _ = try await control.call("candidate.end", ["sessionId": "S1", "candidateId": "ended"]).result()
        let before = try await control.call("session.show", ["sessionId": "S1"]).result()
        let alertsBefore = try await control.call("alert.list", ["sessionId": "S1"]).result()

        first.kill()
        let second = try await ServeProcess.launch(binary: binary, directory: directory)
        control = try ControlClient(socketPath: second.socketPath, timeoutSeconds: 20)
        http = try LoopbackHTTPClient(port: second.port)
        _ = try await control.call("login", ["sessionId": "S1", "password": .string(password)]).result()
        let after = try await control.call("session.show", ["sessionId": "S1"]).result()
        func row(_ detail: JSONValue, _ candidate: String) -> JSONValue? {
            detail["candidates"]?.arrayValue?.first { $0["candidateId"]?.stringValue == candidate }
        }
        // The authorisation given before the kill: same status, same expiry, and it still starts.
        #expect(row(after, "authorised")?["status"]?.stringValue == "authorizedToStart")
        #expect(row(after, "authorised")?["authorizedUntilSeconds"] == row(before, "authorised")?["authorizedUntilSeconds"])
        let started = try await http.json("POST", "/sessions/S1/candidates/authorised/start", ["accessCode": .string(accessCode)])
        #expect(started.status == 200, "no new authorisation needed: \(String(decoding: started.body, as: UTF8.self))")
        // The end by the invigilator.
        #expect(row(after, "ended")?["status"]?.stringValue == "endedByInvigilator")
        // The alerts, ongoing and validated, and the companion alert: the same list.
        let alertsAfter = try await control.call("alert.list", ["sessionId": "S1"]).result()
        #expect(alertsAfter == alertsBefore)
        #expect(alertsAfter.arrayValue?.count == 3)
        // The ongoing live alert still holds the candidate, on the same challenge, after a resume.
        _ = try await control.call("candidate.authorize", ["sessionId": "S1", "candidateId": "alerted"]).result()
        let resumed = try await http.json("POST", "/sessions/S1/candidates/alerted/start", ["accessCode": .string(accessCode)])
        let resumedToken = try #require(try resumed.json()["token"]?.stringValue)
        let held = try await http.request("GET", "/assessments/\(tokens["alerted"]!.id)/next", token: resumedToken)
        #expect(held.status == 409)
        #expect(held.errorCode == .liveAlertOngoing)
        _ = try await control.call("alert.dismiss", ["sessionId": "S1", "candidateId": "alerted"]).result()
        let same = try await http.request("GET", "/assessments/\(tokens["alerted"]!.id)/next", token: resumedToken)
        #expect(try same.json()["challengeId"]?.stringValue == onScreen["alerted"], "a dismissed alert keeps the challenge")
        // The validated alert's challenge stays out: another one is served after the resume.
        _ = try await control.call("candidate.authorize", ["sessionId": "S1", "candidateId": "validated"]).result()
        let validatedResume = try await http.json("POST", "/sessions/S1/candidates/validated/start", ["accessCode": .string(accessCode)])
        let validatedToken = try #require(try validatedResume.json()["token"]?.stringValue)
        let other = try await http.request("GET", "/assessments/\(tokens["validated"]!.id)/next", token: validatedToken)
        #expect(try other.json()["challengeId"]?.stringValue != onScreen["validated"])
        // The companion alert is still there to clear, once.
        _ = try await control.call("companion.clear", ["sessionId": "S1", "candidateId": "companion"]).result()
        #expect(try await control.call("companion.clear", ["sessionId": "S1", "candidateId": "companion"]).errorCode == .companionAlertNotOngoing)
        try await second.terminate()
    }

    @Test(.enabled(if: ServeProcess.binary != nil, "needs the certsim binary with its serve verb (swift build)"))
    func aSecondServeOnTheSameStoreIsRefused() async throws {
        let binary = try #require(ServeProcess.binary)
        let directory = try TestDirectory()
        defer { directory.remove() }
        let running = try await ServeProcess.launch(binary: binary, directory: directory)
        let store = directory.path + "/store.sqlite"

        // Another socket, so that only the store is shared.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: binary)
        second.arguments = [
            "serve", "--db", store, "--socket", directory.path + "/other.sock", "--http", "127.0.0.1:0",
            "--bank", directory.path + "/bank.json", "--log-level", "warning",
        ]
        let errorPath = directory.path + "/second.err"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        second.standardOutput = FileHandle.nullDevice
        second.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try second.run()
        let deadline = Date().addingTimeInterval(60)
        while second.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if second.isRunning { second.terminate() }
        let message = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(second.terminationReason == .exit && second.terminationStatus == 1)
        #expect(message.contains("error: STORE_LOCKED: "), "the store's own code, not wrapped: \(message)")
        #expect(message.contains(store), "stderr: \(message)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/other.sock"))

        // The first daemon still answers, and stops cleanly.
        let control = try ControlClient(socketPath: running.socketPath, timeoutSeconds: 10)
        _ = try await control.call("stats").result()
        try await running.terminate()
    }
}

/// Drives one session of a `certsim serve` process: proctor commands on the control socket,
/// candidates over HTTP.
struct SessionDriver {
    struct Outcome: Equatable {
        var servedChallenges: [String: [String]]
        /// candidate → "score/status" from `session.show`.
        var results: [String: String]
        /// candidate → "score/level/competences/status" from `GET /certificates/{code}`.
        var certificates: [String: String]
    }

    var process: ServeProcess
    var control: ControlClient
    var http: LoopbackHTTPClient
    let password: String
    let accessCode: String
    var assessments: [String: (id: String, token: String)] = [:]
    var servedChallenges: [String: [String]] = [:]
    var acknowledgedCounts: [String: Int] = [:]
    /// Challenges served and not yet answered (answered when the driver resumes).
    var current: [String: String] = [:]

    static func prepare(_ process: ServeProcess, candidates: [String]) async throws -> SessionDriver {
        let control = try ControlClient(socketPath: process.socketPath, timeoutSeconds: 20)
        let created = try await control.call("session.create", ["sessionId": "S1", "name": "crash test"]).result()
        var driver = SessionDriver(
            process: process, control: control, http: try LoopbackHTTPClient(port: process.port),
            password: try #require(created["invigilatorPassword"]?.stringValue),
            accessCode: try #require(created["accessCode"]?.stringValue))
        for candidate in candidates {
            _ = try await control.call("candidate.enrol", ["sessionId": "S1", "candidateId": .string(candidate)]).result()
            driver.acknowledgedCounts[candidate] = 0
            driver.servedChallenges[candidate] = []
        }
        try await driver.resumeAll()
        return driver
    }

    /// Authorises and (re)starts every candidate.
    mutating func resumeAll() async throws {
        for candidate in acknowledgedCounts.keys.sorted() {
            _ = try await control.call("candidate.authorize", ["sessionId": "S1", "candidateId": .string(candidate)]).result()
            let reply = try await http.json("POST", "/sessions/S1/candidates/\(candidate)/start", ["accessCode": .string(accessCode)])
            guard reply.status == 200 else { throw TestFailure("start \(candidate): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))") }
            let body = try reply.json()
            assessments[candidate] = (try #require(body["assessmentId"]?.stringValue), try #require(body["token"]?.stringValue))
        }
    }

    /// Answers, candidates in turn, until each has `untilCounts` acknowledged answers.
    mutating func answerAll(untilCounts: [String: Int]) async throws {
        var progressed = true
        while progressed {
            progressed = false
            for candidate in untilCounts.keys.sorted() where acknowledgedCounts[candidate]! < untilCounts[candidate]! {
                try await answerOne(candidate: candidate)
                progressed = true
            }
        }
    }

    private mutating func serve(candidate: String) async throws -> String? {
        let assessment = assessments[candidate]!
        let reply = try await http.request("GET", "/assessments/\(assessment.id)/next", token: assessment.token)
        if reply.status == 204 { return nil }
        guard reply.status == 200 else { throw TestFailure("next \(candidate): \(reply.status)") }
        let challengeId = try #require(try reply.json()["challengeId"]?.stringValue)
        if current[candidate] != challengeId {
            // A challenge served again after the crash is the same one, not a new question.
            servedChallenges[candidate]!.append(challengeId)
            current[candidate] = challengeId
        }
        return challengeId
    }

    private mutating func answerOne(candidate: String) async throws {
        guard let challengeId = try await serve(candidate: candidate) else { throw TestFailure("\(candidate)'s test ended early") }
        let assessment = assessments[candidate]!
        let reply = try await http.json(
            "POST", "/assessments/\(assessment.id)/answers",
            ["challengeId": .string(challengeId), "result": .string(testAnswer(for: challengeId).rawValue)], token: assessment.token)
        guard reply.status == 201 else { throw TestFailure("answer \(candidate): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))") }
        acknowledgedCounts[candidate]! = try #require(try reply.json()["answersCount"]?.intValue)
        current[candidate] = nil
    }

    /// Serves the next challenge and sends its answer without reading the acknowledgement.
    mutating func sendAnswerWithoutWaiting(candidate: String) async throws {
        guard let challengeId = try await serve(candidate: candidate) else { return }
        let assessment = assessments[candidate]!
        let body = Data(JSONValue.object(["challengeId": .string(challengeId), "result": .string(testAnswer(for: challengeId).rawValue)]).jsonText().utf8)
        // A separate connection, abandoned: the process is killed while it may be in flight.
        let abandoned = try LoopbackHTTPClient(port: process.port)
        try abandoned.sendOnly("POST", "/assessments/\(assessment.id)/answers", body: body, token: assessment.token)
        try await Task.sleep(for: .milliseconds(2))
    }

    /// Connects to a restarted process (log in again: logins belong to a connection).
    func reconnect(to process: ServeProcess) async throws -> SessionDriver {
        var driver = self
        driver.process = process
        driver.control = try ControlClient(socketPath: process.socketPath, timeoutSeconds: 20)
        driver.http = try LoopbackHTTPClient(port: process.port)
        _ = try await driver.control.call("login", ["sessionId": "S1", "password": .string(password)]).result()
        return driver
    }

    func answerCounts() async throws -> [String: Int] {
        let detail = try await control.call("session.show", ["sessionId": "S1"]).result()
        var counts: [String: Int] = [:]
        for candidate in detail["candidates"]?.arrayValue ?? [] {
            counts[candidate["candidateId"]?.stringValue ?? "?"] = candidate["answersCount"]?.intValue
        }
        return counts
    }

    /// Checks every test is over (204), finalises, publishes and reads the certificates.
    mutating func finish() async throws -> Outcome {
        for candidate in assessments.keys.sorted() {
            #expect(try await serve(candidate: candidate) == nil, "\(candidate)'s test is over")
        }
        _ = try await control.call("session.finalize", ["sessionId": "S1"]).result()
        let detail = try await control.call("session.show", ["sessionId": "S1"]).result()
        var results: [String: String] = [:]
        for candidate in detail["candidates"]?.arrayValue ?? [] {
            results[candidate["candidateId"]?.stringValue ?? "?"] =
                "\(candidate["pixScore"]?.jsonText() ?? "-")/\(candidate["certificationStatus"]?.jsonText() ?? "-")"
        }
        let published = try await control.call("session.publish", ["sessionId": "S1"]).result()
        var certificates: [String: String] = [:]
        for certificate in published.arrayValue ?? [] {
            let code = try #require(certificate["verificationCode"]?.stringValue)
            let reply = try await http.request("GET", "/certificates/\(code)")
            #expect(reply.status == 200)
            let body = try reply.json()
            certificates[body["candidateId"]?.stringValue ?? "?"] =
                "\(body["pixScore"]?.jsonText() ?? "")/\(body["meshLevel"]?.jsonText() ?? "")/\(body["competenceLevels"]?.jsonText() ?? "")/\(body["status"]?.jsonText() ?? "")"
        }
        return Outcome(servedChallenges: servedChallenges, results: results, certificates: certificates)
    }
}

/// A `certsim serve` child process on a free loopback port, with its socket and store in
/// `directory`.
final class ServeProcess: Sendable {
    let process: Process
    let port: Int
    let socketPath: String

    /// The built `certsim` binary, if it has the `serve` verb.
    static let binary: String? = {
        let testBundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // CERTSIM_TEST_BINARY points the test at another build of the binary.
        let override = ProcessInfo.processInfo.environment["CERTSIM_TEST_BINARY"].map { [$0] } ?? []
        let candidates = override + [
            testBundleDirectory.appendingPathComponent("certsim").path,
            testBundleDirectory.deletingLastPathComponent().appendingPathComponent("certsim").path,
            packageRoot.appendingPathComponent(".build/debug/certsim").path,
        ]
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            // An older binary without the verb prints the root usage instead.
            if let help = try? runCapturing(path, ["serve", "--help"], timeoutSeconds: 30), help.contains("--durability") {
                return path
            }
        }
        return nil
    }()

    private init(process: Process, port: Int, socketPath: String) {
        self.process = process
        self.port = port
        self.socketPath = socketPath
    }

    static func launch(binary: String, directory: TestDirectory, seed: UInt64 = 42) async throws -> ServeProcess {
        let bankPath = directory.path + "/bank.json"
        if !FileManager.default.fileExists(atPath: bankPath) {
            try TestBank.bank.encoded().write(to: URL(fileURLWithPath: bankPath))
        }
        let socketPath = directory.path + "/c.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--db", directory.path + "/store.sqlite", "--socket", socketPath, "--http", "127.0.0.1:0",
            "--bank", bankPath, "--seed", String(seed), "--engines", "2", "--log-level", "warning",
        ]
        let output = Pipe()
        process.standardOutput = output
        FileManager.default.createFile(atPath: directory.path + "/serve.log", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path + "/serve.log"))
        let printed = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            printed.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()

        // The port is printed once the daemon listens: "candidate API on http://127.0.0.1:PORT".
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let text = printed.withLock { $0 }
            if let range = text.range(of: "candidate API on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == "\n" {
                    return ServeProcess(process: process, port: port, socketPath: socketPath)
                }
            }
            guard process.isRunning else {
                let log = (try? String(contentsOfFile: directory.path + "/serve.log", encoding: .utf8)) ?? ""
                throw TestFailure("certsim serve exited with \(process.terminationStatus): \(text) \(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw TestFailure("certsim serve did not print its port within 120 s")
    }

    /// SIGKILL: no shutdown, no flush, the socket file stays.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        waitForExit(seconds: 30)
    }

    /// SIGTERM: the graceful shutdown; checks it exits 0.
    func terminate() async throws {
        process.terminate()
        waitForExit(seconds: 60)
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath), "a graceful shutdown removes the socket file")
    }

    private func waitForExit(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
    }
}

/// Runs a command to completion and returns its standard output; nil on timeout or failure.
func runCapturing(_ path: String, _ arguments: [String], timeoutSeconds: Double) throws -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = try TestDirectory()
    defer { output.remove() }
    let outputPath = output.path + "/out"
    FileManager.default.createFile(atPath: outputPath, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = FileHandle.nullDevice
    try process.run()
    guard process.waitForExit(seconds: timeoutSeconds), process.terminationStatus == 0 else { return nil }
    return try String(contentsOfFile: outputPath, encoding: .utf8)
}

extension LoopbackHTTPClient {
    /// Sends a request and does not wait for its answer.
    func sendOnly(_ method: String, _ path: String, body: Data, token: String) throws {
        try sendRequest(method, path, body: body, token: token, headers: [:])
    }
}
