import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

@Suite("Daemon core: one daemon per store")
struct CoreStoreLockTests {
    @Test("a second core on the same store is refused with STORE_LOCKED naming the file")
    func secondCoreIsRefused() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let first = try await CoreFixtures.open(path: path)
        let session = try await CoreFixtures.session(first, id: "L1", candidates: ["c1"])
        do {
            let second = try await CoreFixtures.open(path: path)
            await second.shutdown()
            Issue.record("two cores opened one store")
        } catch let error as StoreError {
            #expect(error.code == .storeLocked)
            #expect(error.message.contains(path))
        }
        // The first core goes on as if nothing happened.
        let started = try await CoreFixtures.start(first, session, "c1")
        #expect(try await CoreFixtures.answer(first, started, candidateId: "c1", count: 2).count == 2)
        await first.shutdown()

        // Once it is shut down, the store opens again, with everything in it.
        let reopened = try await CoreFixtures.open(path: path)
        #expect(try await reopened.proctors.showSession("L1").candidates.first?.answersCount == 2)
        await reopened.shutdown()
    }
}
