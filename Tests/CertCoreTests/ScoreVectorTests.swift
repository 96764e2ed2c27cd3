import CertCore
import Foundation
import Testing

/// Every recorded vector of Fixtures/score-vectors.json, produced by an independent
/// implementation of the rules before certification versions, scored under
/// `core-v3-2023.json` (the same numbers). Capacity, error rate and history must match as
/// recorded; status, reason, score, mesh level and competence levels are the recorded ones
/// mapped to DESIGN §3.5 by ``mapped(_:abortReason:)`` — written here from the rule text, not
/// from the engine.
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
        let abortReason: String?
        init(from decoder: any Decoder) throws {
            let value = try AnyJSON(from: decoder)
            data = try JSONSerialization.data(withJSONObject: value.object, options: [.fragmentsAllowed])
            abortReason = (value.object as? [String: Any])?["abortReason"] as? String
        }
    }

    static let tolerance = 1e-9

    static func vectors() throws -> [Vector] {
        try JSONDecoder().decode([Vector].self, from: Fixtures.data("score-vectors"))
    }

    /// The 2023 intervals' lower bounds (DESIGN §3.5): the mesh level is the interval's index.
    static let lowerBounds2023: [Double] = [-8, -1.4, -0.519, 0.6, 1.5, 2.25, 3.1, 4]
    static let labels = ["LEVEL_PRE_BEGINNER", "LEVEL_BEGINNER_1", "LEVEL_BEGINNER_2", "LEVEL_INDEPENDENT_3",
                         "LEVEL_INDEPENDENT_4", "LEVEL_ADVANCED_5", "LEVEL_ADVANCED_6", "LEVEL_EXPERT_7"]

    struct Mapped: Equatable {
        var status: String
        var statusReason: String?
        var pixScore: Int?
        var meshLevel: Int?
        var level: String?
        var competenceLevels: [String: Int]?
    }

    /// DESIGN §3.5 applied to a recorded result of the earlier rules: below 20 counted answers
    /// with an abort reason, technical → cancelled and candidate → rejected (notEnoughAnswers);
    /// θ below −8 → rejected (belowFirstInterval); a score of 0 → rejected (zeroScore); only a
    /// validated certification keeps score, mesh level (the capacity interval's index) and
    /// competence levels (core's default thresholds are the earlier global table).
    static func mapped(_ expected: Vector.Expected, abortReason: String?) -> Mapped {
        if let abortReason, expected.answersCount < 20 {
            return Mapped(status: abortReason == "technical" ? "cancelled" : "rejected", statusReason: "notEnoughAnswers")
        }
        guard expected.capacity >= lowerBounds2023[0] else {
            return Mapped(status: "rejected", statusReason: "belowFirstInterval")
        }
        if expected.pixScore == 0 { return Mapped(status: "rejected", statusReason: "zeroScore") }
        let interval = lowerBounds2023.lastIndex { $0 <= expected.capacity } ?? 0
        return Mapped(status: "validated", statusReason: nil, pixScore: expected.pixScore, meshLevel: interval,
                      level: labels[interval], competenceLevels: expected.competenceLevels)
    }

    @Test func thereAreThirtyVectors() throws {
        #expect(try Self.vectors().count == 30)
    }

    /// How many recorded vectors the new rules rewrite (the note of the change quotes it).
    @Test func theNewRulesRewriteTenOfTheThirty() throws {
        let changed = try Self.vectors().filter { vector in
            let mapped = Self.mapped(vector.expected, abortReason: vector.request.abortReason)
            let old = vector.expected
            return mapped != Mapped(status: old.status, statusReason: nil, pixScore: old.pixScore,
                                    meshLevel: old.meshLevel, level: Self.labels[old.meshLevel],
                                    competenceLevels: old.competenceLevels)
        }
        #expect(changed.count == Self.rewrittenCount)
    }

    static let rewrittenCount = 10

    @Test(arguments: 0..<30)
    func vectorMatches(index: Int) throws {
        let bank = try Fixtures.scoreBank()
        let vector = try Self.vectors()[index]
        let request = try ScoreRequest.parse(vector.request.data, bank: bank, version: BuiltInVersions.coreV32023)
        let result = try request.score(bank: bank)
        let expected = vector.expected
        let mapped = Self.mapped(expected, abortReason: vector.request.abortReason)
        #expect(abs(result.capacity - expected.capacity) <= Self.tolerance, "capacity \(result.capacity) vs \(expected.capacity)")
        #expect(abs(result.errorRate - expected.errorRate) <= Self.tolerance, "errorRate \(result.errorRate) vs \(expected.errorRate)")
        #expect(result.status.rawValue == mapped.status)
        #expect(result.statusReason?.rawValue == mapped.statusReason)
        #expect(result.pixScore == mapped.pixScore)
        #expect(result.meshLevel == mapped.meshLevel)
        #expect(result.level == mapped.level)
        #expect(result.competenceLevels == mapped.competenceLevels)
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
