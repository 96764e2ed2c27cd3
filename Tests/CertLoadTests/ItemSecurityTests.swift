import CertCore
import Foundation
import Testing
@testable import CertLoad
import CertTestSupport

/// Exposure and test overlap against values worked out by hand (DESIGN §7), on a 4-challenge bank:
/// q1, q2 in competence 1.1 (levels 1, 2), q3, q4 in competence 1.2 (levels 2, 3).
@Suite struct ItemSecurityTests {
    static func bank() throws -> ItemBank {
        func challenge(_ id: String, _ competence: String, _ level: Int, b: Double) -> Challenge {
            Challenge(id: id, competence: competence, tube: "@t\(id)", skill: "@t\(id)\(level)", level: level,
                      discriminant: 1.5, difficulty: b, accessible: true, locale: "fr-fr")
        }
        return try ItemBank(
            version: "four", competences: [Competence(id: "1.1", domain: "1", name: "a"), Competence(id: "1.2", domain: "1", name: "b")],
            challenges: [challenge("q1", "1.1", 1, b: -1), challenge("q2", "1.1", 2, b: 0), challenge("q3", "1.2", 2, b: 0.5),
                         challenge("q4", "1.2", 3, b: 2)])
    }

    func close(_ a: Double?, _ b: Double, tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    // Three certifications: A = {q1, q2, q3} (q2 served twice: a resume), B = {q3, q1}, C = {q1, q2};
    // a fourth never started. Times given 3, 2, 2, 0; rates 1, 2/3, 2/3, 0; Q̄ = 7/3.
    static let served: [[Int32]] = [[0, 1, 1, 2], [2, 0], [0, 1], []]

    @Test func exposureWorkedByHand() throws {
        var settings = ItemSecuritySettings()
        settings.exposureThreshold = 0.7
        let (security, rows) = ItemSecurity.measure(bank: try Self.bank(), served: Self.served, settings: settings, seed: 1)
        #expect(security.certifications == 3 && security.bankChallenges == 4)
        #expect(rows.map(\.timesGiven) == [3, 2, 2, 0])
        #expect(close(rows[0].rate, 1) && close(rows[1].rate, 2.0 / 3) && close(rows[2].rate, 2.0 / 3) && rows[3].rate == 0)
        #expect(rows.map(\.challengeId) == ["q1", "q2", "q3", "q4"] && rows[3].competence == "1.2" && rows[3].level == 3)
        #expect(rows[3].difficulty == 2 && rows[3].discriminant == 1.5)
        #expect(close(security.meanTestLength, 7.0 / 3) && security.testLengthMin == 2 && security.testLengthMax == 3)
        #expect(close(security.maxExposureRate, 1) && security.maxExposureChallengeId == "q1")
        #expect(close(security.meanExposureRate, 7.0 / 12))
        // Deviations from 7/12: 5/12, 1/12, 1/12, −7/12 → (25 + 1 + 1 + 49) / 144 / 4 = 19/144.
        #expect(close(security.exposureRateVariance, 19.0 / 144))
        #expect(close(security.neverGivenShare, 0.25))
        #expect(close(security.aboveThresholdShare, 0.25))  // only q1 is above 0.7
        #expect(security.exposureThreshold == 0.7)

        let byCompetence = security.byCompetence
        #expect(byCompetence.map(\.key) == ["1.1", "1.2"])
        #expect(byCompetence[0].challenges == 2 && byCompetence[0].timesGiven == 5)
        #expect(close(byCompetence[0].meanRate, 5.0 / 6) && close(byCompetence[0].maxRate, 1) && close(byCompetence[0].neverGivenShare, 0))
        #expect(byCompetence[1].timesGiven == 2 && close(byCompetence[1].meanRate, 1.0 / 3))
        #expect(close(byCompetence[1].maxRate, 2.0 / 3) && close(byCompetence[1].neverGivenShare, 0.5))
        let byLevel = security.byLevel
        #expect(byLevel.map(\.key) == ["1", "2", "3"] && byLevel.map(\.timesGiven) == [3, 4, 0])
        #expect(close(byLevel[1].meanRate, 2.0 / 3) && close(byLevel[2].maxRate, 0) && close(byLevel[2].neverGivenShare, 1))
    }

    @Test func overlapWorkedByHand() throws {
        let (security, _) = ItemSecurity.measure(bank: try Self.bank(), served: Self.served, seed: 1)
        let overlap = security.overlap
        // A∩B = {q1, q3}, A∩C = {q1, q2}, B∩C = {q1}: 5 in common over (3+2)/2 + (3+2)/2 + (2+2)/2 = 7.
        #expect(close(overlap.direct, 5.0 / 7))
        #expect(overlap.pairs == 3 && overlap.pairsTotal == 3 && !overlap.sampled)
        // (N/Q̄)·Var + Q̄/N = (4 / (7/3)) · 19/144 + (7/3) / 4 = 19/84 + 49/84 = 17/21.
        #expect(close(overlap.barrada, 17.0 / 21))
        #expect(close(security.aboveThresholdShare, 0.75))  // default threshold 0.2: q1, q2, q3
    }

    @Test func fixedLengthDirectOverlapMatchesBarradaOverAllPairs() throws {
        // A = {q1, q2}, B = {q2, q3}, C = {q2, q4}: rates 1/3, 1, 1/3, 1/3, Var = 1/12, Q = 2:
        // T = 2 · 1/12 + 1/2 = 2/3, and over every pair (m·T − 1)/(m − 1) = (2 − 1)/2 = 1/2,
        // which is each pair's one challenge in common out of two.
        let (security, _) = ItemSecurity.measure(bank: try Self.bank(), served: [[0, 1], [1, 2], [1, 3]], seed: 1)
        #expect(close(security.exposureRateVariance, 1.0 / 12))
        #expect(close(security.overlap.barrada, 2.0 / 3))
        #expect(close(security.overlap.direct, 0.5))
        let m = 3.0
        #expect(close(security.overlap.direct, (m * security.overlap.barrada! - 1) / (m - 1)))
    }

    @Test func identicalTestsOverlapFully() throws {
        // Every test the same two challenges: rates 1, 1, 0, 0; Var = 1/4; T = 2 · 1/4 + 1/2 = 1.
        let served = [[Int32]](repeating: [3, 0], count: 50)
        var settings = ItemSecuritySettings()
        settings.overlapPairsMax = 100
        let (security, _) = ItemSecurity.measure(bank: try Self.bank(), served: served, settings: settings, seed: 9)
        #expect(close(security.overlap.barrada, 1))
        #expect(close(security.overlap.direct, 1))
        #expect(security.overlap.sampled && security.overlap.pairs == 100 && security.overlap.pairsTotal == 50 * 49 / 2)
    }

    @Test func sampledPairsReplayFromTheSeed() throws {
        var random = SplitMix64(seed: 5)
        let served = (0..<200).map { _ in (0..<2).map { _ in Int32(random.next() % 4) } }
        var settings = ItemSecuritySettings()
        settings.overlapPairsMax = 500
        let bank = try Self.bank()
        let first = ItemSecurity.measure(bank: bank, served: served, settings: settings, seed: 3).summary.overlap
        let again = ItemSecurity.measure(bank: bank, served: served, settings: settings, seed: 3).summary.overlap
        #expect(first == again && first.sampled && first.pairs == 500)
        // The sample estimates the all-pairs value.
        settings.overlapPairsMax = 200 * 199 / 2
        let all = ItemSecurity.measure(bank: bank, served: served, settings: settings, seed: 3).summary.overlap
        #expect(!all.sampled)
        #expect(abs(first.direct! - all.direct!) < 0.05)
    }

    @Test func noCertificationMeasuresNothing() throws {
        let (security, rows) = ItemSecurity.measure(bank: try Self.bank(), served: [[], []], seed: 1)
        #expect(security.certifications == 0 && rows.allSatisfy { $0.timesGiven == 0 && $0.rate == 0 })
        #expect(security.maxExposureRate == nil && security.neverGivenShare == nil && security.meanTestLength == nil)
        #expect(security.overlap.direct == nil && security.overlap.barrada == nil && security.overlap.pairsTotal == 0)
    }

    @Test func exposureCSVRoundTrips() throws {
        let (_, rows) = ItemSecurity.measure(bank: try Self.bank(), served: Self.served, seed: 1)
        let text = ExposureCSV.csv(rows)
        #expect(text.hasPrefix("challenge,competence,level,a,b,times_given,rate\nq1,1.1,1,1.5,-1.0,3,1.0\n"))
        #expect(try ExposureCSV.parse(text) == rows)
    }

    @Test func thresholdsReadTheMeasures() throws {
        let (security, _) = ItemSecurity.measure(bank: try Self.bank(), served: Self.served, seed: 1)
        var summary = sampleSummary()
        summary.itemSecurity = security
        var thresholds = Thresholds()
        thresholds.exposureMax = 0.9
        thresholds.overlapMax = 0.8
        let outcomes = ThresholdCheck.evaluate(summary, against: thresholds)
        #expect(outcomes.map(\.name) == ["exposure_max", "overlap_max"])
        #expect(outcomes[0].passed == false && outcomes[0].measured == "1")
        #expect(outcomes[1].passed == true && outcomes[1].measured == "0.7143")
        summary.itemSecurity = nil
        #expect(ThresholdCheck.evaluate(summary, against: thresholds).allSatisfy { !$0.passed && $0.measured == "not measured" })
        // A Pix+ run: the complementary bank's exposure counts, not only the first bank's.
        var quiet = security
        quiet.maxExposureRate = 0.5
        quiet.overlap.direct = 0.1
        summary.itemSecurity = quiet
        summary.itemSecurityByBank = [quiet, security]
        let byBank = ThresholdCheck.evaluate(summary, against: thresholds)
        #expect(byBank[0].passed == false && byBank[0].measured == "1")
        #expect(byBank[1].measured == "0.7143")
    }

    @Test func scenarioKeys() throws {
        let scenario = try ScenarioParser.parse("""
            item_security: {exposure_threshold: 0.25, overlap_pairs_max: 5000}
            thresholds: {exposure_max: 0.3, overlap_max: 0.25}
            """)
        #expect(scenario.itemSecurity.exposureThreshold == 0.25 && scenario.itemSecurity.overlapPairsMax == 5000)
        #expect(scenario.thresholds.exposureMax == 0.3 && scenario.thresholds.overlapMax == 0.25)
        #expect(Scenario().itemSecurity.exposureThreshold == 0.2)
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse("item_security: {exposure_threshold: 1.5}") }
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse("item_security: {overlap: 1}") }
    }
}
