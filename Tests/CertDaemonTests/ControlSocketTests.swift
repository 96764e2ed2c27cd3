import CertCore
import CertDaemon
import Foundation
import Testing

/// The control socket over a real Unix domain socket in a temporary directory, with the whole
/// daemon running in-process.
@Suite struct ControlSocketTests {
    @Test func socketFileIsOwnerOnlyByDefaultAndRemovedAtShutdown() async throws {
        let path = try await withDaemon { daemon, _ in
            let mode = try fileMode(daemon.socketPath)
            #expect(mode == 0o600)
            return daemon.socketPath
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func socketModeMayWidenToTheGroup() async throws {
        try await withDaemon(socketMode: 0o660) { daemon, _ in
            let mode = try fileMode(daemon.socketPath)
            #expect(mode == 0o660)
        }
    }

    @Test func badLinesGetErrorsAndTheConnectionStaysUsable() async throws {
        try await withDaemon(controlLimits: ControlLimits(lineBytesMax: 1024)) { daemon, _ in
            let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)

            try await client.sendRaw(Data("this is not json\n".utf8))
            #expect(try await client.nextFailure() == .init(id: .null, code: ErrorCode.malformedJSON))

            try await client.sendRaw(Data("[1, 2]\n".utf8))
            #expect(try await client.nextFailure() == .init(id: .null, code: ErrorCode.malformedRequest))

            try await client.sendRaw(Data(#"{"id": 3, "cmd": "session.fly"}"#.utf8 + [10]))
            #expect(try await client.nextFailure() == .init(id: 3, code: ErrorCode.unknownCommand))

            try await client.sendRaw(Data(#"{"id": "four", "name": "no command"}"#.utf8 + [10]))
            #expect(try await client.nextFailure() == .init(id: "four", code: ErrorCode.missingField))

            try await client.sendRaw(Data(#"{"id": 5, "cmd": "login", "sessionId": "S1"}"#.utf8 + [10]))
            #expect(try await client.nextFailure() == .init(id: 5, code: ErrorCode.missingField))

            try await client.sendRaw(Data(#"{"id": 6, "cmd": "candidate.enrol", "sessionId": 42, "candidateId": "c"}"#.utf8 + [10]))
            #expect(try await client.nextFailure() == .init(id: 6, code: ErrorCode.invalidField))

            // Over the limit, sent in pieces (and then a valid line in the same write as its end).
            let long = Data(repeating: UInt8(ascii: "x"), count: 3000)
            try await client.sendRaw(long)
            try await client.sendRaw(long + Data("\n".utf8) + Data(#"{"id": 8, "cmd": "session.list"}"#.utf8 + [10]))
            #expect(try await client.nextFailure() == .init(id: .null, code: ErrorCode.lineTooLong))
            let listed = try #require(try await client.nextResponse())
            #expect(listed == .success(id: 8, result: .array([])))

            // An over-long line that arrives whole, newline included.
            try await client.sendRaw(Data(repeating: UInt8(ascii: "y"), count: 2000) + Data("\n".utf8))
            #expect(try await client.nextFailure() == .init(id: .null, code: ErrorCode.lineTooLong))

            let stats = try await client.call("stats")
            guard case .success(_, let result) = stats else { Issue.record("stats failed: \(stats)"); return }
            #expect(result["engines"] == 2)
        }
    }

    @Test func sessionCommandsNeedALoginOnThisConnection() async throws {
        try await withDaemon { daemon, _ in
            let creator = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            let created = try await creator.call("session.create", ["sessionId": "S1", "name": "Room 1"]).result()
            let password = try #require(created["invigilatorPassword"]?.stringValue)
            // The creating connection is logged in.
            _ = try await creator.call("candidate.enrol", ["sessionId": "S1", "candidateId": "c1"]).result()

            let other = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            #expect(try await other.call("candidate.authorize", ["sessionId": "S1", "candidateId": "c1"]).errorCode == .notLoggedIn)
            #expect(try await other.call("session.show", ["sessionId": "S1"]).errorCode == .notLoggedIn)
            #expect(try await other.call("watch", ["sessionId": "S1"]).errorCode == .notLoggedIn)
            #expect(try await other.call("login", ["sessionId": "S1", "password": "wrong!"]).errorCode == .invalidCredentials)
            _ = try await other.call("login", ["sessionId": "S1", "password": .string(password)]).result()
            _ = try await other.call("candidate.authorize", ["sessionId": "S1", "candidateId": "c1"]).result()
            let detail = try await other.call("session.show", ["sessionId": "S1"]).result()
            #expect(detail["candidates"]?.arrayValue?.first?["status"] == "authorizedToStart")

            // Global commands need no login.
            let third = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            let sessions = try await third.call("session.list").result()
            #expect(sessions.arrayValue?.count == 1)
            #expect(try await third.call("help").result().arrayValue?.contains("watch") == true)
        }
    }

    @Test func failedLoginsAreRateLimitedPerConnectionAndPerSession() async throws {
        let limits = ControlLimits(loginFailuresMax: 3, loginLockSeconds: 60)
        try await withDaemon(controlLimits: limits) { daemon, _ in
            let first = try await daemon.core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
            let second = try await daemon.core.proctors.createSession(CreateSessionRequest(sessionId: "S2"))
            let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            for _ in 0..<3 {
                #expect(try await client.call("login", ["sessionId": "S1", "password": "nope"]).errorCode == .invalidCredentials)
            }
            // Locked: even the right password is refused on this connection, for any session.
            let locked = try await client.call("login", ["sessionId": "S1", "password": .string(first.invigilatorPassword)])
            #expect(locked.errorCode == .loginLocked)
            #expect(try await client.call("login", ["sessionId": "S2", "password": .string(second.invigilatorPassword)]).errorCode == .loginLocked)
            // Reconnecting gives no fresh tries on S1 …
            let fresh = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            #expect(try await fresh.call("login", ["sessionId": "S1", "password": .string(first.invigilatorPassword)]).errorCode == .loginLocked)
            // … and does not lock other sessions.
            _ = try await fresh.call("login", ["sessionId": "S2", "password": .string(second.invigilatorPassword)]).result()
        }
    }

    @Test func aSuccessfulLoginResetsTheSessionCount() async throws {
        let limits = ControlLimits(loginFailuresMax: 3, loginLockSeconds: 60)
        try await withDaemon(controlLimits: limits) { daemon, _ in
            let created = try await daemon.core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
            for _ in 0..<2 {
                let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
                for _ in 0..<2 {
                    #expect(try await client.call("login", ["sessionId": "S1", "password": "nope"]).errorCode == .invalidCredentials)
                }
                _ = try await client.call("login", ["sessionId": "S1", "password": .string(created.invigilatorPassword)]).result()
            }
        }
    }

    @Test func watchStreamsStartsEachAnswerAndEnds() async throws {
        try await withDaemon { daemon, _ in
            let proctors = daemon.core.proctors
            let created = try await prepareSession(proctors)
            let watcher = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            _ = try await watcher.call("login", ["sessionId": "S1", "password": .string(created.invigilatorPassword)]).result()
            #expect(try await watcher.call("watch", ["sessionId": "S1"]).result() == .object(["watching": "S1"]))

            let candidates = daemon.core.candidates
            let start = try await candidates.start(sessionId: "S1", candidateId: "c1", accessCode: created.accessCode)
            var challengeIds: [String] = []
            for _ in 0..<3 {
                let challenge = try #require(try await candidates.next(assessmentId: start.assessmentId, token: start.token))
                challengeIds.append(challenge.challengeId)
                _ = try await candidates.answer(
                    assessmentId: start.assessmentId, token: start.token,
                    AnswerRequest(challengeId: challenge.challengeId, result: .ok))
            }
            try await proctors.endCandidate(sessionId: "S1", candidateId: "c1")

            // Every answer is its own event, in order, as it is acknowledged (no sampling).
            var kinds: [String] = []
            var counts: [Int] = []
            while !kinds.contains("candidateEndedByInvigilator") {
                guard let line = try await watcher.readLine() else { Issue.record("watch closed"); return }
                guard case .event(let event) = try ControlResponse.parse(line: line) else { continue }
                #expect(event["sessionId"] == "S1")
                let kind = try #require(event["kind"]?.stringValue)
                kinds.append(kind)
                if kind == "answerRecorded" {
                    #expect(event["candidateId"] == "c1")
                    counts.append(event["answersCount"]?.intValue ?? -1)
                    // Proctors do not see answers: no challenge, no result.
                    #expect(event["detail"] == nil || event["detail"] == .null)
                    let text = String(decoding: line, as: UTF8.self)
                    for challengeId in challengeIds { #expect(!text.contains(challengeId)) }
                    #expect(!text.contains("\"ok\""))
                }
                if kinds.count > 50 { Issue.record("too many events: \(kinds)"); return }
            }
            #expect(kinds == ["candidateStarted", "answerRecorded", "answerRecorded", "answerRecorded", "candidateEndedByInvigilator"])
            #expect(counts == [1, 2, 3])
        }
    }

    @Test func aRequestSentBeforeClosingTheWriteSideIsAnswered() async throws {
        try await withDaemon { daemon, _ in
            let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            try await client.sendRaw(Data(#"{"id": 1, "cmd": "session.list"}"#.utf8 + [10]))
            client.closeWriting()
            let line = try #require(try await client.readLine())
            #expect(try ControlResponse.parse(line: line) == .success(id: 1, result: .array([])))
            #expect(try await client.readLine() == nil)
        }
    }

    @Test func connectionsAreBounded() async throws {
        try await withDaemon(controlLimits: ControlLimits(connectionsMax: 2)) { daemon, _ in
            let first = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            let second = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            _ = try await first.call("stats").result()
            _ = try await second.call("stats").result()
            let third = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
            let line = try #require(try await third.readLine())
            #expect(try ControlResponse.parse(line: line).errorCode == .tooManyConnections)
            #expect(try await third.readLine() == nil)
            // The first two still work.
            _ = try await first.call("session.list").result()
        }
    }

    @Test func shutdownCommandStopsTheDaemonGracefully() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let options = DaemonOptions(
            core: testCoreConfiguration(directory: directory), socketPath: directory.path + "/c.sock", httpPort: 0)
        let daemon = try await Daemon.start(options, logger: quietLogger)
        let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        #expect(try await client.call("shutdown").result() == .object(["shuttingDown": true]))
        // A hang guard only: a loaded CI machine has stalled this process for over 100 s.
        try await withTimeout(seconds: 300) { try await daemon.waitUntilStopped() }
        #expect(!FileManager.default.fileExists(atPath: options.socketPath))
        #expect(try await client.readLine() == nil)
    }

    @Test func aStaleSocketFileIsReplacedButALiveOneOrAFileIsNot() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.path + "/c.sock"
        // A socket file nobody listens on: what a killed daemon leaves behind.
        try makeStaleSocket(at: path)
        let options = DaemonOptions(core: testCoreConfiguration(directory: directory), socketPath: path, httpPort: 0)
        let daemon = try await Daemon.start(options, logger: quietLogger)

        // While it runs, a second daemon on the same socket path is refused.
        let secondDirectory = try TestDirectory()
        defer { secondDirectory.remove() }
        let second = DaemonOptions(core: testCoreConfiguration(directory: secondDirectory), socketPath: path, httpPort: 0)
        await #expect(throws: ControlSocketError.self) { _ = try await Daemon.start(second, logger: quietLogger) }
        _ = try await ControlClient(socketPath: path, timeoutSeconds: 10).call("stats").result()
        try await daemon.shutdown()

        // A regular file is never removed.
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        await #expect(throws: ControlSocketError.self) { _ = try await Daemon.start(options, logger: quietLogger) }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func requestAndResponseFraming() throws {
        let request = ControlRequest(id: 7, command: "login", arguments: ["sessionId": "S1", "password": "p!*?"])
        let parsed = try ControlRequest.parse(line: Data(request.jsonLine().utf8)).get()
        #expect(parsed == request)
        #expect(ControlResponse.success(id: 7, result: ["a": 1]).line() == #"{"id":7,"ok":true,"result":{"a":1}}"# + "\n")
        #expect(
            ControlResponse.failure(id: "x", code: .notLoggedIn, message: "m").line()
                == #"{"error":{"code":"NOT_LOGGED_IN","message":"m"},"id":"x","ok":false}"# + "\n")
        #expect(try JSONValue.parse("[true, 1, 1.5, null, \"s\"]") == .array([true, 1, .number(1.5), nil, "s"]))
    }

    @Test func tablesForHumans() {
        let sessions: JSONValue = .array([
            ["sessionId": "S1", "name": "Room 1", "centre": "A", "status": "started", "candidatesCount": 2,
             "startedCount": 1, "finishedCount": 0, "ongoingAlertsCount": 0],
        ])
        let text = ControlTables.render(command: "session.list", result: sessions)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("SESSION  NAME    CENTRE  STATUS"))
        #expect(lines[1].hasPrefix("S1       Room 1  A       started"))
        #expect(ControlTables.render(command: "candidate.enrol", result: [:]) == "ok\n")
        #expect(ControlTables.render(command: "session.list", result: []) == "no sessions\n")
    }
}

// MARK: - Helpers

func fileMode(_ path: String) throws -> UInt32 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).uint32Value & 0o777
}

/// Binds a Unix socket at `path` and closes it without unlinking.
func makeStaleSocket(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind failed") }
}

func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TestFailure("timed out after \(seconds) s")
        }
        group.cancelAll()
        return value
    }
}

struct FailureSummary: Equatable, CustomStringConvertible {
    var id: JSONValue
    var code: ErrorCode
    var description: String { "\(id.jsonText()) \(code)" }
}

extension ControlClient {
    func nextResponse() async throws -> ControlResponse? {
        guard let line = try await readLine() else { return nil }
        return try ControlResponse.parse(line: line)
    }

    func nextFailure() async throws -> FailureSummary? {
        guard let response = try await nextResponse() else { return nil }
        guard case .failure(let id, let code, _) = response else {
            Issue.record("not a failure: \(response)")
            return FailureSummary(id: .null, code: .unrecognized)
        }
        return FailureSummary(id: id, code: code)
    }
}

extension ControlResponse {
    struct Refused: Error, CustomStringConvertible {
        let code: ErrorCode
        let message: String
        var description: String { "\(code): \(message)" }
    }

    /// The result of a success; throws the refusal otherwise.
    func result() throws -> JSONValue {
        switch self {
        case .success(_, let result): return result
        case .failure(_, let code, let message): throw Refused(code: code, message: message)
        case .event: throw Refused(code: .unexpectedEvent, message: "an event, not a response")
        }
    }

    var errorCode: ErrorCode? {
        if case .failure(_, let code, _) = self { return code }
        return nil
    }
}
