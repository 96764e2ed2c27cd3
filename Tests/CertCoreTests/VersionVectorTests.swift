import CertCore
import Foundation
import Testing

/// Every vector of Fixtures/version-vectors.json — 66 recorded tests on score-bank.json, each
/// scored by an independent implementation of DESIGN §3.5 under one of Fixtures/versions/ —
/// run through the same path as `certsim score --certification-version FILE`.
@Suite struct VersionVectorTests {
    struct Vector: Decodable {
        struct Expected: Decodable {
            let capacity: Double
            let errorRate: Double
            let pixScore: Int?
            let meshLevel: Int?
            let level: String?
            let competenceLevels: [String: Int]?
            let status: String
            let statusReason: String?
            let answersCount: Int
            let history: [CapacityEstimate]
        }
        let version: String
        let request: ScoreVectorTests.JSONValue
        let expected: Expected
    }

    static func vectors() throws -> [Vector] {
        try JSONDecoder().decode([Vector].self, from: Fixtures.data("version-vectors"))
    }

    /// `versions/core-v3.json` → the fixture's version.
    static func version(_ path: String) throws -> CertificationVersion {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try CertificationVersion.decode(Fixtures.data(name, subdirectory: "versions"))
    }

    @Test func thereAreSixtySixVectorsOverFiveVersions() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count == 66)
        #expect(Set(vectors.map(\.version)).count == 5)
    }

    @Test(arguments: 0..<66)
    func vectorMatches(index: Int) throws {
        let bank = try Fixtures.scoreBank()
        let vector = try Self.vectors()[index]
        let version = try Self.version(vector.version)
        try version.check(bank: bank)
        let request = try ScoreRequest.parse(vector.request.data, bank: bank, version: version)
        let result = try request.score(bank: bank)
        let expected = vector.expected
        let tolerance = ScoreVectorTests.tolerance
        #expect(abs(result.capacity - expected.capacity) <= tolerance, "capacity \(result.capacity) vs \(expected.capacity)")
        #expect(abs(result.errorRate - expected.errorRate) <= tolerance, "errorRate \(result.errorRate) vs \(expected.errorRate)")
        #expect(result.status.rawValue == expected.status)
        #expect(result.statusReason?.rawValue == expected.statusReason)
        #expect(result.pixScore == expected.pixScore)
        #expect(result.meshLevel == expected.meshLevel)
        #expect(result.level == expected.level)
        #expect(result.competenceLevels == expected.competenceLevels)
        #expect(result.answersCount == expected.answersCount)
        #expect(result.version == version.id)
        try #require(result.history.count == expected.history.count)
        for (step, (got, want)) in zip(result.history, expected.history).enumerated() {
            #expect(abs(got.capacity - want.capacity) <= tolerance, "history[\(step)].capacity")
            #expect(abs(got.errorRate - want.errorRate) <= tolerance, "history[\(step)].errorRate")
        }
    }
}
