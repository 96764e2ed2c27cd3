import CertCore
import CertDaemon
import Foundation
import NIOPosix
import Testing
@testable import CertLoad

/// The runner's transports against a real daemon started in this process (HTTP on 127.0.0.1, a
/// free port; control socket in a temporary directory): same answers, same refusal codes as in
/// process.
@Suite(.serialized, .timeLimit(.minutes(2))) struct TransportTests {
    /// A daemon with both servers, and a clean-up.
    static func withDaemon(_ body: (Daemon) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-tt-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = DaemonConfiguration(
            bank: BankGenerator.generate(challenges: 400, seed: 2), seed: 5, durability: .relaxed,
            databasePath: (directory as NSString).appendingPathComponent("t.sqlite"), clock: VirtualClock(timeScale: 0))
        let daemon = try await Daemon.start(DaemonOptions(
            core: configuration, socketPath: (directory as NSString).appendingPathComponent("c.sock"), httpPort: 0))
        do {
            try await body(daemon)
        } catch {
            try? await daemon.shutdown()
            throw error
        }
        try await daemon.shutdown()
    }

    @Test func aTestRunsOverHTTPAndTheControlSocket() async throws {
        try await Self.withDaemon { daemon in
            let pool = HTTPConnectionPool(host: "127.0.0.1", port: daemon.httpPort, connectionsMax: 2)
            let candidates = HTTPCandidateTransport(pool: pool)
            let proctors = try await ControlProctorTransport.connect(socketPath: daemon.socketPath, connections: 2)
            let created = try await proctors.createSession(CreateSessionRequest(sessionId: "S1"))
            #expect(created.sessionId == "S1")
            try await proctors.login(sessionId: "S1", password: created.invigilatorPassword)
            try await proctors.enrol(sessionId: "S1", candidateId: "k1", needsAccessibility: false, locale: "fr-fr")

            // Not yet authorised: the same code as in process.
            do throws(DaemonError) {
                _ = try await candidates.start(sessionId: "S1", candidateId: "k1", accessCode: created.accessCode)
                Issue.record("a start without authorisation must be refused")
            } catch {
                #expect(error.code == .candidateNotAuthorized)
                #expect(error.httpStatus >= 400)
            }
            try await proctors.authorize(sessionId: "S1", candidateId: "k1")
            let started = try await candidates.start(sessionId: "S1", candidateId: "k1", accessCode: created.accessCode)
            var answered = 0
            while let challenge = try await candidates.next(assessmentId: started.assessmentId, token: started.token) {
                let reply = try await candidates.answer(assessmentId: started.assessmentId, token: started.token,
                                                        AnswerRequest(challengeId: challenge.challengeId, result: .ok))
                answered += 1
                #expect(reply.answersCount == answered)
                if reply.completed { break }
                #expect(answered < 100)
            }
            #expect(answered == AlgorithmConfiguration.default.maximumAssessmentLength)
            #expect(try await candidates.next(assessmentId: started.assessmentId, token: started.token) == nil)

            let summary = try await proctors.finalize(sessionId: "S1", abortReasons: [:])
            #expect(summary.completedCount == 1)
            let certificates = try await proctors.publish(sessionId: "S1")
            #expect(certificates.count == 1)
            let certificate = try await candidates.certificate(verificationCode: certificates[0].verificationCode)
            #expect(certificate.candidateId == "k1")
            #expect(certificate.pixScore == certificates[0].pixScore)

            let detail = try await proctors.showSession("S1")
            #expect(detail.candidates.first?.status == "completed")
            await proctors.close()
            await pool.close()
        }
    }

    @Test func wrongPasswordsAndUnloggedSessionsAreRefusedOnTheSocket() async throws {
        try await Self.withDaemon { daemon in
            let creator = try await ControlProctorTransport.connect(socketPath: daemon.socketPath, connections: 1)
            let created = try await creator.createSession(CreateSessionRequest(sessionId: "S2"))
            let other = try await ControlProctorTransport.connect(socketPath: daemon.socketPath, connections: 1)
            do throws(DaemonError) {
                try await other.login(sessionId: "S2", password: created.invigilatorPassword + "x")
                Issue.record("a wrong password must be refused")
            } catch {
                #expect(error.code == .invalidCredentials)
            }
            do throws(DaemonError) {
                _ = try await other.showSession("S2")
                Issue.record("a session is shown only after login")
            } catch {
                #expect(error.code == .notLoggedIn)
            }
            try await other.login(sessionId: "S2", password: created.invigilatorPassword)
            #expect(try await other.showSession("S2").sessionId == "S2")
            await creator.close()
            await other.close()
        }
    }

    @Test func thePoolReusesItsConnections() async throws {
        try await Self.withDaemon { daemon in
            let pool = HTTPConnectionPool(host: "127.0.0.1", port: daemon.httpPort, connectionsMax: 3)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        Int(try await pool.send(HTTPClientRequest(method: .GET, path: "/healthz")).status.code)
                    }
                }
                for try await status in group { #expect(status == 200) }
            }
            // Unknown certificate: the API's refusal body becomes its code.
            do throws(DaemonError) {
                _ = try await HTTPCandidateTransport(pool: pool).certificate(verificationCode: "P-BCDFGHJK")
                Issue.record("an unknown code must be refused")
            } catch {
                #expect(error.httpStatus == 404)
                #expect(error.code == .certificateNotFound)
            }
            await pool.close()
        }
    }

    @Test func theTransportsReachADaemonRestartedOnTheSameSocketAndPort() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-tr-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = DaemonConfiguration(
            bank: BankGenerator.generate(challenges: 400, seed: 2), seed: 5, durability: .durable,
            databasePath: (directory as NSString).appendingPathComponent("t.sqlite"), clock: VirtualClock(timeScale: 0))
        let socketPath = (directory as NSString).appendingPathComponent("c.sock")
        let first = try await Daemon.start(DaemonOptions(core: configuration, socketPath: socketPath, httpPort: 0))
        let port = first.httpPort
        let pool = HTTPConnectionPool(host: "127.0.0.1", port: port, connectionsMax: 2)
        let candidates = HTTPCandidateTransport(pool: pool)
        let connection = try await ControlSocketConnection.open(socketPath: socketPath, timeout: .seconds(10), group: MultiThreadedEventLoopGroup.singleton)
        let created = try await connection.call("session.create", ["sessionId": "S1"], as: SessionCreated.self)
        try await connection.login(sessionId: "S1", password: created.invigilatorPassword)
        _ = try await connection.call("candidate.enrol", ["sessionId": "S1", "candidateId": "k1"])
        _ = try await connection.call("candidate.authorize", ["sessionId": "S1", "candidateId": "k1"])
        let started = try await candidates.start(sessionId: "S1", candidateId: "k1", accessCode: created.accessCode)
        let question = try #require(try await candidates.next(assessmentId: started.assessmentId, token: started.token))
        _ = try await candidates.answer(assessmentId: started.assessmentId, token: started.token,
                                        AnswerRequest(challengeId: question.challengeId, result: .ok))
        try await first.shutdown()

        // Down: both transports say so with the transport's code.
        do throws(DaemonError) {
            _ = try await connection.call("session.show", ["sessionId": "S1"])
            Issue.record("nothing listens on the socket")
        } catch {
            #expect(error.code == TransportErrorCode.connectionFailed)
        }
        do throws(DaemonError) {
            _ = try await candidates.next(assessmentId: started.assessmentId, token: started.token)
            Issue.record("nothing listens on the port")
        } catch {
            #expect(error.code == TransportErrorCode.connectionFailed)
        }

        // Back on the same socket and port: the control connection opens again and logs in again
        // by itself; the old token is refused; a resume carries on at question 2.
        let second = try await Daemon.start(DaemonOptions(core: configuration, socketPath: socketPath, httpPort: port))
        _ = try await connection.call("candidate.authorize", ["sessionId": "S1", "candidateId": "k1"])
        #expect(await connection.reconnections == 1)
        do throws(DaemonError) {
            _ = try await candidates.next(assessmentId: started.assessmentId, token: started.token)
            Issue.record("a token of the previous daemon must be refused")
        } catch {
            #expect(error.code == .invalidToken)
        }
        let resumed = try await candidates.start(sessionId: "S1", candidateId: "k1", accessCode: created.accessCode)
        #expect(resumed.resumed)
        #expect(resumed.assessmentId == started.assessmentId)
        let again = try #require(try await candidates.next(assessmentId: resumed.assessmentId, token: resumed.token))
        #expect(again.questionNumber == 2)
        await connection.close()
        await pool.close()
        try await second.shutdown()
    }

    @Test func aClosedPortIsATransportError() async {
        // Port 1 on the loopback: nothing listens there.
        let pool = HTTPConnectionPool(host: "127.0.0.1", port: 1, connectionsMax: 1)
        do throws(DaemonError) {
            _ = try await HTTPCandidateTransport(pool: pool).next(assessmentId: "a", token: "t")
            Issue.record("nothing listens on port 1")
        } catch {
            #expect(error.code == TransportErrorCode.connectionFailed)
        }
        await pool.close()
    }

    @Test func refusalsKeepTheirCodeAndRetryAfter() {
        let body = Array(#"{"error":{"code":"BUSY","message":"Engines are full."}}"#.utf8)
        let busy = HTTPCandidateTransport.refusal(status: 503, retryAfterHeader: "3", body: body)
        #expect(busy == DaemonError(.busy, "Engines are full.", retryAfterSeconds: 3))
        #expect(busy.isRetryable)
        // Without the API's body, the status is kept in the message (was the code HTTP_502).
        let bare = HTTPCandidateTransport.refusal(status: 502, retryAfterHeader: nil, body: Array("bad gateway".utf8))
        #expect(bare.code == .transportHTTPStatus)
        #expect(bare.message == "HTTP 502: bad gateway")
        #expect(!bare.isRetryable)
        let unavailable = HTTPCandidateTransport.refusal(status: 503, retryAfterHeader: nil, body: [])
        #expect(unavailable.code == .transportHTTPUnavailable)
        #expect(unavailable.retryAfterSeconds == 1)
        // A code this build does not know is kept, at the head of the message.
        let newer = HTTPCandidateTransport.refusal(
            status: 409, retryAfterHeader: nil, body: Array(#"{"error":{"code":"NEW_CODE","message":"Later."}}"#.utf8))
        #expect(newer == DaemonError(.unrecognized, "NEW_CODE: Later."))
        #expect(HTTPCandidateTransport.escape("c001-s01-w1") == "c001-s01-w1")
        #expect(HTTPCandidateTransport.escape("a/b c") == "a%2Fb%20c")
    }
}
