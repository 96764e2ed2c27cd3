import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

/// `DaemonCore.isHealthy` (what `/healthz` reports): the result writer's own health, not a
/// reading of the metrics text.
@Suite("Daemon core: health", .serialized)
struct CoreHealthTests {
    @Test("healthy once open, unhealthy once shut down")
    func healthyUntilShutdown() async throws {
        let core = try await CoreFixtures.open()
        #expect(await core.isHealthy)
        await core.shutdown()
        #expect(await core.isHealthy == false)
    }

    // ext4 refuses writes even through a descriptor opened before `chattr +i`, so making the
    // WAL immutable under a running writer makes its next commit fail, as a dying disk would.
    @Test(
        "a failed commit makes the core unhealthy and /healthz answer 503",
        .enabled(if: StoreFaultTests.chattrWorks, "needs chattr +i (root on ext4/xfs/btrfs)"))
    func failedCommitIsUnhealthy() async throws {
        try await withDaemon { daemon, directory in
            let core = daemon.core
            let wal = directory.path + "/store.sqlite-wal"
            defer { _ = Shell.run("/usr/bin/chattr", ["-i", wal]) }
            let created = try await prepareSession(core.proctors)
            let started = try await core.candidates.start(sessionId: "S1", candidateId: "c1", accessCode: created.accessCode)
            let http = try LoopbackHTTPClient(port: daemon.httpPort)
            #expect(try await http.request("GET", "/healthz").status == 200)
            #expect(await core.isHealthy)

            #expect(Shell.run("/usr/bin/chattr", ["+i", wal]))
            let challenge = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
            let refused = await daemonError {
                _ = try await core.candidates.answer(
                    assessmentId: started.assessmentId, token: started.token,
                    AnswerRequest(challengeId: challenge.challengeId, result: .ok))
            }
            #expect(refused?.code == ErrorCode.storeUnhealthy)
            #expect(await core.isHealthy == false)
            let health = try await http.request("GET", "/healthz")
            #expect(health.status == 503)
            #expect(health.errorCode == .storeUnavailable)
            _ = Shell.run("/usr/bin/chattr", ["-i", wal])
        }
    }
}
