import CertCore
import CertDaemon
import CertTestSupport
import CertStore
import Foundation
import Synchronization
import Testing

/// SIGTERM to a real `certsim serve` while candidates answer over HTTP: the process exits 0,
/// removes its socket file, every acknowledged answer is in the store exactly once, requests
/// caught in the shutdown are completed or refused with a retryable error (or find the
/// connection closed, unacknowledged), and the next start recovers and resumes.
@Suite(.serialized) struct ShutdownTests {
    static let candidates = (1...6).map { "c\($0)" }

    @Test(.enabled(if: ServeChild.binary != nil, "needs the certsim binary (swift build)"), .timeLimit(.minutes(3)))
    func sigtermUnderLoadLosesNoAcknowledgedAnswer() async throws {
        let binary = try #require(ServeChild.binary)
        let directory = try ServeChild.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let serve = try await ServeChild.launch(binary: binary, directory: directory)
        let control = try ControlClient(socketPath: serve.socketPath, timeoutSeconds: 20)
        let created = try await control.call("session.create", ["sessionId": "S1"]).chaosResult()
        let accessCode = try #require(created["accessCode"]?.stringValue)
        let password = try #require(created["invigilatorPassword"]?.stringValue)
        var assessments: [String: (id: String, token: String)] = [:]
        for candidate in Self.candidates {
            _ = try await control.call("candidate.enrol", ["sessionId": "S1", "candidateId": .string(candidate)]).chaosResult()
            _ = try await control.call("candidate.authorize", ["sessionId": "S1", "candidateId": .string(candidate)]).chaosResult()
            let http = try ChaosHTTP(port: serve.port)
            let start = await http.exchange("POST", "/sessions/S1/candidates/\(candidate)/start", body: #"{"accessCode":"\#(accessCode)"}"#)
            let json = try #require(start?.json)
            assessments[candidate] = (json["assessmentId"]!.stringValue!, json["token"]!.stringValue!)
        }

        // Load: every candidate answers as fast as it can on its own connection.
        let ledger = ChaosLedger()
        let port = serve.port
        let startedAssessments = assessments
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for candidate in Self.candidates {
                    let assessment = startedAssessments[candidate]!
                    group.addTask {
                        guard let http = try? ChaosHTTP(port: port) else { return }
                        for _ in 0..<32 {
                            guard let next = await http.exchange("GET", "/assessments/\(assessment.id)/next", token: assessment.token) else {
                                ledger.note("no reply"); return
                            }
                            guard next.status == 200, let challengeId = next.json?["challengeId"]?.stringValue else {
                                ledger.note(next.status == 204 ? "done" : "next \(next.status) \(next.errorCode?.rawValue ?? "")")
                                if next.status == 503 { #expect(next.headers["retry-after"] != nil) }
                                return
                            }
                            let body = #"{"challengeId":"\#(challengeId)","result":"\#(ChaosAnswers.result(candidate, challengeId).rawValue)"}"#
                            guard let reply = await http.exchange("POST", "/assessments/\(assessment.id)/answers", body: body, token: assessment.token) else {
                                ledger.note("answer without reply"); return
                            }
                            if reply.status == 201, let number = reply.json?["questionNumber"]?.intValue {
                                ledger.acknowledge(candidate, number, challengeId)
                            } else {
                                ledger.note("answer \(reply.status) \(reply.errorCode?.rawValue ?? "")")
                                #expect(reply.status == 503 && reply.headers["retry-after"] != nil,
                                        "a request caught by the shutdown is refused as retryable: \(reply.status) \(reply.errorCode?.rawValue ?? "")")
                                return
                            }
                        }
                    }
                }
            }
        }
        // SIGTERM once the load is well under way.
        let deadline = ContinuousClock.now + .seconds(60)
        while ledger.acknowledgedCount < 40, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        let acknowledgedAtSignal = ledger.acknowledgedCount
        serve.signal(SIGTERM)
        let exited = serve.waitForExit(seconds: 60)
        await load.value
        #expect(exited, "certsim serve exits after SIGTERM")
        #expect(serve.exitStatus == 0, "exit status \(serve.exitStatus ?? -1); log: \(serve.log().suffix(600))")
        #expect(!FileManager.default.fileExists(atPath: serve.socketPath), "the socket file is removed")
        #expect(!FileManager.default.fileExists(atPath: directory + "/store.sqlite-wal") || ServeChild.fileSize(directory + "/store.sqlite-wal") == 0,
                "the writer flushed and checkpointed")
        print("ShutdownTests: SIGTERM after \(acknowledgedAtSignal) acknowledged answers; \(ledger.acknowledgedCount) acknowledged in all; requests caught by the shutdown: \(ledger.notes)")
        #expect(acknowledgedAtSignal >= 40 && ledger.acknowledgedCount < Self.candidates.count * 32, "the signal came during the load")

        // Every acknowledged answer is in the store, once, with its challenge.
        let reader = try StoreReader(path: directory + "/store.sqlite")
        for candidate in Self.candidates {
            let stored = try reader.answers(ofAssessment: assessments[candidate]!.id)
            let numbers = stored.map(\.questionNumber)
            #expect(numbers == Array(0..<numbers.count).map { $0 + 1 }, "\(candidate): the journal holds questions 1...n once each")
            for (number, challengeId) in ledger.acknowledged(candidate) {
                #expect(stored.first { $0.questionNumber == number }?.challengeId == challengeId, "\(candidate) q\(number) acknowledged and stored")
            }
            #expect(stored.count <= ledger.acknowledged(candidate).count + 1, "at most the one unacknowledged answer in flight was stored")
        }

        // The next start recovers cleanly and the tests resume.
        let again = try await ServeChild.launch(binary: binary, directory: directory)
        let proctor = try ControlClient(socketPath: again.socketPath, timeoutSeconds: 20)
        _ = try await proctor.call("login", ["sessionId": "S1", "password": .string(password)]).chaosResult()
        let detail = try await proctor.call("session.show", ["sessionId": "S1"]).chaosResult()
        for summary in detail["candidates"]?.arrayValue ?? [] {
            let candidate = summary["candidateId"]?.stringValue ?? "?"
            #expect(summary["answersCount"]?.intValue == (try reader.answers(ofAssessment: assessments[candidate]!.id).count))
        }
        _ = try await proctor.call("candidate.authorize", ["sessionId": "S1", "candidateId": "c1"]).chaosResult()
        let http = try ChaosHTTP(port: again.port)
        let resumed = await http.exchange("POST", "/sessions/S1/candidates/c1/start", body: #"{"accessCode":"\#(accessCode)"}"#)
        #expect(resumed?.json?["resumed"]?.boolValue == true)
        let token = try #require(resumed?.json?["token"]?.stringValue)
        #expect(await http.exchange("GET", "/assessments/\(assessments["c1"]!.id)/next", token: token)?.status == 200)
        again.signal(SIGTERM)
        #expect(again.waitForExit(seconds: 60) && again.exitStatus == 0)
    }
}

// MARK: - Helpers shared with the chaos test

/// A `certsim serve` child process on a free loopback port, store and socket in `directory`.
final class ServeChild: Sendable {
    let process: Process
    let port: Int
    let socketPath: String
    let directory: String

    static let binary: String? = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for path in [bundle.appendingPathComponent("certsim").path, bundle.deletingLastPathComponent().appendingPathComponent("certsim").path,
                     root.appendingPathComponent(".build/debug/certsim").path]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }()

    static let bank = BankGenerator.generate(challenges: 640, seed: 11)

    static func directory() throws -> String {
        var template = Array("/tmp/certsim-e-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw ChaosFailure("mkdtemp failed") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private init(process: Process, port: Int, socketPath: String, directory: String) {
        self.process = process
        self.port = port
        self.socketPath = socketPath
        self.directory = directory
    }

    static func launch(binary: String, directory: String, seed: UInt64 = 42) async throws -> ServeChild {
        let bankPath = directory + "/bank.json"
        if !FileManager.default.fileExists(atPath: bankPath) { try bank.encoded().write(to: URL(fileURLWithPath: bankPath)) }
        let outPath = directory + "/serve.out"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        let logPath = directory + "/serve.log"
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--db", directory + "/store.sqlite", "--socket", directory + "/c.sock", "--http", "127.0.0.1:0",
            "--bank", bankPath, "--seed", String(seed), "--engines", "2", "--log-level", "warning",
        ]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "candidate API on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == "\n" {
                    return ServeChild(process: process, port: port, socketPath: directory + "/c.sock", directory: directory)
                }
            }
            guard process.isRunning else {
                throw ChaosFailure("certsim serve exited with \(process.terminationStatus): \(text) \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.terminate()
        throw ChaosFailure("certsim serve did not listen within 60 s")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    @discardableResult
    func waitForExit(seconds: Double) -> Bool { process.waitForExit(seconds: seconds) }

    var exitStatus: Int32? {
        process.isRunning ? nil : (process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus)
    }

    func log() -> String { (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "" }
}

struct ChaosFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The simulated candidate's answer: keyed by candidate and challenge only, so a replay after
/// a crash answers the same way.
enum ChaosAnswers {
    static func result(_ candidate: String, _ challengeId: String) -> AnswerResult {
        switch SeededRandom.key(candidate + "/" + challengeId) % 5 {
        case 0, 1: .ko
        default: .ok
        }
    }
}

/// What the daemon acknowledged, per candidate: question number → challenge.
final class ChaosLedger: Sendable {
    private let state = Mutex<(acknowledged: [String: [Int: String]], notes: [String: Int])>(([:], [:]))

    func acknowledge(_ candidate: String, _ number: Int, _ challengeId: String) {
        state.withLock { state in
            if let previous = state.acknowledged[candidate]?[number] {
                state.notes["acknowledged twice (\(previous == challengeId ? "same" : "other") challenge)", default: 0] += 1
            }
            state.acknowledged[candidate, default: [:]][number] = challengeId
        }
    }

    func note(_ what: String) { state.withLock { $0.notes[what, default: 0] += 1 } }
    var notes: [String: Int] { state.withLock { $0.notes } }
    var acknowledgedCount: Int { state.withLock { $0.acknowledged.values.reduce(0) { $0 + $1.count } } }
    func acknowledged(_ candidate: String) -> [Int: String] { state.withLock { $0.acknowledged[candidate] ?? [:] } }
}

/// The crash and shutdown tests' connection: the shared one of CertTestSupport.
typealias ChaosHTTP = LoopbackHTTPConnection

extension ControlResponse {
    func chaosResult() throws -> JSONValue {
        if case .success(_, let result) = self { return result }
        throw ChaosFailure("control refusal: \(self)")
    }
}
