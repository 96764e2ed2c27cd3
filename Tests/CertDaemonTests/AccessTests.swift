import CertCore
import CertDaemon
import Foundation
import Logging
import Synchronization
import Testing

/// Who may do what, tried by someone who may not: the control socket (file mode, login per
/// session, lockout after failed logins, secrets kept out of the logs) and the candidate API
/// over real HTTP (a token reaches only its own assessment; wrong access code, missing or
/// expired authorisation, finished test, another candidate's or another session's ids).
@Suite(.serialized) struct AccessTests {
    // MARK: Control socket

    @Test func socketFileIsOwnerOnlyByDefault() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        var status = stat()
        #expect(lstat(daemon.socketPath, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o600)
        try await daemon.shutdown()
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "a graceful shutdown removes the socket file")
    }

    @Test func proctorActsOnlyOnSessionsItLoggedInTo() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        let s1 = try await Reliability.session(daemon.core.proctors, id: "S1", candidates: ["c1"])
        let s2 = try await Reliability.session(daemon.core.proctors, id: "S2", candidates: ["c2"])

        let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        let scoped: [(String, [String: JSONValue])] = [
            ("session.show", [:]), ("candidate.enrol", ["candidateId": "x"]), ("candidate.authorize", ["candidateId": "c1"]),
            ("candidate.end", ["candidateId": "c1"]), ("alert.list", [:]), ("alert.validate", ["candidateId": "c1"]),
            ("alert.dismiss", ["candidateId": "c1"]), ("companion.raise", ["candidateId": "c1"]),
            ("companion.clear", ["candidateId": "c1"]), ("session.finalize", [:]), ("session.publish", [:]), ("watch", [:]),
        ]
        // Not logged in: every session-scoped command is refused, on both sessions.
        for (command, arguments) in scoped {
            for session in ["S1", "S2"] {
                let reply = try await client.call(command, arguments.merging(["sessionId": .string(session)]) { $1 })
                #expect(Self.code(reply) == .notLoggedIn, "\(command) on \(session) before login")
            }
        }
        // Wrong password, another session's password, an unknown session: the same refusal.
        #expect(Self.code(try await client.call("login", ["sessionId": "S1", "password": "wrong!"])) == .invalidCredentials)
        #expect(Self.code(try await client.call("login", ["sessionId": "S1", "password": .string(s2.invigilatorPassword)])) == .invalidCredentials)
        #expect(Self.code(try await client.call("login", ["sessionId": "S9", "password": .string(s1.invigilatorPassword)])) == .invalidCredentials)
        // Logged in to S1: S1 works, S2 is still refused.
        #expect(Self.code(try await client.call("login", ["sessionId": "S1", "password": .string(s1.invigilatorPassword)])) == nil)
        #expect(Self.code(try await client.call("candidate.authorize", ["sessionId": "S1", "candidateId": "c1"])) == nil)
        for (command, arguments) in scoped where command != "watch" {
            let reply = try await client.call(command, arguments.merging(["sessionId": "S2"]) { $1 })
            #expect(Self.code(reply) == .notLoggedIn, "\(command) on S2 while logged in to S1")
        }
        // Nothing of S2 changed.
        let detail = try await daemon.core.proctors.showSession("S2")
        #expect(detail.candidates.map(\.status) == ["enrolled"])
        #expect(detail.status == "created")
        // A login belongs to its connection.
        let other = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        #expect(Self.code(try await other.call("session.show", ["sessionId": "S1"])) == .notLoggedIn)
        try await daemon.shutdown()
    }

    @Test func repeatedFailedLoginsLockTheConnectionOut() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        var limits = ControlLimits()
        limits.loginFailuresMax = 3
        limits.loginLockSeconds = 60
        let daemon = try await Reliability.daemon(in: directory, controlLimits: limits)
        let s1 = try await Reliability.session(daemon.core.proctors, id: "S1", candidates: ["c1"])

        let attacker = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        var codes: [ErrorCode?] = []
        for guess in 0..<limits.loginFailuresMax {
            codes.append(Self.code(try await attacker.call("login", ["sessionId": "S1", "password": .string("guess\(guess)")])))
        }
        #expect(codes == Array(repeating: .invalidCredentials, count: limits.loginFailuresMax))
        // Locked: even the right password is refused now, with a retry delay.
        let locked = try await attacker.call("login", ["sessionId": "S1", "password": .string(s1.invigilatorPassword)])
        #expect(Self.code(locked) == .loginLocked)
        #expect(Self.code(try await attacker.call("session.show", ["sessionId": "S1"])) == .notLoggedIn)

        // A new connection must not give the guesser a fresh set of tries on the same session.
        let again = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        _ = try await again.call("login", ["sessionId": "S1", "password": "guess-again"])
        let afterReconnect = try await again.call("login", ["sessionId": "S1", "password": "guess-again-2"])
        #expect(Self.code(afterReconnect) == .loginLocked, "failed logins on a new connection: \(Self.code(afterReconnect)?.rawValue ?? "ok")")
        try await daemon.shutdown()
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let lines = LogLines()
        var logger = Logger(label: "certsim.capture") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let daemon = try await Reliability.daemon(in: directory, logger: logger)
        let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        let created = try await client.call("session.create", ["sessionId": "S1"]).resultValue()
        let password = try #require(created["invigilatorPassword"]?.stringValue)
        let accessCode = try #require(created["accessCode"]?.stringValue)
        _ = try await client.call("candidate.enrol", ["sessionId": "S1", "candidateId": "c1"])
        _ = try await client.call("candidate.authorize", ["sessionId": "S1", "candidateId": "c1"])
        let other = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        _ = try await other.call("login", ["sessionId": "S1", "password": .string("Wrong-\(password)")])
        _ = try await other.call("login", ["sessionId": "S1", "password": .string(password)])

        let http = try RawHTTPConnection(port: daemon.httpPort)
        let start = await http.exchange(RawHTTPConnection.request(
            "POST", "/sessions/S1/candidates/c1/start", body: Data(#"{"accessCode":"\#(accessCode)"}"#.utf8)))
        let token = try #require(start?.json?["token"]?.stringValue)
        let assessmentId = try #require(start?.json?["assessmentId"]?.stringValue)
        let next = await http.exchange(RawHTTPConnection.request("GET", "/assessments/\(assessmentId)/next", token: token))
        let challengeId = try #require(next?.json?["challengeId"]?.stringValue)
        _ = await http.exchange(RawHTTPConnection.request(
            "POST", "/assessments/\(assessmentId)/answers", body: Data(#"{"challengeId":"\#(challengeId)","result":"ok"}"#.utf8),
            token: token))
        // Refused requests log too (a wrong token, a 500 path is not reachable from here).
        _ = await http.exchange(RawHTTPConnection.request("GET", "/assessments/\(assessmentId)/next", token: token + "x"))
        _ = await http.exchange(RawHTTPConnection.request(
            "POST", "/sessions/S1/candidates/c1/start", body: Data(#"{"accessCode":"\#(accessCode)"}"#.utf8)))
        try await daemon.shutdown()

        let captured = lines.all
        #expect(!captured.isEmpty, "the capture sees the daemon's logs")
        for secret in [password, token, accessCode] {
            let leaks = captured.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "a secret appears in \(leaks.count) log lines: \(leaks.prefix(2))")
        }
    }

    // MARK: Candidate API over HTTP

    @Test func tokenReachesOnlyItsOwnAssessment() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let clock = ReliabilityClock()
        let daemon = try await Daemon.start(
            DaemonOptions(
                core: Reliability.configuration(databasePath: directory + "/store.sqlite").with(clock: clock),
                socketPath: directory + "/c.sock", httpPort: 0),
            logger: Reliability.logger)
        let proctors = daemon.core.proctors
        let s1 = try await Reliability.session(proctors, id: "S1", candidates: ["a", "b", "late", "done"])
        let s2 = try await Reliability.session(proctors, id: "S2", candidates: ["z"])
        let http = try RawHTTPConnection(port: daemon.httpPort)

        func start(_ session: String, _ candidate: String, code: String) async -> RawHTTPConnection.Reply? {
            await http.exchange(RawHTTPConnection.request(
                "POST", "/sessions/\(session)/candidates/\(candidate)/start", body: Data(#"{"accessCode":"\#(code)"}"#.utf8)))
        }
        func next(_ id: String, _ token: String?) async -> RawHTTPConnection.Reply? {
            await http.exchange(RawHTTPConnection.request("GET", "/assessments/\(id)/next", token: token))
        }
        func answer(_ id: String, _ token: String?, _ challengeId: String) async -> RawHTTPConnection.Reply? {
            await http.exchange(RawHTTPConnection.request(
                "POST", "/assessments/\(id)/answers", body: Data(#"{"challengeId":"\#(challengeId)","result":"ok"}"#.utf8),
                token: token))
        }

        // Not authorised yet; then a wrong access code; another session's code; another session's path.
        #expect(await start("S1", "a", code: s1.accessCode)?.errorCode == .candidateNotAuthorized)
        try await proctors.authorize(sessionId: "S1", candidateId: "a")
        try await proctors.authorize(sessionId: "S1", candidateId: "b")
        try await proctors.authorize(sessionId: "S2", candidateId: "z")
        #expect(await start("S1", "a", code: "BCDF23")?.errorCode == .invalidAccessCode)
        #expect(await start("S1", "a", code: s2.accessCode)?.errorCode == .invalidAccessCode)
        #expect(await start("S2", "a", code: s2.accessCode)?.errorCode == .candidateNotFound)
        #expect(await start("S1", "nobody", code: s1.accessCode)?.errorCode == .candidateNotFound)
        #expect(await start("S9", "a", code: s1.accessCode)?.errorCode == .sessionNotFound)

        let a = try #require(await start("S1", "a", code: s1.accessCode)?.json)
        let b = try #require(await start("S1", "b", code: s1.accessCode)?.json)
        let z = try #require(await start("S2", "z", code: s2.accessCode)?.json)
        let (aId, aToken) = (a["assessmentId"]!.stringValue!, a["token"]!.stringValue!)
        let (bId, bToken) = (b["assessmentId"]!.stringValue!, b["token"]!.stringValue!)
        let (zId, zToken) = (z["assessmentId"]!.stringValue!, z["token"]!.stringValue!)
        // The authorisation was used up by the start.
        #expect(await start("S1", "a", code: s1.accessCode)?.errorCode == .candidateNotAuthorized)

        let bChallenge = try #require(await next(bId, bToken)?.json?["challengeId"]?.stringValue)
        // a's token (same session) and z's token (another session) on b's assessment: refused.
        for (token, who) in [(aToken, "a"), (zToken, "z")] {
            #expect(await next(bId, token)?.errorCode == .invalidToken, "\(who)'s token on b's next")
            #expect(await answer(bId, token, bChallenge)?.errorCode == .invalidToken, "\(who)'s token on b's answer")
            let alert = await http.exchange(RawHTTPConnection.request(
                "POST", "/assessments/\(bId)/alerts", body: Data(#"{"challengeId":"\#(bChallenge)"}"#.utf8), token: token))
            #expect(alert?.errorCode == .invalidToken, "\(who)'s token on b's alert")
        }
        #expect(await next(bId, nil)?.errorCode == .missingToken)
        #expect(await next(bId, "")?.errorCode == .missingToken)
        #expect(await next("no-such-assessment", bToken)?.errorCode == .assessmentNotFound)
        #expect(await next(zId + "/../" + bId, zToken)?.status ?? 0 >= 400)
        // b's test is untouched by all of that.
        let bDetail = try await proctors.showSession("S1").candidates.first { $0.candidateId == "b" }
        #expect(bDetail?.answersCount == 0)
        #expect(await next(bId, bToken)?.json?["challengeId"]?.stringValue == bChallenge)

        // A resume gives a new token; the old one stops working.
        try await proctors.authorize(sessionId: "S1", candidateId: "a")
        let resumed = try #require(await start("S1", "a", code: s1.accessCode)?.json)
        #expect(resumed["resumed"]?.boolValue == true)
        #expect(await next(aId, aToken)?.errorCode == .invalidToken)
        #expect(await next(aId, resumed["token"]!.stringValue!)?.status == 200)

        // An authorisation expires after 15 minutes.
        try await proctors.authorize(sessionId: "S1", candidateId: "late")
        clock.advance(by: 15 * 60 + 1)
        #expect(await start("S1", "late", code: s1.accessCode)?.errorCode == .authorizationExpired)

        // A finished test accepts no more answers and serves nothing more.
        try await proctors.authorize(sessionId: "S1", candidateId: "done")
        let done = try #require(await start("S1", "done", code: s1.accessCode)?.json)
        let (doneId, doneToken) = (done["assessmentId"]!.stringValue!, done["token"]!.stringValue!)
        var lastChallenge = ""
        while let reply = await next(doneId, doneToken), reply.status == 200, let challenge = reply.json?["challengeId"]?.stringValue {
            lastChallenge = challenge
            #expect(await answer(doneId, doneToken, challenge)?.status == 201)
        }
        #expect(await next(doneId, doneToken)?.status == 204)
        let late = await answer(doneId, doneToken, lastChallenge)
        #expect(late?.errorCode == .testFinished && late?.status == 409, "answer after the end: \(late?.errorCode?.rawValue ?? "-")")
        // An ended test (by the invigilator) likewise.
        try await proctors.endCandidate(sessionId: "S1", candidateId: "b")
        #expect(await answer(bId, bToken, bChallenge)?.errorCode == .testFinished)
        try await daemon.shutdown()
    }

    static func code(_ response: ControlResponse) -> ErrorCode? {
        if case .failure(_, let code, _) = response { return code }
        return nil
    }
}

/// A clock the test moves by hand.
final class ReliabilityClock: DaemonClock {
    private let seconds = Mutex<Double>(2_000_000)
    func nowSeconds() -> Double { seconds.withLock { $0 } }
    func advance(by delta: Double) { seconds.withLock { $0 += delta } }
}

extension DaemonConfiguration {
    func with(clock: any DaemonClock) -> DaemonConfiguration {
        var copy = self
        copy.clock = clock
        return copy
    }
}

extension ControlResponse {
    /// The result of a success; throws otherwise.
    func resultValue() throws -> JSONValue {
        if case .success(_, let result) = self { return result }
        throw ReliabilityFailure("refused: \(self)")
    }
}

/// Keeps every log line (message and metadata) for inspection.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(lines: LogLines) { self.lines = lines }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let all = self.metadata.merging(explicit ?? [:]) { $1 }
        let text = "\(level) \(message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))"
        lines.append(text)
    }
}
