import CertCore
import CertStore
import Foundation
import Synchronization
import Testing

@testable import CertDaemon

// Shared helpers of the daemon-core tests: a manual clock, a temporary store, a daemon core
// on a generated bank, and a scripted candidate.

/// A clock the test moves by hand.
final class ManualClock: DaemonClock {
    private let seconds: Mutex<Double>
    init(_ start: Double = 1_000_000) { seconds = Mutex(start) }
    func nowSeconds() -> Double { seconds.withLock { $0 } }
    func advance(by delta: Double) { seconds.withLock { $0 += delta } }
}

enum CoreFixtures {
    static let bank = BankGenerator.generate(challenges: 640, seed: 11)

    static func temporaryStorePath() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-core-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("store.sqlite").path
    }

    static func open(
        path: String = temporaryStorePath(), seed: UInt64 = 42, clock: ManualClock = ManualClock(),
        engines: Int = 2, durability: Durability = .durable, limits: DaemonLimits = DaemonLimits()
    ) async throws -> DaemonCore {
        try await DaemonCore.open(DaemonConfiguration(
            bank: bank, seed: seed, engines: engines, durability: durability, databasePath: path, clock: clock,
            limits: limits))
    }

    /// A deterministic answer that depends only on the candidate and the challenge, so that
    /// two runs of the same candidate answer the same way.
    static func result(candidateId: String, challengeId: String) -> AnswerResult {
        SeededRandom.key(candidateId + "/" + challengeId) % 3 == 0 ? .ko : .ok
    }

    /// Creates a session with the given candidates enrolled; returns its access code.
    static func session(
        _ core: DaemonCore, id: String, candidates: [String]
    ) async throws -> SessionCreated {
        let created = try await core.proctors.createSession(CreateSessionRequest(sessionId: id, name: "Room 1", centre: "Lycée"))
        for candidate in candidates {
            try await core.proctors.enrol(sessionId: id, candidateId: candidate, needsAccessibility: false, locale: "fr-fr")
        }
        return created
    }

    /// Authorises and starts a candidate.
    static func start(_ core: DaemonCore, _ session: SessionCreated, _ candidateId: String) async throws -> StartResponse {
        try await core.proctors.authorize(sessionId: session.sessionId, candidateId: candidateId)
        return try await core.candidates.start(
            sessionId: session.sessionId, candidateId: candidateId, accessCode: session.accessCode)
    }

    /// Answers up to `count` questions (all when nil); returns the answers given, in order.
    @discardableResult
    static func answer(
        _ core: DaemonCore, _ started: StartResponse, candidateId: String, count: Int? = nil
    ) async throws -> [Answer] {
        var given: [Answer] = []
        while count.map({ given.count < $0 }) ?? true,
            let challenge = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token)
        {
            let result = Self.result(candidateId: candidateId, challengeId: challenge.challengeId)
            let response = try await core.candidates.answer(
                assessmentId: started.assessmentId, token: started.token,
                AnswerRequest(challengeId: challenge.challengeId, result: result))
            given.append(Answer(challengeId: challenge.challengeId, result: result))
            #expect(response.questionNumber == challenge.questionNumber)
            #expect(response.answersCount == challenge.questionNumber)
        }
        return given
    }
}

/// Runs `body` and returns the DaemonError it throws (nil if it does not throw).
func daemonError(_ body: () async throws -> Void) async -> DaemonError? {
    do {
        try await body()
        return nil
    } catch let error as DaemonError {
        return error
    } catch {
        Issue.record("expected a DaemonError, got \(error)")
        return nil
    }
}
