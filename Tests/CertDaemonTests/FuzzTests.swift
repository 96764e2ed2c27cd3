import CertCore
import CertDaemon
import Foundation
import Testing
import CertTestSupport

/// Malformed input for the two network interfaces of a running daemon (in process, HTTP on
/// 127.0.0.1 port 0, control socket in a temporary directory): a hand-written corpus, then a
/// seeded generative loop of a fixed count. Every reply must be a well-formed error with a
/// stable UPPER_SNAKE code and a message (or, for input that happens to be valid, a success),
/// and the daemon must answer the next valid request.
@Suite(.serialized) struct FuzzTests {
    /// Generated requests per loop.
    static let httpFuzzCases = 600
    static let controlFuzzCases = 600

    /// A code of the catalogue (an uncatalogued one reads as UNRECOGNIZED).
    static func isStableCode(_ code: ErrorCode?) -> Bool {
        guard let code else { return false }
        return code != .unrecognized
    }

    /// Checks one HTTP reply: a success, or a JSON error with a stable code, a message and a
    /// 4xx status (5xx only with a retry, never for the client's own bad input).
    static func checkHTTP(_ reply: RawHTTPConnection.Reply, _ what: String) {
        if reply.status < 400 { return }
        #expect(isStableCode(reply.errorCode), "\(what): status \(reply.status) body \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
        let message = reply.errorMessage ?? ""
        #expect(message.isEmpty == false, "\(what): error without a message")
        #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "\(what): content type \(reply.headers["content-type"] ?? "-")")
        #expect(reply.status < 500, "\(what): the client's bad input answered \(reply.status) \(reply.errorCode?.rawValue ?? "")")
    }

    struct Candidate {
        var assessmentId: String
        var token: String
        var challengeId: String
    }

    /// A daemon with one started candidate whose current challenge is known.
    static func prepare(_ daemon: Daemon) async throws -> Candidate {
        let created = try await Reliability.session(daemon.core.proctors, id: "S1", candidates: ["c1", "c2"])
        let started = try await Reliability.start(daemon.core, created, "c1")
        let challenge = try #require(try await daemon.core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        return Candidate(assessmentId: started.assessmentId, token: started.token, challengeId: challenge.challengeId)
    }

    /// The valid request every bad one is followed by.
    static func probe(_ connection: inout RawHTTPConnection, port: Int, _ candidate: Candidate, _ what: String) async throws {
        var reply = await connection.exchange(RawHTTPConnection.request("GET", "/assessments/\(candidate.assessmentId)/next", token: candidate.token))
        if reply == nil {
            // The server closed a connection it could not parse: a new one must work.
            connection = try RawHTTPConnection(port: port)
            reply = await connection.exchange(RawHTTPConnection.request("GET", "/assessments/\(candidate.assessmentId)/next", token: candidate.token))
        }
        #expect(reply?.status == 200 || reply?.status == 204, "valid request after \(what): \(reply?.status ?? 0)")
    }

    // MARK: HTTP

    /// (description, raw request, expected code or nil for "any well-formed error").
    static func httpCorpus(_ c: Candidate) -> [(String, Data, ErrorCode?)] {
        let answers = "/assessments/\(c.assessmentId)/answers"
        let alerts = "/assessments/\(c.assessmentId)/alerts"
        let start = "/sessions/S1/candidates/c2/start"
        func post(_ path: String, _ body: String, token: String? = c.token) -> Data {
            RawHTTPConnection.request("POST", path, body: Data(body.utf8), token: token)
        }
        let valid = #"{"challengeId":"\#(c.challengeId)","result":"ok"}"#
        var invalidUTF8 = Data(#"{"challengeId":""#.utf8)
        invalidUTF8.append(contentsOf: [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80])
        invalidUTF8.append(contentsOf: Data(#"","result":"ok"}"#.utf8))
        return [
            ("truncated JSON", post(answers, String(valid.dropLast(5))), ErrorCode.malformedJSON),
            ("empty body", post(answers, ""), nil),
            ("not JSON", post(answers, "challengeId=c1&result=ok"), ErrorCode.malformedJSON),
            ("JSON array", post(answers, "[]"), nil),
            ("JSON null", post(answers, "null"), nil),
            ("missing field", post(answers, #"{"challengeId":"x"}"#), ErrorCode.invalidBody),
            ("wrong type", post(answers, #"{"challengeId":17,"result":"ok"}"#), ErrorCode.invalidBody),
            ("wrong enum", post(answers, #"{"challengeId":"x","result":"maybe"}"#), ErrorCode.invalidBody),
            ("null field", post(answers, #"{"challengeId":null,"result":"ok"}"#), ErrorCode.invalidBody),
            ("huge number", post(answers, #"{"challengeId":1e999999,"result":"ok"}"#), nil),
            ("huge integer", post(start, #"{"accessCode":123456789012345678901234567890123456789}"#), nil),
            ("deep nesting", post(answers, String(repeating: "[", count: 15_000)), nil),
            ("deep objects", post(alerts, String(repeating: #"{"a":"#, count: 3_000)), nil),
            ("over-long body", post(answers, #"{"challengeId":""# + String(repeating: "x", count: 20_000) + #"","result":"ok"}"#), ErrorCode.bodyTooLarge),
            ("over-long start body", post(start, #"{"accessCode":""# + String(repeating: "B", count: 100_000) + #""}"#), ErrorCode.bodyTooLarge),
            ("invalid UTF-8", RawHTTPConnection.request("POST", answers, body: invalidUTF8, token: c.token), nil),
            ("unknown challenge", post(answers, #"{"challengeId":"nope","result":"ok"}"#), nil),
            ("over-long id", RawHTTPConnection.request("GET", "/assessments/" + String(repeating: "a", count: 4_000) + "/next", token: c.token), nil),
            ("percent-encoded garbage id", RawHTTPConnection.request("GET", "/assessments/%FF%00%2F..%2F/next", token: c.token), nil),
            ("other session's path", post("/sessions/S2/candidates/c1/start", #"{"accessCode":"BCDF23"}"#, token: nil), ErrorCode.sessionNotFound),
            ("over-long session id", post("/sessions/" + String(repeating: "s", count: 3_000) + "/candidates/c1/start", #"{"accessCode":"BCDF23"}"#, token: nil), nil),
            ("unknown route", RawHTTPConnection.request("GET", "/admin"), ErrorCode.notFound),
            ("wrong method", RawHTTPConnection.request("DELETE", answers, token: c.token), nil),
            ("certificate garbage", RawHTTPConnection.request("GET", "/certificates/%E2%98%83" + String(repeating: "P", count: 500)), ErrorCode.certificateNotFound),
            ("bad bearer", RawHTTPConnection.request("GET", "/assessments/\(c.assessmentId)/next", extraHeaders: "Authorization: Basic Zm9vOmJhcg==\r\n"), ErrorCode.missingToken),
            ("bearer with invalid UTF-8", RawHTTPConnection.request("GET", "/assessments/\(c.assessmentId)/next") .replacing(Data("Host".utf8), with: Data("Authorization: Bearer \u{FF}\r\nHost".utf8)), nil),
        ]
    }

    /// Requests NIO's HTTP parser itself refuses: the connection may close, but the daemon stays up.
    static let protocolGarbage: [(String, Data)] = [
        ("garbage request line", Data("HELLO\r\n\r\n".utf8)),
        ("binary noise", Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) })),
        ("negative content length", Data("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8)),
        ("non-numeric content length", Data("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".utf8)),
        ("bad chunked body", Data("POST /assessments/a/answers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n".utf8)),
        ("huge header", Data(("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "h", count: 200_000) + "\r\n\r\n").utf8)),
        ("many headers", Data(("GET /healthz HTTP/1.1\r\n" + (0..<5_000).map { "X-\($0): v\r\n" }.joined() + "\r\n").utf8)),
    ]

    @Test func httpCorpusGetsWellFormedErrors() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        let candidate = try await Self.prepare(daemon)
        var connection = try RawHTTPConnection(port: daemon.httpPort)
        for (name, request, expected) in Self.httpCorpus(candidate) {
            guard let reply = await connection.exchange(request) else {
                Issue.record("\(name): no reply")
                connection = try RawHTTPConnection(port: daemon.httpPort)
                continue
            }
            #expect(reply.status >= 400, "\(name): accepted with \(reply.status)")
            Self.checkHTTP(reply, name)
            if let expected { #expect(reply.errorCode == expected, "\(name)") }
            try await Self.probe(&connection, port: daemon.httpPort, candidate, name)
        }
        for (name, request) in Self.protocolGarbage {
            var garbage = try RawHTTPConnection(port: daemon.httpPort, timeoutSeconds: 5)
            if let reply = await garbage.exchange(request) {
                #expect((400..<500).contains(reply.status), "\(name): \(reply.status) \(reply.errorCode?.rawValue ?? "-")")
            }
            try await Self.probe(&garbage, port: daemon.httpPort, candidate, name)
        }
        // Nothing of the candidate's test moved.
        let detail = try await daemon.core.proctors.showSession("S1")
        #expect(detail.candidates.first { $0.candidateId == "c1" }?.answersCount == 0)
        try await daemon.shutdown()
    }

    @Test func httpFuzzLoopGetsWellFormedRepliesAndTheDaemonStaysUp() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        let candidate = try await Self.prepare(daemon)
        var connection = try RawHTTPConnection(port: daemon.httpPort)
        var random = SplitMix64(seed: 0x4774)
        let templates: [(String, String)] = [
            ("/assessments/\(candidate.assessmentId)/answers", #"{"challengeId":"\#(candidate.challengeId)","result":"ko"}"#),
            ("/assessments/\(candidate.assessmentId)/alerts", #"{"challengeId":"\#(candidate.challengeId)"}"#),
            ("/sessions/S1/candidates/c2/start", #"{"accessCode":"BCDF23"}"#),
        ]
        var statuses: [Int: Int] = [:]
        var closed = 0
        for index in 0..<Self.httpFuzzCases {
            let (path, body) = templates[random.below(templates.count)]
            let mutatedBody = ReliabilityMutator.mutate(Data(body.utf8), using: &random)
            var mutatedPath = path
            if random.below(4) == 0 {
                let bytes = ReliabilityMutator.mutate(Data(path.utf8), using: &random)
                mutatedPath = "/" + bytes.map { String(format: "%%%02X", $0) }.joined()
            }
            let request = RawHTTPConnection.request("POST", mutatedPath, body: mutatedBody, token: candidate.token)
            if let reply = await connection.exchange(request) {
                statuses[reply.status, default: 0] += 1
                Self.checkHTTP(reply, "fuzz case \(index)")
            } else {
                closed += 1
                connection = try RawHTTPConnection(port: daemon.httpPort)
            }
            if index % 50 == 0 { try await Self.probe(&connection, port: daemon.httpPort, candidate, "fuzz case \(index)") }
        }
        try await Self.probe(&connection, port: daemon.httpPort, candidate, "the fuzz loop")
        #expect(closed == 0, "connections closed without a reply: \(closed)")
        #expect(statuses.keys.filter { $0 >= 400 }.count >= 2, "statuses: \(statuses)")
        try await daemon.shutdown()
    }

    // MARK: Control socket

    /// Sends `line` then a probe request; returns the replies received before the probe's.
    static func controlExchange(_ client: ControlClient, _ line: Data, probe: Int) async throws -> [JSONValue] {
        var data = line
        data.append(contentsOf: Array("\n{\"id\":\"probe-\(probe)\",\"cmd\":\"help\"}\n".utf8))
        try await client.sendRaw(data)
        var before: [JSONValue] = []
        for _ in 0..<50 {
            guard let reply = try await client.readLine() else { throw ReliabilityFailure("connection closed after line \(probe)") }
            let json = try JSONValue.parse(reply)
            if json["id"] == .string("probe-\(probe)") {
                #expect(json["ok"] == .bool(true), "probe after line \(probe)")
                return before
            }
            before.append(json)
        }
        throw ReliabilityFailure("no probe reply after line \(probe)")
    }

    static func checkControl(_ reply: JSONValue, _ what: String) {
        if reply["ok"] == .bool(true) { return }
        #expect(reply["ok"] == .bool(false), "\(what): \(reply.jsonText().prefix(200))")
        #expect(isStableCode(reply["error"]?["code"]?.stringValue.map(ErrorCode.init(wire:))), "\(what): \(reply.jsonText().prefix(200))")
        let message = reply["error"]?["message"]?.stringValue ?? ""
        #expect(message.isEmpty == false, "\(what): no message")
    }

    static let controlCorpus: [(String, String, ErrorCode?)] = [
        ("truncated JSON", #"{"id":1,"cmd":"session.li"#, ErrorCode.malformedJSON),
        ("invalid JSON", "{id:1, cmd: help}", ErrorCode.malformedJSON),
        ("JSON array", "[1,2,3]", ErrorCode.malformedRequest),
        ("JSON number", "42", ErrorCode.malformedRequest),
        ("JSON null", "null", ErrorCode.malformedRequest),
        ("no cmd", #"{"id":2}"#, ErrorCode.missingField),
        ("cmd of wrong type", #"{"id":3,"cmd":5}"#, ErrorCode.missingField),
        ("unknown command", #"{"id":4,"cmd":"rm -rf"}"#, ErrorCode.unknownCommand),
        ("missing fields", #"{"id":5,"cmd":"login"}"#, ErrorCode.missingField),
        ("wrong field types", #"{"id":6,"cmd":"login","sessionId":5,"password":[]}"#, ErrorCode.invalidField),
        ("huge number id", #"{"id":1e999999,"cmd":"help"}"#, nil),
        ("huge integer field", #"{"id":7,"cmd":"session.show","sessionId":123456789012345678901234567890}"#, ErrorCode.invalidField),
        ("deep nesting", String(repeating: "[", count: 20_000), ErrorCode.malformedJSON),
        ("deep id", #"{"cmd":"help","id":"# + String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000) + "}", nil),
        ("over-long line", #"{"id":8,"cmd":"help","pad":""# + String(repeating: "x", count: 70_000) + #""}"#, ErrorCode.lineTooLong),
        ("unknown fields", #"{"id":9,"cmd":"session.list","zzz":{"a":[1,2]}}"#, nil),
        ("other session's id", #"{"id":10,"cmd":"session.show","sessionId":"S2"}"#, ErrorCode.notLoggedIn),
        ("over-long session id", #"{"id":11,"cmd":"session.create","sessionId":""# + String(repeating: "s", count: 5_000) + #""}"#, nil),
        ("bad abort reasons", #"{"id":12,"cmd":"session.finalize","sessionId":"S1","abortReasons":[1]}"#, nil),
        ("NUL and control characters", "{\"id\":13,\"cmd\":\"help\u{0}\u{7}\"}", nil),
        ("carriage returns", "\r\r\r", nil),
        ("blank line", "", nil),
    ]

    @Test func controlCorpusGetsWellFormedErrorsAndTheConnectionStaysUsable() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        _ = try await Reliability.session(daemon.core.proctors, id: "S2", candidates: ["c1"])
        let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        _ = try await client.call("session.create", ["sessionId": "S1"])
        for (index, (name, line, expected)) in Self.controlCorpus.enumerated() {
            let replies = try await Self.controlExchange(client, Data(line.utf8), probe: index)
            for reply in replies { Self.checkControl(reply, name) }
            if let expected {
                #expect(replies.contains { $0["error"]?["code"]?.stringValue.map(ErrorCode.init(wire:)) == expected }, "\(name): \(replies.map { $0.jsonText().prefix(120) })")
            }
        }
        var invalidUTF8 = Data(#"{"id":99,"cmd":""#.utf8)
        invalidUTF8.append(contentsOf: [0xFF, 0xC3, 0x28])
        invalidUTF8.append(contentsOf: Data(#""}"#.utf8))
        let replies = try await Self.controlExchange(client, invalidUTF8, probe: 999)
        #expect(replies.count == 1)
        for reply in replies { Self.checkControl(reply, "invalid UTF-8") }
        // S2 was never touched.
        #expect(try await daemon.core.proctors.showSession("S2").candidates.map(\.status) == ["enrolled"])
        try await daemon.shutdown()
    }

    @Test func controlFuzzLoopGetsWellFormedRepliesAndTheDaemonStaysUp() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let daemon = try await Reliability.daemon(in: directory)
        let client = try ControlClient(socketPath: daemon.socketPath, timeoutSeconds: 10)
        let created = try await client.call("session.create", ["sessionId": "S1"]).resultValue()
        _ = try await client.call("candidate.enrol", ["sessionId": "S1", "candidateId": "c1"])
        let templates = [
            #"{"id":1,"cmd":"session.show","sessionId":"S1"}"#,
            #"{"id":2,"cmd":"candidate.authorize","sessionId":"S1","candidateId":"c1"}"#,
            #"{"id":3,"cmd":"alert.list","sessionId":"S1"}"#,
            #"{"id":4,"cmd":"login","sessionId":"S1","password":"\#(created["invigilatorPassword"]?.stringValue ?? "")"}"#,
            #"{"id":5,"cmd":"session.list"}"#,
            #"{"id":6,"cmd":"stats"}"#,
        ]
        var random = SplitMix64(seed: 0xC7A1)
        var outcomes: [String: Int] = [:]
        for index in 0..<Self.controlFuzzCases {
            var line = ReliabilityMutator.mutate(Data(templates[random.below(templates.count)].utf8), using: &random)
            // Keep the loop on this connection's own commands: a mutation must not end the daemon or stream events.
            if let text = String(data: line, encoding: .utf8), text.contains("shutdown") || text.contains("watch") {
                line = Data(text.replacingOccurrences(of: "shutdown", with: "s").replacingOccurrences(of: "watch", with: "w").utf8)
            }
            let replies = try await Self.controlExchange(client, line, probe: index)
            for reply in replies {
                Self.checkControl(reply, "fuzz line \(index)")
                outcomes[reply["error"]?["code"]?.stringValue ?? "ok", default: 0] += 1
            }
        }
        #expect(outcomes.keys.count >= 3, "outcomes: \(outcomes)")
        try await daemon.shutdown()
    }
}

/// Byte-level mutations of a valid request (truncation, flips, deleted or repeated spans,
/// splices of hard tokens).
enum ReliabilityMutator {
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "1e999", "99999999999999999999999999", "\\u0000",
        "\\ud800", "\"\\", "\n", "\r\n", String(repeating: "[", count: 800), String(repeating: "x", count: 4_000),
        "\"challengeId\":\"zz\"", "\"sessionId\":\"S2\"", "\"result\":\"maybe\"",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0x00]]

    static func mutate(_ data: Data, using random: inout SplitMix64) -> Data {
        var bytes = Array(data)
        for _ in 0..<(1 + random.below(3)) where !bytes.isEmpty {
            let at = random.below(bytes.count)
            switch random.below(6) {
            case 0: bytes.removeSubrange(at...)
            case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(32)))
            case 3: bytes.insert(contentsOf: Array(bytes[at..<min(bytes.count, at + 1 + random.below(32))]), at: at)
            default: bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: at)
            }
        }
        return Data(bytes)
    }
}
