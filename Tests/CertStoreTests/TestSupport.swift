import Foundation
import CertCore
import CertStore
import Testing

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("certstore-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The code of the StoreError `body` throws, nil if it does not throw.
func storeErrorCode(_ body: () async throws -> Void) async -> ErrorCode? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        Issue.record("not a StoreError: \(error)")
        return .unrecognized
    }
}

/// The StoreError `body` throws, nil if it does not throw.
func storeFailure(_ body: () async throws -> Void) async -> StoreError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? StoreError
    }
}

/// Records for tests: one session "s1", a candidate and an assessment per id.
enum Fixture {
    static let session = SessionRecord(id: "s1", accessCode: "BCDF23", invigilatorPasswordHash: "hash",
                                       name: "Salle 12", centre: "Lycée Hoche", nominalDurationSeconds: 8_400,
                                       status: "created", createdSeconds: 100)

    static func candidate(_ index: Int) -> CandidateRecord {
        CandidateRecord(sessionId: "s1", candidateId: "c\(index)", externalIndex: index, status: "started",
                        needsAccessibility: index % 2 == 0, locale: "fr-fr", trueAbility: Double(index) / 10)
    }

    static func assessment(_ index: Int, startedSeconds: Double? = nil) -> AssessmentRecord {
        AssessmentRecord(id: "a\(index)", sessionId: "s1", candidateId: "c\(index)", tokenHash: "t\(index)",
                         status: "started", startedSeconds: startedSeconds ?? Double(200 + index))
    }

    static func answer(_ assessment: Int, _ question: Int, result: String = "ok") -> AnswerRecord {
        AnswerRecord(assessmentId: "a\(assessment)", questionNumber: question,
                     challengeId: "ch-\(assessment)-\(question)", result: result,
                     recordedSeconds: Double(1_000 + question))
    }

    static func result(_ assessment: Int, code: String) -> ResultRecord {
        ResultRecord(assessmentId: "a\(assessment)", capacity: 1.25, errorRate: 0.5, pixScore: 300, meshLevel: 3,
                     competenceLevels: ["1.1": 3, "2.4": 4], status: "validated", answersCount: 32,
                     verificationCode: code, scoredSeconds: 5_000)
    }

    /// Stores the session and, for each index, a candidate and an assessment.
    static func seed(_ writer: ResultWriter, assessments: Range<Int>) async throws {
        try await writer.submit(.session(session))
        for index in assessments {
            try await writer.submit(.candidate(candidate(index)))
            try await writer.submit(.assessment(assessment(index)))
        }
    }
}

/// Linux immutable attribute (chattr +i): refused for writing even to root, unlike chmod.
enum Immutable {
    static func set(_ path: String, _ on: Bool) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [on ? "+i" : "-i", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }

    /// Whether this machine's temporary file system and privileges support the attribute.
    static let isSupported: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr"),
              let directory = try? TemporaryDirectory() else { return false }
        defer { directory.remove() }
        let probe = directory.file("probe")
        guard FileManager.default.createFile(atPath: probe, contents: Data("x".utf8)) else { return false }
        guard set(probe, true) else { return false }
        defer { _ = set(probe, false) }
        return access(probe, W_OK) != 0
    }()
}
