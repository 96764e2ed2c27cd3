import CertCore
import CertDaemon
import CertTestSupport
import CertStore
import Foundation
import Logging
import Testing

// Helpers of the reliability suites (fuzz, access, overload, store faults): a core or a whole
// daemon on a fresh store, a raw HTTP connection that sends any bytes, a seeded generator and
// the process's resident memory. Named `Reliability…` to stay apart from the other suites'
// helpers in this module.

enum Reliability {
    static let bank = BankGenerator.generate(challenges: 640, seed: 11)

    /// A fresh short directory under /tmp (Unix socket paths are limited to ~100 bytes).
    static func directory() throws -> String {
        var template = Array("/tmp/certsim-r-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ReliabilityFailure("mkdtemp failed")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func remove(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    static func configuration(
        databasePath: String, limits: DaemonLimits = DaemonLimits(), engines: Int = 2, durability: Durability = .durable
    ) -> DaemonConfiguration {
        DaemonConfiguration(
            bank: bank, seed: 42, engines: engines, durability: durability, databasePath: databasePath, limits: limits)
    }

    static let logger: Logger = {
        var logger = Logger(label: "certsim.reliability")
        logger.logLevel = .critical
        return logger
    }()

    /// A whole daemon (HTTP on a free loopback port, control socket in `directory`).
    static func daemon(
        in directory: String, limits: DaemonLimits = DaemonLimits(), httpLimits: HTTPLimits = HTTPLimits(),
        controlLimits: ControlLimits = ControlLimits(), logger: Logger = Reliability.logger
    ) async throws -> Daemon {
        try await Daemon.start(
            DaemonOptions(
                core: configuration(databasePath: directory + "/store.sqlite", limits: limits),
                socketPath: directory + "/c.sock", httpPort: 0, httpLimits: httpLimits, controlLimits: controlLimits),
            logger: logger)
    }

    /// Creates a session with `candidates` enrolled (not authorised).
    static func session(_ proctors: ProctorService, id: String, candidates: [String]) async throws -> SessionCreated {
        let created = try await proctors.createSession(CreateSessionRequest(sessionId: id, name: "Room", centre: "Centre"))
        for candidate in candidates {
            try await proctors.enrol(sessionId: id, candidateId: candidate, needsAccessibility: false, locale: "fr-fr")
        }
        return created
    }

    /// Authorises and starts one candidate.
    static func start(_ core: DaemonCore, _ created: SessionCreated, _ candidateId: String) async throws -> StartResponse {
        try await core.proctors.authorize(sessionId: created.sessionId, candidateId: candidateId)
        return try await core.candidates.start(
            sessionId: created.sessionId, candidateId: candidateId, accessCode: created.accessCode)
    }

    /// A deterministic answer for a challenge.
    static func answer(for challengeId: String) -> AnswerResult {
        SeededRandom.key(challengeId) % 3 == 0 ? .ko : .ok
    }

    /// Serves and answers one question; nil when the test is over.
    static func answerOne(_ core: DaemonCore, _ started: StartResponse) async throws(DaemonError) -> AnswerResponse? {
        guard let challenge = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) else {
            return nil
        }
        return try await core.candidates.answer(
            assessmentId: started.assessmentId, token: started.token,
            AnswerRequest(challengeId: challenge.challengeId, result: answer(for: challenge.challengeId)))
    }

    /// Resident memory of this process, from /proc/self/status (kB).
    static func residentKilobytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// The error of `body`, or nil when it succeeded.
    static func refusal(_ body: () async throws(DaemonError) -> Void) async -> DaemonError? {
        do throws(DaemonError) {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}

struct ReliabilityFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}


/// The reliability tests' raw connection: the shared one of CertTestSupport.
typealias RawHTTPConnection = LoopbackHTTPConnection
