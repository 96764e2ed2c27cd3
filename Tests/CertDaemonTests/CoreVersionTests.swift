import CertCore
import CertStore
import Foundation
import Testing

@testable import CertDaemon

/// Sessions under certification versions (DESIGN §3.6, §3.7): the daemon's certified results
/// are `certsim score` on the same answers under the session's version, for each shipped
/// version; extra time, live-alert reasons with their issue reports, and the refusals.
@Suite("Daemon core: certification versions")
struct CoreVersionTests {
    static let shipped = [BuiltInVersions.coreV3, BuiltInVersions.coreV32023]

    static func open(path: String = CoreFixtures.temporaryStorePath(), clock: ManualClock = ManualClock(),
                     versions: [CertificationVersion] = shipped) async throws -> DaemonCore {
        try await DaemonCore.open(DaemonConfiguration(
            bank: CoreFixtures.bank, versions: versions, seed: 42, engines: 2, databasePath: path, clock: clock))
    }

    @Test("certified results equal certsim score under the session's version", arguments: [0, 1])
    func resultsEqualTheScoreUnderTheSessionsVersion(versionIndex: Int) async throws {
        let version = Self.shipped[versionIndex]
        let path = CoreFixtures.temporaryStorePath()
        let core = try await Self.open(path: path)
        let created = try await core.proctors.createSession(CreateSessionRequest(
            sessionId: "V", certificationVersion: version.id, certificationVersionHash: version.contentHash))
        #expect(created.certificationVersion == version.id)
        // Complete; candidate abort after 25 (downgrade); technical and candidate aborts below
        // 20 (cancelled, rejected); technical abort after 22 (scored as it stands).
        let plan: [(String, Int?, AbortReason?)] = [
            ("c1", nil, nil), ("c2", 25, .candidate), ("c3", 10, .technical), ("c4", 10, .candidate), ("c5", 22, .technical),
        ]
        var given: [String: [Answer]] = [:]
        for (candidate, count, _) in plan {
            try await core.proctors.enrol(sessionId: "V", candidateId: candidate, needsAccessibility: false, locale: "fr-fr")
            let started = try await CoreFixtures.start(core, created, candidate)
            given[candidate] = try await CoreFixtures.answer(core, started, candidateId: candidate, count: count)
        }
        var reasons: [String: AbortReason] = [:]
        for (candidate, _, reason) in plan { reasons[candidate] = reason }
        _ = try await core.proctors.finalize(sessionId: "V", abortReasons: reasons.compactMapValues { $0 })
        let published = try await core.proctors.publish(sessionId: "V")
        #expect(published.count == plan.count)
        let detail = try await core.proctors.showSession("V")
        #expect(detail.certificationVersion == version.id)
        let reader = try StoreReader(path: path)
        var statuses: [String: String] = [:]
        for certificate in published {
            let stored = try #require(try reader.result(assessmentId: certificate.assessmentId))
            let expected = try Scoring.score(
                answers: try #require(given[certificate.candidateId]), abortReason: reasons[certificate.candidateId] ?? nil,
                validatedAlertChallengeIds: [], bank: CoreFixtures.bank, version: version,
                configuration: version.challenges)
            #expect(stored.capacity == expected.capacity)
            #expect(stored.errorRate == expected.errorRate)
            #expect(stored.pixScore == expected.pixScore)
            #expect(stored.meshLevel == expected.meshLevel)
            #expect(stored.level == expected.level)
            #expect(stored.competenceLevels == expected.competenceLevels)
            #expect(stored.status == expected.status.rawValue)
            #expect(stored.statusReason == expected.statusReason?.rawValue)
            #expect(stored.versionId == version.id)
            let certificate = try await core.candidates.certificate(verificationCode: certificate.verificationCode)
            #expect(certificate.certificationVersion == version.id)
            #expect(certificate.pixScore == expected.pixScore && certificate.level == expected.level)
            statuses[certificate.candidateId] = certificate.status
        }
        #expect(statuses["c3"] == "cancelled")
        #expect(statuses["c4"] == "rejected")
        await core.shutdown()
    }

    @Test("a session names a loaded version, with the caller's hash; another is refused")
    func sessionVersionRefusals() async throws {
        let core = try await Self.open(versions: [BuiltInVersions.coreV3])
        let unknown = await daemonError {
            _ = try await core.proctors.createSession(CreateSessionRequest(certificationVersion: "core-v9"))
        }
        #expect(unknown?.code == .versionUnknown)
        let differs = await daemonError {
            _ = try await core.proctors.createSession(CreateSessionRequest(
                certificationVersion: "core-v3", certificationVersionHash: String(repeating: "0", count: 64)))
        }
        #expect(differs?.code == .versionConflict)
        let plain = try await core.proctors.createSession(CreateSessionRequest(sessionId: "D"))
        #expect(plain.certificationVersion == "core-v3")
        #expect(try await core.proctors.showSession("D").nominalDurationSeconds == 105 * 60)
        await core.shutdown()
    }

    @Test("a store keeps its versions: the same id with other content is refused at open")
    func changedVersionUnderTheSameIdIsRefused() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let first = try await Self.open(path: path)
        await first.shutdown()
        var changed = BuiltInVersions.coreV3
        changed.assessmentDurationMinutes = 90
        changed.contentHash = String(repeating: "a", count: 64)
        await #expect { try await Self.open(path: path, versions: [changed]) } throws: {
            ($0 as? CertError)?.code == .versionConflict
        }
        // A store opened with only core-v3 still rebuilds a session of a version it stored.
        let second = try await Self.open(path: path, versions: [BuiltInVersions.coreV32023])
        await second.shutdown()
        #expect(try StoreReader(path: path).versions().map(\.id) == ["core-v3", "core-v3-2023"])
    }

    @Test("extra time lengthens the theoretical end; past it the proctor sees overtime")
    func extraTimeAndOvertime() async throws {
        let clock = ManualClock()
        let core = try await Self.open(clock: clock)
        let created = try await core.proctors.createSession(CreateSessionRequest(sessionId: "X"))
        try await core.proctors.enrol(sessionId: "X", candidateId: "c1", needsAccessibility: false, locale: "fr-fr",
                                      extraTimePercent: 50)
        try await core.proctors.enrol(sessionId: "X", candidateId: "c2", needsAccessibility: false, locale: "fr-fr")
        let refused = await daemonError {
            try await core.proctors.enrol(sessionId: "X", candidateId: "c3", needsAccessibility: false, locale: "fr-fr",
                                          extraTimePercent: -5)
        }
        #expect(refused?.code == .invalidField)
        let startedAt = clock.nowSeconds()
        let s1 = try await CoreFixtures.start(core, created, "c1")
        _ = try await CoreFixtures.start(core, created, "c2")
        var rows = try await core.proctors.showSession("X").candidates
        #expect(rows[0].extraTimePercent == 50)
        #expect(rows[0].theoreticalEndSeconds == startedAt + 105 * 60 * 1.5)
        #expect(rows[1].theoreticalEndSeconds == startedAt + 105 * 60)
        #expect(rows.allSatisfy { !$0.overtime })
        clock.advance(by: 105 * 60 + 1)
        rows = try await core.proctors.showSession("X").candidates
        #expect(rows[0].overtime == false)
        #expect(rows[1].overtime == true)
        // c1 still has time: its extra time counts.
        _ = try await CoreFixtures.answer(core, s1, candidateId: "c1", count: 1)
        await core.shutdown()
    }

    @Test("a validated live alert carries its reason and stores an IN_CHALLENGE issue report, which survive a restart")
    func liveAlertReasonAndIssueReport() async throws {
        let path = CoreFixtures.temporaryStorePath()
        let core = try await Self.open(path: path)
        let created = try await core.proctors.createSession(CreateSessionRequest(sessionId: "A"))
        try await core.proctors.enrol(sessionId: "A", candidateId: "c1", needsAccessibility: false, locale: "fr-fr")
        let started = try await CoreFixtures.start(core, created, "c1")
        _ = try await CoreFixtures.answer(core, started, candidateId: "c1", count: 3)
        let challenge = try #require(try await core.candidates.next(assessmentId: started.assessmentId, token: started.token))
        _ = try await core.candidates.raiseLiveAlert(
            assessmentId: started.assessmentId, token: started.token, challengeId: challenge.challengeId)
        try await core.proctors.validateLiveAlert(sessionId: "A", candidateId: "c1", reason: .websiteBlocked)
        let alert = try #require(try await core.proctors.listAlerts(sessionId: "A").first)
        #expect(alert.status == "validated" && alert.reason == "WEBSITE_BLOCKED" && alert.questionNumber == 4)
        let report = try #require(try StoreReader(path: path).issueReports().first)
        #expect(report.category == "IN_CHALLENGE" && report.subcategory == "WEBSITE_BLOCKED")
        #expect(report.challengeId == challenge.challengeId && report.questionNumber == 4 && report.resolved)
        core.releaseStoreAsACrashWould()
        let reopened = try await Self.open(path: path)
        let recovered = try #require(try await reopened.proctors.listAlerts(sessionId: "A").first)
        #expect(recovered.reason == "WEBSITE_BLOCKED")
        await reopened.shutdown()
    }

    @Test("a session where nobody started cannot be finalised")
    func finalisationNeedsAStart() async throws {
        let core = try await Self.open()
        _ = try await CoreFixtures.session(core, id: "N", candidates: ["c1"])
        let refused = await daemonError { _ = try await core.proctors.finalize(sessionId: "N", abortReasons: [:]) }
        #expect(refused?.code == .finalizationNoStartedCandidate)
        #expect(refused?.httpStatus == 409)
        #expect(try await core.proctors.showSession("N").status == "created")
        await core.shutdown()
    }
}
