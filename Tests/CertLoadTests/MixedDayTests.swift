import CertCore
import Foundation
import Testing
@testable import CertLoad

/// Mixed certification days (DESIGN §3.8, §5): population groups in scenarios, sessions drawn per
/// group, candidates who sit a complementary test after the core one, and the per-version
/// breakdown of throughput and consistency.
@Suite struct MixedDayTests {
    static let scenarios = ShippedScenarioTests.scenariosDirectory.path

    /// A small mixed day on the shipped banks and versions (absolute paths).
    static func mixedScenario(transport: String = "inproc") -> String {
        """
        name: mixed-test
        seed: 4242
        bank: \(scenarios)/banks/crcn-synthetic-1.json
        banks: [\(scenarios)/banks/crcn-edu-synthetic-1.json, \(scenarios)/banks/droit-synthetic-1.json]
        day: {centres: 4, sessions_per_centre: 2, waves: 1, candidates_per_session: 3}
        behaviour: {abandon_share: 0.1, technical_incident_share: 0.1, live_alert_rate_per_question: 0.01}
        population:
          groups:
            - {name: pupils, share: 0.4, version: \(scenarios)/versions/core-v3.json}
            - name: teachers
              share: 0.3
              version: \(scenarios)/versions/core-v3.json
              complementary: \(scenarios)/versions/edu-2nd-degre-v3.json
              ability: {mean: 1, sd: 1}
              complementary_ability: {mean: 1.5, sd: 1}
            - {name: droit, share: 0.2, version: \(scenarios)/versions/droit-v3.json}
            - {name: clea, share: 0.1, version: \(scenarios)/versions/core-v3.json, complementary: \(scenarios)/versions/clea-v3.json}
        transport: \(transport)
        time_scale: 0
        concurrency: 16
        """
    }

    @Test("groups parse with their keys; shares must add up to 1; names are unique; keys are known")
    func parsing() throws {
        let scenario = try ScenarioParser.parse(Self.mixedScenario())
        #expect(scenario.population.groups.map(\.name) == ["pupils", "teachers", "droit", "clea"])
        #expect(scenario.population.groups[1].complementaryAbility == .normal(mean: 1.5, standardDeviation: 1))
        // A group without its own behaviour keeps the scenario's; one with it overrides key by key.
        #expect(scenario.population.groups[0].behaviour.abandonShare == 0.1)
        #expect(scenario.additionalBanks.count == 2)
        let badShares = """
            population:
              groups:
                - {name: a, share: 0.5}
                - {name: b, share: 0.4}
            """
        #expect(throws: ScenarioError.self) { _ = try ScenarioParser.parse(badShares) }
        do { _ = try ScenarioParser.parse(badShares) } catch { #expect(error.code == .scenarioBadValue) }
        let twice = """
            population:
              groups:
                - {name: a, share: 0.5}
                - {name: a, share: 0.5}
            """
        do { _ = try ScenarioParser.parse(twice); Issue.record("a name used twice was accepted") } catch {
            #expect(error.code == .scenarioBadValue)
        }
        let unknown = """
            population:
              groups:
                - {name: a, share: 1, pupils: 3}
            """
        do { _ = try ScenarioParser.parse(unknown); Issue.record("an unknown key was accepted") } catch {
            #expect(error.code == .scenarioUnknownKey)
        }
        let group = """
            behaviour: {abandon_share: 0.2}
            population:
              groups:
                - {name: a, share: 1, behaviour: {companion_alert_share: 0.3}}
            """
        let merged = try ScenarioParser.parse(group).population.groups[0].behaviour
        #expect(merged.abandonShare == 0.2 && merged.companionAlertShare == 0.3)
    }

    @Test("sessions are drawn per group by their shares, the same way every time")
    func groupDraws() {
        let draws = RunnerDraws(seed: 99)
        let shares = [0.7, 0.2, 0.1]
        let groups = (0..<5000).map { DayPlan.group(sessionIndex: $0, shares: shares, draws: draws) }
        #expect(groups == (0..<5000).map { DayPlan.group(sessionIndex: $0, shares: shares, draws: draws) })
        for (index, share) in shares.enumerated() {
            let observed = Double(groups.filter { $0 == index }.count) / 5000
            // Binomial sd at n = 5000 is at most 0.0071: five of them.
            #expect(abs(observed - share) < 0.036, "group \(index): \(observed)")
        }
        #expect(DayPlan.group(sessionIndex: 3, shares: [1], draws: draws) == 0)
    }

    @Test("the per-version breakdown counts, errs and agrees as computed by hand")
    func breakdownByHand() {
        func row(_ key: String, _ version: String, _ status: String, theta: Double, estimate: Double?, mesh: Int?, trueMesh: Int)
            -> CandidateRow
        {
            CandidateRow(candidateKey: key, personKey: key, sessionIndex: 0, centre: 0, wave: 0, needsAccessibility: false,
                         trueTheta: theta, status: status, answers: 32, estimatedTheta: estimate, errorRate: 0.2,
                         meshLevel: mesh, meshLevelFromTrueTheta: trueMesh, version: version)
        }
        let droit = BuiltInVersions.droitV3
        let rows = [
            row("a", "droit-v3", "validated", theta: 1.0, estimate: 1.2, mesh: 1, trueMesh: 1),
            row("b", "droit-v3", "validated", theta: 2.0, estimate: 2.6, mesh: 2, trueMesh: 1),
            row("c", "droit-v3", "rejected", theta: -3, estimate: -2.8, mesh: nil, trueMesh: -1),
            row("d", "droit-v3", "cancelled", theta: 0.5, estimate: 0.1, mesh: nil, trueMesh: 1),
            row("e", "core-v3", "validated", theta: 0, estimate: 0, mesh: 2, trueMesh: 2),
        ]
        let breakdown = VersionBreakdown.make(rows: rows, versions: [BuiltInVersions.coreV3, droit], wallSeconds: 2)
        #expect(breakdown.map(\.version) == ["core-v3", "droit-v3"])
        let d = breakdown[1]
        #expect(d.certifications == 4 && d.validated == 2 && d.rejected == 1 && d.cancelled == 1)
        #expect(d.rejectionRate == 0.25 && d.cancellationRate == 0.25)
        #expect(d.certificationsPerSecond == 2)
        // Errors of the validated: +0.2 and +0.6 → bias 0.4, RMSE √((0.04 + 0.36) / 2) = √0.2.
        #expect(abs(d.bias! - 0.4) < 1e-12)
        #expect(abs(d.rmse! - 0.2.squareRoot()) < 1e-12)
        // Judged: a (1→1 agree), b (1→2), c (none→none agree): 2 of 3.
        #expect(abs(d.levelAgreement! - 2.0 / 3) < 1e-12)
        #expect(d.levels == ["none", "LEVEL_INDEPENDENT", "LEVEL_CONFIRMED", "LEVEL_ADVANCED", "LEVEL_EXPERT"])
        #expect(d.confusion[0][0] == 1 && d.confusion[2][2] == 1 && d.confusion[2][3] == 1)
        #expect(d.confusion.flatMap { $0 }.reduce(0, +) == 3)
    }

    @Test("CléA's breakdown: acquired at the minimum Pix score, against the true θ's score")
    func cleaBreakdownByHand() throws {
        func row(_ key: String, _ status: String, theta: Double, score: Int?) -> CandidateRow {
            CandidateRow(candidateKey: key, personKey: key, sessionIndex: 0, centre: 0, wave: 0, needsAccessibility: false,
                         trueTheta: theta, status: status, answers: 32, estimatedTheta: 0, errorRate: 0.2, score: score,
                         meshLevel: score == nil ? nil : 1, meshLevelFromTrueTheta: 1, version: "core-v3")
        }
        // θ = 3 is far above the score of 70 (mesh 5 and up on core-v3); θ = −5 is below the first interval (0 Pix).
        let rows = [
            row("a", "validated", theta: 3, score: 120), row("b", "validated", theta: 3, score: 69),
            row("c", "rejected", theta: -5, score: nil), row("d", "cancelled", theta: 0, score: nil),
        ]
        let entry = try #require(VersionBreakdown.clea(BuiltInVersions.cleaV3, core: BuiltInVersions.coreV3, rows: rows,
                                                       wallSeconds: 1))
        #expect(entry.framework == "CLEA" && entry.certifications == 4)
        #expect(entry.validated == 1 && entry.rejected == 2 && entry.cancelled == 1)
        #expect(entry.confusion == [[1, 0], [1, 1]])
        #expect(abs(entry.levelAgreement! - 2.0 / 3) < 1e-12)
    }

    @Test("a mixed day runs end to end, in process and over HTTP with the same digest")
    func mixedDayEndToEnd() async throws {
        let inproc = try await ScenarioRunner.run(
            scenario: try ScenarioParser.parse(Self.mixedScenario()), options: RunnerFixtures.quietOptions())
        let http = try await ScenarioRunner.run(
            scenario: try ScenarioParser.parse(Self.mixedScenario(transport: "http")), options: RunnerFixtures.quietOptions())
        #expect(inproc.summary.errors.isEmpty && http.summary.errors.isEmpty)
        #expect(inproc.digest == http.digest)
        let rows = inproc.candidates
        let edu = rows.filter { $0.candidateKey.hasSuffix("#EDU_2ND_DEGRE") }
        let teachers = rows.filter { $0.group == "teachers" && !$0.candidateKey.contains("#") }
        #expect(!teachers.isEmpty && edu.count == teachers.count)
        // Every Édu result was scored by the Édu version, without a Pix score.
        for row in edu where row.status == "validated" || row.status == "rejected" {
            #expect(row.version == "edu-2nd-degre-v3" && row.score == nil)
        }
        #expect(rows.filter { $0.group == "droit" }.allSatisfy { $0.version == nil || $0.version == "droit-v3" })
        let versions = try #require(inproc.summary.byVersion).map(\.version)
        #expect(Set(versions).isSubset(of: ["core-v3", "edu-2nd-degre-v3", "droit-v3", "clea-v3"]))
        #expect(versions.contains("edu-2nd-degre-v3"))
        #expect(try #require(inproc.summary.byVersion).contains { $0.framework == "CLEA" })
        // Each person sat their own group's tests only.
        #expect(rows.filter { $0.group == "pupils" }.allSatisfy { !$0.candidateKey.contains("#") })
    }
}
