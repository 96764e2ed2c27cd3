import CertCore
import CertTestSupport
import CertDaemon
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The candidate API through Hummingbird's router test client, on a real core and store.
@Suite struct HTTPRoutesTests {
    /// Runs `body` with the routes of a fresh core.
    func withRoutes(
        limits: HTTPLimits = HTTPLimits(), _ body: @escaping @Sendable (DaemonCore, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withCore { core in
            let app = Application(router: CandidateRoutes(candidates: core.candidates, metrics: core.metrics, limits: limits).buildRouter())
            try await app.test(.router) { client in try await body(core, client) }
        }
    }

    @Test func aWholeTestFromStartTo204ThenACertificate() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors)
            let started = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect(started.status == .ok)
            let start = try started.decode(StartResponse.self)
            #expect(start.resumed == false)
            #expect(!start.token.isEmpty)

            var seen: Set<String> = []
            var answered = 0
            while true {
                let next = try await client.get("/assessments/\(start.assessmentId)/next", token: start.token)
                if next.status == .noContent {
                    #expect(next.body.readableBytes == 0)
                    break
                }
                #expect(next.status == .ok)
                let challenge = try next.decode(ChallengeResponse.self)
                #expect(challenge.questionNumber == answered + 1)
                #expect(!seen.contains(challenge.challengeId), "a challenge is served once")
                seen.insert(challenge.challengeId)
                let reply = try await client.post(
                    "/assessments/\(start.assessmentId)/answers",
                    ["challengeId": .string(challenge.challengeId), "result": .string(testAnswer(for: challenge.challengeId).rawValue)],
                    token: start.token)
                #expect(reply.status == .created)
                let recorded = try reply.decode(AnswerResponse.self)
                answered += 1
                #expect(recorded.answersCount == answered)
                #expect(recorded.completed == (answered == 32))
                if answered > 40 { Issue.record("the test never ended"); return }
            }
            #expect(answered == 32)
            // Still over when asked again.
            #expect(try await client.get("/assessments/\(start.assessmentId)/next", token: start.token).status == .noContent)

            let unknown = try await client.get("/certificates/P-BCDFGHJK")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode != nil)

            _ = try await core.proctors.finalize(sessionId: "S1", abortReasons: [:])
            let published = try await core.proctors.publish(sessionId: "S1")
            #expect(published.count == 1)
            let certificate = try await client.get("/certificates/\(published[0].verificationCode)")
            #expect(certificate.status == .ok)
            let body = try certificate.decode(CertificateResponse.self)
            #expect(body.candidateId == "c1")
            #expect(body.sessionId == "S1")
            #expect(body.pixScore == published[0].pixScore)
            #expect(body.meshLevel == published[0].meshLevel)
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await withRoutes { _, client in
            let reply = try await client.execute(
                uri: "/sessions/S1/candidates/c1/start", method: .post, body: ByteBuffer(string: "{\"accessCode\": "))
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == .malformedJSON)
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func wrongShapesAre400InvalidBody() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors)
            let missing = try await client.post("/sessions/S1/candidates/c1/start", ["code": "x"])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == .invalidBody)
            let start = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
                .decode(StartResponse.self)
            let next = try await client.get("/assessments/\(start.assessmentId)/next", token: start.token).decode(ChallengeResponse.self)
            let badResult = try await client.post(
                "/assessments/\(start.assessmentId)/answers", ["challengeId": .string(next.challengeId), "result": "maybe"],
                token: start.token)
            #expect(badResult.status == .badRequest)
            #expect(badResult.errorCode == .invalidBody)
            let wrongType = try await client.post(
                "/assessments/\(start.assessmentId)/answers", ["challengeId": 12, "result": "ok"], token: start.token)
            #expect(wrongType.errorCode == .invalidBody)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withRoutes(limits: HTTPLimits(requestBodyBytesMax: 1024)) { _, client in
            let padding = String(repeating: "x", count: 2048)
            let reply = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(padding)])
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == .bodyTooLarge)
        }
    }

    @Test func unknownRouteIsAJSON404AndAnotherMethodA405() async throws {
        try await withRoutes { _, client in
            let reply = try await client.execute(uri: "/nowhere", method: .get)
            #expect(reply.status == .notFound)
            #expect(reply.errorCode == .notFound)
            for (uri, method, allowed) in [("/healthz", HTTPRequest.Method.delete, "GET"), ("/assessments/a/next", .post, "GET")] {
                let reply = try await client.execute(uri: uri, method: method)
                #expect(reply.status == .methodNotAllowed)
                #expect(reply.errorCode == .methodNotAllowed)
                #expect(reply.headers[.allow] == allowed)
            }
        }
    }

    @Test func unknownIdsAre404() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors)
            let noSession = try await client.post("/sessions/S9/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect(noSession.status == .notFound)
            let noCandidate = try await client.post("/sessions/S1/candidates/zz/start", ["accessCode": .string(created.accessCode)])
            #expect(noCandidate.status == .notFound)
            let noAssessment = try await client.get("/assessments/nope/next", token: "whatever")
            #expect(noAssessment.status.code == 404 || noAssessment.status.code == 401)
            #expect(noAssessment.errorCode != nil)
        }
    }

    @Test func startIsRefusedUnlessAuthorisedAndWithTheRightCode() async throws {
        try await withRoutes { core, client in
            let created = try await core.proctors.createSession(CreateSessionRequest(sessionId: "S1"))
            try await core.proctors.enrol(sessionId: "S1", candidateId: "c1", needsAccessibility: false, locale: "fr-fr")
            let notAuthorised = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect((400..<500).contains(notAuthorised.status.code))
            #expect(notAuthorised.errorCode != nil)

            try await core.proctors.authorize(sessionId: "S1", candidateId: "c1")
            let wrongCode = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": "ZZZZ99"])
            #expect((400..<500).contains(wrongCode.status.code))
            let right = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect(right.status == .ok)
            // The authorisation is used up by the start.
            let again = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect((400..<500).contains(again.status.code))
        }
    }

    @Test func tokensOnlyReachTheirOwnAssessment() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors, candidates: ["c1", "c2"])
            let code: JSONValue = .string(created.accessCode)
            let first = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": code]).decode(StartResponse.self)
            let second = try await client.post("/sessions/S1/candidates/c2/start", ["accessCode": code]).decode(StartResponse.self)
            #expect(first.assessmentId != second.assessmentId)

            let missing = try await client.get("/assessments/\(first.assessmentId)/next", token: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.errorCode == .missingToken)
            let wrong = try await client.get("/assessments/\(first.assessmentId)/next", token: "not-a-token")
            #expect([401, 403].contains(wrong.status.code))
            let crossed = try await client.get("/assessments/\(first.assessmentId)/next", token: second.token)
            #expect([401, 403].contains(crossed.status.code))
            let challenge = try await client.get("/assessments/\(first.assessmentId)/next", token: first.token).decode(ChallengeResponse.self)
            let crossedAnswer = try await client.post(
                "/assessments/\(first.assessmentId)/answers", ["challengeId": .string(challenge.challengeId), "result": "ok"],
                token: second.token)
            #expect([401, 403].contains(crossedAnswer.status.code))
            let crossedAlert = try await client.post(
                "/assessments/\(first.assessmentId)/alerts", ["challengeId": .string(challenge.challengeId)], token: second.token)
            #expect([401, 403].contains(crossedAlert.status.code))
            // Nothing was recorded on the first candidate's test by the refused calls.
            let detail = try await core.proctors.showSession("S1")
            #expect(detail.candidates.first { $0.candidateId == "c1" }?.answersCount == 0)
        }
    }

    @Test func anAnswerToAnotherChallengeIsRefused() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors)
            let start = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
                .decode(StartResponse.self)
            let challenge = try await client.get("/assessments/\(start.assessmentId)/next", token: start.token).decode(ChallengeResponse.self)
            let other = TestBank.bank.challenges.first { $0.id != challenge.challengeId }!.id
            let refused = try await client.post(
                "/assessments/\(start.assessmentId)/answers", ["challengeId": .string(other), "result": "ok"], token: start.token)
            #expect((400..<500).contains(refused.status.code))
            #expect(refused.errorCode != nil)
            let accepted = try await client.post(
                "/assessments/\(start.assessmentId)/answers", ["challengeId": .string(challenge.challengeId), "result": "ko"],
                token: start.token)
            #expect(accepted.status == .created)
            #expect(try accepted.decode(AnswerResponse.self).answersCount == 1)
        }
    }

    @Test func liveAlertIsRaisedOnceThenIgnored() async throws {
        try await withRoutes { core, client in
            let created = try await prepareSession(core.proctors)
            let start = try await client.post("/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
                .decode(StartResponse.self)
            let challenge = try await client.get("/assessments/\(start.assessmentId)/next", token: start.token).decode(ChallengeResponse.self)
            let raised = try await client.post(
                "/assessments/\(start.assessmentId)/alerts", ["challengeId": .string(challenge.challengeId)], token: start.token)
            #expect(raised.status == .created)
            #expect(try raised.decode(AlertResponse.self).status == "ongoing")
            let again = try await client.post(
                "/assessments/\(start.assessmentId)/alerts", ["challengeId": .string(challenge.challengeId)], token: start.token)
            #expect(try again.decode(AlertResponse.self).status == "ignored")
            let alerts = try await core.proctors.listAlerts(sessionId: "S1")
            #expect(alerts.count == 1)
            #expect(alerts.first?.challengeId == challenge.challengeId)
        }
    }

    @Test func healthAndMetrics() async throws {
        try await withRoutes { _, client in
            let health = try await client.get("/healthz")
            #expect(health.status == .ok)
            #expect(try health.json()["status"] == "ok")
            _ = try await client.get("/nowhere")
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: metrics.body)
            #expect(PrometheusText.value(of: "certsim_requests_total{route=\"GET /healthz\",status=\"200\"}", in: text) == 1)
            #expect(PrometheusText.value(of: "certsim_requests_total{route=\"unmatched\",status=\"404\"}", in: text) == 1)
        }
    }

    @Test func keepAliveOverARealLoopbackSocket() async throws {
        try await withDaemon(httpLimits: HTTPLimits(requestBodyBytesMax: 1024)) { daemon, _ in
            let created = try await prepareSession(daemon.core.proctors)
            // One connection for every request below, errors included.
            let client = try LoopbackHTTPClient(port: daemon.httpPort)
            #expect(try await client.request("GET", "/healthz").status == 200)
            let malformed = try await client.request("POST", "/sessions/S1/candidates/c1/start", body: Data("{".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.errorCode == .malformedJSON)
            let oversized = try await client.json("POST", "/sessions/S1/candidates/c1/start", ["accessCode": .string(String(repeating: "x", count: 4096))])
            #expect(oversized.status == 413)
            #expect(oversized.errorCode == .bodyTooLarge)
            let started = try await client.json("POST", "/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
            #expect(started.status == 200)
            let start = try started.json()
            let next = try await client.request(
                "GET", "/assessments/\(start["assessmentId"]!.stringValue!)/next", token: start["token"]!.stringValue!)
            #expect(next.status == 200)
            #expect(next.headers["connection"] != "close")
            let metrics = try await client.request("GET", "/metrics")
            #expect(String(decoding: metrics.body, as: UTF8.self).contains("certsim_request_latency_microseconds"))
        }
    }

    @Test func brokenHTTPFramingIsA400AndTheDaemonStaysUp() async throws {
        try await withDaemon { daemon, _ in
            let client = try LoopbackHTTPClient(port: daemon.httpPort)
            try await client.sendRaw(Data(
                "POST /assessments/a/answers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n".utf8))
            let reply = try await client.readReply()
            #expect(reply.status == 400)
            #expect(reply.errorCode == .malformedRequest)
            #expect(reply.headers["connection"] == "close")
            let fresh = try LoopbackHTTPClient(port: daemon.httpPort)
            #expect(try await fresh.request("GET", "/healthz").status == 200)
        }
    }

    @Test func retryableErrorsCarryRetryAfter() throws {
        let error = DaemonError.busy("The engine is full.", retryAfterSeconds: 3)
        #expect(APIError.daemonError(for: error) == error)
        let response = APIError.response(for: error)
        #expect(response.status.code == 503)
        #expect(response.headers[.retryAfter] == "3")
        #expect(APIError.response(for: .notFound(.sessionNotFound, "y")).headers[.retryAfter] == nil)
    }
}

// MARK: - Helpers

extension TestClientProtocol {
    func get(_ uri: String, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    func post(_ uri: String, _ body: JSONValue, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body.jsonText()))
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: body))
    }

    func json() throws -> JSONValue { try JSONValue.parse(Data(buffer: body)) }

    var errorCode: ErrorCode? { (try? json())?["error"]?["code"]?.stringValue.map(ErrorCode.init(wire:)) }
}
