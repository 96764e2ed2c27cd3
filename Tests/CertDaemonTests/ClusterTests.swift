import CertCore
import CertStore
import CertTestSupport
import Foundation
import Testing

@testable import CertDaemon

/// Several daemons on one PostgreSQL store (DESIGN §4): leases, redirects, fencing and the
/// takeover of a killed daemon's sessions, with two daemon cores in this process on a fresh
/// database of the test server. Leases are long (the test process may stall for many seconds
/// under load); a test that needs one to run out expires it in the store, as PostgreSQL's clock
/// would, then waits for the takeover with bounded polls — never asserting on durations.
@Suite(.enabled(if: PostgresTestServer.isConfigured, Comment(rawValue: PostgresTestServer.skipReason)), .serialized)
struct ClusterTests {
    static let leaseSeconds = 60.0
    /// Most polls while waiting for a lease to run out (each 50 ms): 60 s in all.
    static let pollsMax = 1_200

    static func open(_ id: String, on location: PostgresLocation, seed: UInt64 = 7) async throws -> DaemonCore {
        var configuration = DaemonConfiguration(bank: CoreFixtures.bank, seed: seed, engines: 2, databasePath: "unused",
                                                clock: ManualClock())
        configuration.store = .postgres(location)
        var cluster = ClusterSettings(daemonId: id, httpURL: "http://\(id).test:8080", controlAddress: "/run/\(id).sock",
                                      leaseSeconds: leaseSeconds)
        cluster.renewSeconds = 0.2
        configuration.cluster = cluster
        return try await DaemonCore.open(configuration)
    }

    /// Polls `body` until it stops throwing SESSION_ELSEWHERE (the lease ran out and the daemon
    /// took the session over), at most ``pollsMax`` times. Returns the redirects seen.
    static func untilTakenOver(_ body: () async throws -> Void) async throws -> Int {
        var redirects = 0
        for _ in 0..<pollsMax {
            do {
                try await body()
                return redirects
            } catch let error as DaemonError where error.code == .sessionElsewhere {
                redirects += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        Issue.record("the session was not taken over after \(pollsMax) polls")
        return redirects
    }

    /// Makes `daemon`'s leases run out now, as they would once it stopped renewing them.
    static func expireLeases(of daemon: String, on location: PostgresLocation) async throws {
        try await PostgresTestServer.execute("UPDATE session_leases SET expires_seconds = 0 WHERE owner = '\(daemon)'", on: location)
    }

    @Test func aSessionHeldByAnotherDaemonIsRedirectedWithItsAddress() async throws {
        let location = try await PostgresTestServer.makeDatabase()
        let a = try await Self.open("a", on: location)
        let b = try await Self.open("b", on: location)
        let session = try await CoreFixtures.session(a, id: "R1", candidates: ["c1"])
        let elsewhere = await daemonError { _ = try await b.proctors.showSession("R1") }
        #expect(elsewhere?.code == .sessionElsewhere)
        #expect(elsewhere?.location == "http://a.test:8080")
        #expect(elsewhere?.message.contains("/run/a.sock") == true)
        let start = await daemonError {
            _ = try await b.candidates.start(sessionId: "R1", candidateId: "c1", accessCode: session.accessCode)
        }
        #expect(start?.code == .sessionElsewhere)
        // The same id cannot be created on the other daemon; an unknown one is not found.
        let duplicate = await daemonError { _ = try await b.proctors.createSession(CreateSessionRequest(sessionId: "R1")) }
        #expect(duplicate?.code == .sessionExists)
        #expect(await daemonError { _ = try await b.proctors.showSession("nope") }?.code == .sessionNotFound)
        // Ids the daemons draw themselves (same seed) never collide: the store decides.
        let drawnA = try await a.proctors.createSession(CreateSessionRequest())
        let drawnB = try await b.proctors.createSession(CreateSessionRequest())
        #expect(drawnA.sessionId != drawnB.sessionId)
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aKilledDaemonsTestIsTakenOverAndEndsAsAnUninterruptedOne() async throws {
        // The uninterrupted run: one daemon alone on its own SQLite file, same seed.
        let alone = try await CoreFixtures.open(seed: 7)
        let aloneSession = try await CoreFixtures.session(alone, id: "T1", candidates: ["c1", "c2"])
        let aloneStarted = try await CoreFixtures.start(alone, aloneSession, "c1")
        let straight = try await CoreFixtures.answer(alone, aloneStarted, candidateId: "c1")
        _ = try await alone.proctors.finalize(sessionId: "T1", abortReasons: [:])
        let straightResult = try #require(try await alone.proctors.publish(sessionId: "T1").first)
        await alone.shutdown()

        let location = try await PostgresTestServer.makeDatabase()
        let a = try await Self.open("a", on: location)
        let b = try await Self.open("b", on: location)
        let session = try await CoreFixtures.session(a, id: "T1", candidates: ["c1", "c2"])
        var started = try await CoreFixtures.start(a, session, "c1")
        var answers = try await CoreFixtures.answer(a, started, candidateId: "c1", count: 11)
        let pending = try #require(try await a.candidates.next(assessmentId: started.assessmentId, token: started.token))
        await a.dieAsAKillWould()
        #expect(await daemonError { _ = try await b.proctors.showSession("T1") }?.code == .sessionElsewhere)
        try await Self.expireLeases(of: "a", on: location)

        // The survivor sends proctors to the dead daemon until its lease runs out, then takes over.
        _ = try await Self.untilTakenOver { try await b.proctors.checkPassword(sessionId: "T1", password: session.invigilatorPassword) }
        #expect(await b.takeovers().map(\.sessionId) == ["T1"])
        let detail = try await b.proctors.showSession("T1")
        #expect(detail.candidates.map(\.status) == ["started", "enrolled"])
        #expect(detail.candidates.first?.answersCount == 11)
        // As after a restart: the old token is void and resuming needs a fresh authorisation.
        #expect(await daemonError { _ = try await b.candidates.next(assessmentId: started.assessmentId, token: started.token) }?.code
                == .invalidToken)
        #expect(await daemonError {
            _ = try await b.candidates.start(sessionId: "T1", candidateId: "c1", accessCode: session.accessCode)
        }?.code == .candidateNotAuthorized)
        started = try await CoreFixtures.start(b, session, "c1")
        #expect(started.resumed)
        #expect(try await b.candidates.next(assessmentId: started.assessmentId, token: started.token) == pending)
        answers += try await CoreFixtures.answer(b, started, candidateId: "c1")
        _ = try await b.proctors.finalize(sessionId: "T1", abortReasons: [:])
        let result = try #require(try await b.proctors.publish(sessionId: "T1").first)

        #expect(answers == straight)
        #expect(result.pixScore == straightResult.pixScore)
        #expect(result.meshLevel == straightResult.meshLevel)
        // Every acknowledged answer is in the journal once.
        #expect(try await PostgresTestServer.integer("SELECT count(*) FROM answer_journal", on: location) == straight.count)
        #expect(try await PostgresTestServer.integer("SELECT epoch FROM session_leases WHERE session_id = 'T1'", on: location) == 2)
        await b.shutdown()
    }

    @Test func aDaemonThatLostItsLeaseWritesNothingOfTheSession() async throws {
        let location = try await PostgresTestServer.makeDatabase()
        let a = try await Self.open("a", on: location)
        let b = try await Self.open("b", on: location)
        let session = try await CoreFixtures.session(a, id: "F1", candidates: ["c1"])
        let started = try await CoreFixtures.start(a, session, "c1")
        try await CoreFixtures.answer(a, started, candidateId: "c1", count: 3)
        // A stalls (no renewal) but keeps serving; B takes the session over meanwhile.
        await a.context.cluster?.stop()
        try await Self.expireLeases(of: "a", on: location)
        _ = try await Self.untilTakenOver { _ = try await b.proctors.showSession("F1") }
        // A still believes it holds F1: its next write is fenced, and nothing of it is stored.
        let fenced = await daemonError { try await CoreFixtures.answer(a, started, candidateId: "c1", count: 1) }
        #expect(fenced?.code == .storeFenced)
        #expect(try await PostgresTestServer.integer("SELECT count(*) FROM answer_journal", on: location) == 3)
        #expect(await a.isHealthy, "a fenced write refuses its session only")
        await a.shutdown()
        await b.shutdown()
    }
}
