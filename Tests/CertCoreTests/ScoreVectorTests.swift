import CertCore
import Foundation
import Testing

/// Every recorded vector of Fixtures/score-vectors.json, produced by an independent
/// implementation of DESIGN §3, run through `ScoreRequest` + `Scoring`.
@Suite struct ScoreVectorTests {
    struct Vector: Decodable {
        struct Expected: Decodable {
            let capacity: Double
            let errorRate: Double
            let pixScore: Int
            let meshLevel: Int
            let competenceLevels: [String: Int]
            let status: String
            let answersCount: Int
            let history: [CapacityEstimate]
        }
        let request: JSONValue
        let expected: Expected
    }

    /// Keeps the raw request so it goes through the same parser as the CLI.
    struct JSONValue: Decodable {
        let data: Data
        init(from decoder: any Decoder) throws {
            let value = try AnyJSON(from: decoder)
            data = try JSONSerialization.data(withJSONObject: value.object, options: [.fragmentsAllowed])
        }
    }

    static let tolerance = 1e-9

    static func vectors() throws -> [Vector] {
        try JSONDecoder().decode([Vector].self, from: Fixtures.data("score-vectors"))
    }

    @Test func thereAreThirtyVectors() throws {
        #expect(try Self.vectors().count == 30)
    }

    @Test(arguments: 0..<30)
    func vectorMatches(index: Int) throws {
        let bank = try Fixtures.scoreBank()
        let vector = try Self.vectors()[index]
        let request = try ScoreRequest.parse(vector.request.data, bank: bank)
        let result = try request.score(bank: bank)
        let expected = vector.expected
        #expect(abs(result.capacity - expected.capacity) <= Self.tolerance, "capacity \(result.capacity) vs \(expected.capacity)")
        #expect(abs(result.errorRate - expected.errorRate) <= Self.tolerance, "errorRate \(result.errorRate) vs \(expected.errorRate)")
        #expect(result.pixScore == expected.pixScore)
        #expect(result.meshLevel == expected.meshLevel)
        #expect(result.competenceLevels == expected.competenceLevels)
        #expect(result.status.rawValue == expected.status)
        #expect(result.answersCount == expected.answersCount)
        try #require(result.history.count == expected.history.count)
        for (step, (got, want)) in zip(result.history, expected.history).enumerated() {
            #expect(abs(got.capacity - want.capacity) <= Self.tolerance, "history[\(step)].capacity")
            #expect(abs(got.errorRate - want.errorRate) <= Self.tolerance, "history[\(step)].errorRate")
        }
    }
}

/// Minimal JSON tree, to re-serialise a fixture's request untouched.
struct AnyJSON: Decodable {
    let object: Any

    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var dictionary: [String: Any] = [:]
            for key in keyed.allKeys {
                dictionary[key.stringValue] = try keyed.decode(AnyJSON.self, forKey: key).object
            }
            object = dictionary
        } else if var list = try? decoder.unkeyedContainer() {
            var array: [Any] = []
            while !list.isAtEnd { array.append(try list.decode(AnyJSON.self).object) }
            object = array
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                object = NSNull()
            } else if let bool = try? single.decode(Bool.self) {
                object = bool
            } else if let int = try? single.decode(Int.self) {
                object = int
            } else if let double = try? single.decode(Double.self) {
                object = double
            } else {
                object = try single.decode(String.self)
            }
        }
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
