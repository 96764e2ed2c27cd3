import CertCore
import Foundation
import Testing

/// Certification version files (DESIGN §3.7): the shipped ones decode, every refusal names its
/// key with a stable code, and the built-in copies are the files under Scenarios/versions/.
@Suite struct VersionFileTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func coreObject() throws -> [String: Any] {
        let data = try Fixtures.data("core-v3", subdirectory: "versions")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func decode(_ object: [String: Any]) throws -> CertificationVersion {
        try CertificationVersion.decode(JSONSerialization.data(withJSONObject: object))
    }

    @Test func theBuiltInVersionsAreTheShippedFilesByteForByte() throws {
        for (id, text) in BuiltInVersions.all {
            let file = Self.repository.appendingPathComponent("Scenarios/versions/\(id).json")
            let shipped = try String(contentsOf: file, encoding: .utf8)
            #expect(shipped == text, "Scenarios/versions/\(id).json differs from its built-in copy")
            #expect(try CertificationVersion.decode(Data(shipped.utf8)).id == id)
        }
        for (id, text) in BuiltInVersions.clea {
            let file = Self.repository.appendingPathComponent("Scenarios/versions/\(id).json")
            let shipped = try String(contentsOf: file, encoding: .utf8)
            #expect(shipped == text, "Scenarios/versions/\(id).json differs from its built-in copy")
            #expect(try CleaVersion.decode(Data(shipped.utf8)).id == id)
        }
        // Every shipped file is built in, and nothing else is.
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("Scenarios/versions").path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        #expect(Set(files) == Set(BuiltInVersions.documents.keys))
        #expect(Set(BuiltInVersions.all.keys).isDisjoint(with: BuiltInVersions.clea.keys))
        #expect(BuiltInVersions.documents.count == BuiltInVersions.all.count + BuiltInVersions.clea.count)
        for (id, document) in BuiltInVersions.documents { #expect(document.id == id) }
        #expect(BuiltInVersions.coreV3.id == "core-v3")
        #expect(BuiltInVersions.coreV32023.intervals.first?.min == -8)
        #expect(BuiltInVersions.coreV3.intervals.first?.min == -4.67)
    }

    @Test func theFixtureVersionsDecodeWithWhatTheySay() throws {
        let variant = try CertificationVersion.decode(Fixtures.data("fixture-variant", subdirectory: "versions"))
        #expect(variant.challenges.maximumAssessmentLength == 28)
        #expect(variant.minimumAnswersToValidate == 16)
        #expect(variant.competenceLevels(capacity: 1.0, competenceIds: ["1.1", "2.3", "5.2", "4.1"])
            == ["1.1": 3, "2.3": 3, "5.2": 3, "4.1": 4])
        let droit = try CertificationVersion.decode(Fixtures.data("droit-v3", subdirectory: "versions"))
        #expect(droit.pixScore == false && droit.maximumPixScore == nil)
        #expect(droit.framework == .droit && droit.framework.competenceFramework == "droit")
        let edu = try CertificationVersion.decode(Fixtures.data("edu-2nd-degre-v3", subdirectory: "versions"))
        #expect(edu.externalLevels == ["LEVEL_ADVANCED", "LEVEL_EXPERT"])
        #expect(edu.intervalIndex(containing: 0.99) == nil && edu.intervalIndex(containing: 9) == 0)
    }

    @Test func layoutDoesNotChangeTheContentHash() throws {
        let object = try Self.coreObject()
        let compact = try CertificationVersion.decode(JSONSerialization.data(withJSONObject: object))
        let pretty = try CertificationVersion.decode(JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]))
        #expect(compact.contentHash == pretty.contentHash)
        #expect(compact.contentHash == BuiltInVersions.coreV3.contentHash)
        var changed = object
        changed["assessmentDurationMinutes"] = 106
        #expect(try Self.decode(changed).contentHash != compact.contentHash)
    }

    /// Each broken file: (what is changed, expected code, a phrase the message must name).
    @Test(arguments: [
        ("unknown top key", ErrorCode.versionUnknownKey, "bounds"),
        ("missing id", .versionMissingKey, "\"id\""),
        ("missing challenge key", .versionMissingKey, "challenges.variationPercent"),
        ("unknown challenge key", .versionUnknownKey, "challenges.extra"),
        ("bad framework", .versionBadValue, "framework"),
        ("gap between intervals", .versionBadValue, "globalScoring.intervals[3].min"),
        ("descending interval", .versionBadValue, "globalScoring.intervals[0].max"),
        ("level not its index", .versionBadValue, "globalScoring.intervals[2].level"),
        ("missing weight with pixScore", .versionMissingKey, "globalScoring.intervals[1].weight"),
        ("thresholds not ascending", .versionBadValue, "competenceScoring.default[2]"),
        ("minimum above maximum length", .versionBadValue, "minimumAnswersToValidate"),
        ("string for a number", .versionBadValue, "assessmentDurationMinutes"),
        ("bad status", .versionBadValue, "status"),
        ("empty intervals", .versionBadValue, "globalScoring.intervals"),
    ])
    func aBrokenFileIsRefusedNamingTheKey(change: String, code: ErrorCode, names: String) throws {
        var object = try Self.coreObject()
        var challenges = object["challenges"] as! [String: Any]
        var scoring = object["globalScoring"] as! [String: Any]
        var intervals = scoring["intervals"] as! [[String: Any]]
        switch change {
        case "unknown top key": object["bounds"] = [1, 2]
        case "missing id": object["id"] = nil
        case "missing challenge key": challenges["variationPercent"] = nil
        case "unknown challenge key": challenges["extra"] = 1
        case "bad framework": object["framework"] = "CORE_V9"
        case "gap between intervals": intervals[3]["min"] = 0.7
        case "descending interval": intervals[0]["max"] = -5
        case "level not its index": intervals[2]["level"] = 7
        case "missing weight with pixScore": intervals[1]["weight"] = nil
        case "thresholds not ascending": object["competenceScoring"] = ["default": [-2, -1, -1.5, 1]]
        case "minimum above maximum length": object["minimumAnswersToValidate"] = 40
        case "string for a number": object["assessmentDurationMinutes"] = "105"
        case "bad status": object["status"] = "retired"
        case "empty intervals": intervals = []
        default: Issue.record("unknown change \(change)")
        }
        scoring["intervals"] = intervals
        object["globalScoring"] = scoring
        object["challenges"] = challenges
        do {
            _ = try Self.decode(object)
            Issue.record("\(change): accepted")
        } catch let error as CertError {
            #expect(error.code == code, "\(change): \(error)")
            #expect(error.message.contains(names), "\(change): \(error.message)")
        }
    }

    @Test func notJSONAndAMissingFileAreRefused() throws {
        #expect { try CertificationVersion.decode(Data("{".utf8)) } throws: { ($0 as? CertError)?.code == .versionMalformed }
        #expect { try CertificationVersion.load(path: "/nonexistent/v.json") } throws: {
            ($0 as? CertError)?.code == .versionNotFound
        }
    }

    @Test func aBankOfAnotherFrameworkIsRefusedAndOneWithoutIsAccepted() throws {
        let bank = try Fixtures.scoreBank()
        try BuiltInVersions.coreV3.check(bank: bank)   // declares no framework: any version
        let droitBank = try ItemBank(version: "d", competenceFramework: "droit", competences: bank.competences,
                                     challenges: bank.challenges)
        #expect { try BuiltInVersions.coreV3.check(bank: droitBank) } throws: {
            ($0 as? CertError)?.code == .versionBankMismatch
        }
        let droit = try CertificationVersion.decode(Fixtures.data("droit-v3", subdirectory: "versions"))
        try droit.check(bank: droitBank)
    }

    @Test func overridesApplyOnTopOfTheVersionsSettings() throws {
        let variant = try CertificationVersion.decode(Fixtures.data("fixture-variant", subdirectory: "versions"))
        let rules = try CertificationRules(version: variant, overrides: ["variationPercent": .number(1)], estimator: .eap)
        #expect(rules.configuration.maximumAssessmentLength == 28)
        #expect(rules.configuration.variationPercent == 1)
        #expect(rules.configuration.estimator == .eap)
        #expect { try CertificationRules(version: variant, overrides: ["nope": .number(1)]) } throws: {
            ($0 as? CertError)?.code == .configUnknownKey
        }
    }
}
