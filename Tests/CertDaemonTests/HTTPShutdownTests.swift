import CertCore
import CertDaemon
import Foundation
import Testing

/// A request that reaches the daemon while it shuts down gracefully gets a reply — 503
/// SHUTTING_DOWN with Retry-After — rather than a connection closed without one.
@Suite struct HTTPShutdownTests {
    @Test func requestsDuringTheShutdownGraceAre503WithRetryAfter() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        // A grace long enough for the test's requests to fall within it; the shutdown ends on
        // its own once it has passed.
        let options = DaemonOptions(
            core: testCoreConfiguration(directory: directory), socketPath: directory.path + "/c.sock", httpPort: 0,
            httpLimits: HTTPLimits(shutdownGraceSeconds: 8))
        let daemon = try await Daemon.start(options, logger: quietLogger)
        let created = try await prepareSession(daemon.core.proctors)
        let keptAlive = try LoopbackHTTPClient(port: daemon.httpPort)
        #expect(try await keptAlive.request("GET", "/certificates/P-ABCDEFGH").status == 404)

        let stopping = Task { try await daemon.shutdown() }
        // The keep-alive connection stays open and answers: first as before (the shutdown has
        // not reached the core yet), then 503 SHUTTING_DOWN.
        var reply = try await keptAlive.request("GET", "/certificates/P-ABCDEFGH")
        for _ in 0..<1_000 where reply.status == 404 {
            try await Task.sleep(for: .milliseconds(5))
            reply = try await keptAlive.request("GET", "/certificates/P-ABCDEFGH")
        }
        #expect(reply.status == 503)
        #expect(reply.errorCode == .shuttingDown)
        #expect(reply.headers["retry-after"] == "1")

        // A candidate request on a new connection too.
        let fresh = try LoopbackHTTPClient(port: daemon.httpPort)
        let start = try await fresh.json("POST", "/sessions/S1/candidates/c1/start", ["accessCode": .string(created.accessCode)])
        #expect(start.status == 503)
        #expect(start.errorCode == .shuttingDown)
        #expect(start.headers["retry-after"] == "1")

        try await stopping.value
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the shutdown completed")
    }
}
